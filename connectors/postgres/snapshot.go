package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"conflux/connectors"
)

// snapshot reads every captured table of the publication in one
// REPEATABLE READ transaction, on the slot's exported snapshot when there
// is one, and emits a read event (op r) per row. The last row's offset
// marks the snapshot complete at the streaming start point.
func (r *reader) snapshot(ctx context.Context, p plan) error {
	cfg := r.task.cfg
	tx, err := r.conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("snapshot: begin: %w", err)
	}
	defer tx.Rollback(context.Background())
	if p.snapshotName != "" {
		if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT '"+p.snapshotName+"'"); err != nil {
			return fmt.Errorf("snapshot: use the slot's exported snapshot: %w", err)
		}
	}
	// In UTC, timestamptz values come out in the form events carry.
	if _, err := tx.Exec(ctx, "SET LOCAL TimeZone = 'UTC'"); err != nil {
		return fmt.Errorf("snapshot: set the time zone: %w", err)
	}
	tables, err := r.publicationTables(ctx, tx)
	if err != nil {
		return err
	}
	start := time.Now()
	src := sourceInfo{db: r.db, commit: start, snapshot: "true", lsn: uint64(p.start)}
	// Every read event but the last has the same offset; the runtime only
	// reads it.
	offset := map[string]any{offSnapshot: true, offLastSnapshot: false, offLSN: int64(p.start), offTsUsec: start.UnixMicro()}
	names, expected := make([]string, len(tables)), make([]int64, len(tables))
	for i, tb := range tables {
		names[i] = tb.schema + "." + tb.name
		if expected[i], err = expectedRows(ctx, tx, tb); err != nil {
			return err
		}
	}
	counts := r.task.progress.begin(names, expected)
	// Events go to Poll in batches; a full batch is sent only once the
	// next row shows that it does not hold the snapshot's last event.
	chunk := r.task.chunk()
	batch := make([]*connectors.Record, 0, chunk)
	total := 0
	var lastTable *table // the table of the newest event
	for ti, tb := range tables {
		n, err := r.snapshotTable(ctx, tx, tb, counts[ti], func(rec *connectors.Record) error {
			rec.SourceOffset, lastTable = offset, tb
			if len(batch) == chunk {
				if err := r.task.emitBatch(ctx, batch); err != nil {
					return err
				}
				batch = make([]*connectors.Record, 0, chunk)
			}
			batch = append(batch, rec)
			return nil
		}, tb.source(src, cfg.prefix), start)
		if err != nil {
			return err
		}
		total += n
		counts[ti].finish()
		r.task.logger.Info("snapshot of a table done", "table", tb.schema+"."+tb.name, "rows", n)
	}
	if len(batch) > 0 {
		last := batch[len(batch)-1]
		lastSrc := src
		lastSrc.snapshot = "last"
		env := last.Value.(*connectors.Struct)
		env.SetAt(envSource, lastTable.source(lastSrc, cfg.prefix))
		last.SourceOffset = map[string]any{offSnapshot: true, offSnapshotCompleted: true, offLastSnapshot: true,
			offLSN: int64(p.start), offLSNCommit: int64(p.start), offTsUsec: start.UnixMicro()}
		if err := r.task.emitBatch(ctx, batch); err != nil {
			return err
		}
	}
	r.task.progress.completed.Store(true)
	r.task.logger.Info("snapshot done", "tables", len(tables), "rows", total, "took", time.Since(start).Round(time.Millisecond))
	return tx.Commit(ctx)
}

// snapshotTable reads one table and hands each row's read event to emit,
// source being the events' shared source block. It returns the rows read.
func (r *reader) snapshotTable(ctx context.Context, tx pgx.Tx, tb *table, count *tableProgress,
	emit func(*connectors.Record) error, source *connectors.Struct, ts time.Time) (int, error) {
	rows, err := tx.Query(ctx, "SELECT * FROM "+pgx.Identifier{tb.schema, tb.name}.Sanitize(), pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return 0, fmt.Errorf("snapshot of %s.%s: %w", tb.schema, tb.name, err)
	}
	defer rows.Close()
	cells := make([]cell, len(tb.cols))
	var buf []byte
	n := 0
	for rows.Next() {
		// One string holds the row's text; the cells are slices of it.
		raws := rows.RawValues()
		buf = buf[:0]
		for _, raw := range raws {
			buf = append(buf, raw...)
		}
		all, at := string(buf), 0
		for i, raw := range raws {
			if i < len(cells) {
				cells[i] = cell{null: raw == nil, text: all[at : at+len(raw)]}
			}
			at += len(raw)
		}
		row, key, err := tb.decodeRow(cells)
		if err != nil {
			return n, err
		}
		if err := emit(r.record(tb, key, tb.wrap("r", nil, row, source), ts)); err != nil {
			return n, err
		}
		n++
		count.rows.Add(1)
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("snapshot of %s.%s: %w", tb.schema, tb.name, err)
	}
	return n, nil
}

// expectedRows estimates a table's rows from pg_class.reltuples, which
// ANALYZE and VACUUM keep; a table never analysed (reltuples -1) is
// counted, in the snapshot's transaction.
func expectedRows(ctx context.Context, tx pgx.Tx, tb *table) (int64, error) {
	var n int64
	if err := tx.QueryRow(ctx, "SELECT reltuples::bigint FROM pg_class WHERE oid = $1", tb.oid).Scan(&n); err != nil {
		return 0, fmt.Errorf("estimate the rows of %s.%s: %w", tb.schema, tb.name, err)
	}
	if n >= 0 {
		return n, nil
	}
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{tb.schema, tb.name}.Sanitize()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the rows of %s.%s: %w", tb.schema, tb.name, err)
	}
	return n, nil
}

// publicationTables describes the captured tables of the publication.
func (r *reader) publicationTables(ctx context.Context, tx pgx.Tx) ([]*table, error) {
	rows, err := tx.Query(ctx, `
		SELECT c.oid, pt.schemaname, pt.tablename, c.relreplident = 'f'
		FROM pg_publication_tables pt
		JOIN pg_namespace n ON n.nspname = pt.schemaname
		JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
		WHERE pt.pubname = $1 ORDER BY 2, 3`, r.task.cfg.pub)
	if err != nil {
		return nil, fmt.Errorf("list the tables of publication %s: %w", r.task.cfg.pub, err)
	}
	type rel struct {
		oid          uint32
		schema, name string
		full         bool
	}
	var rels []rel
	for rows.Next() {
		var x rel
		if err := rows.Scan(&x.oid, &x.schema, &x.name, &x.full); err != nil {
			return nil, err
		}
		if r.task.cfg.captured(x.schema, x.name) {
			rels = append(rels, x)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	tables := make([]*table, 0, len(rels))
	for _, x := range rels {
		cols, err := loadColumns(ctx, tx.Conn(), x.oid)
		if err != nil {
			return nil, err
		}
		tb := r.task.cfg.newTable(x.schema, x.name, cols, x.full)
		tb.oid = x.oid
		tables = append(tables, tb)
	}
	return tables, nil
}

// record wraps an event for the runtime.
func (r *reader) record(tb *table, key *connectors.Struct, value *connectors.Struct, ts time.Time) *connectors.Record {
	rec := &connectors.Record{Topic: tb.topic, Value: value, ValueSchema: tb.envSchema, Timestamp: ts, SourcePartition: r.task.partition}
	if key != nil {
		rec.Key, rec.KeySchema = key, tb.keySchema
	}
	return rec
}
