package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"conflux/connectors"
)

// reader is the task's background side: it owns both connections.
type reader struct {
	task *Task
	conn *pgx.Conn      // queries: snapshot, catalog, heartbeat action
	repl *pgconn.PgConn // the replication stream
	db   string

	relations map[uint32]*table // nil value: a relation that is not captured

	// The transaction being read.
	inTx       bool
	xid        uint32
	commitTime time.Time
	pending    *connectors.Record   // the latest change, held until the next one or the commit
	out        []*connectors.Record // changes of the transaction not yet queued for Poll

	lastCommit pglogrepl.LSN // end of the last transaction read in full
	emitted    pglogrepl.LSN // the newest lsn_commit a record carries
	walEnd     pglogrepl.LSN // the server's position from keepalives, outside transactions
	lastBeat   time.Time

	xmin      int64 // the slot's catalog_xmin as last read; 0: unknown
	xminFetch time.Time
}

func (r *reader) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if r.repl != nil {
		r.repl.Close(ctx)
	}
	if r.conn != nil {
		r.conn.Close(ctx)
	}
}

// run snapshots if planned, then streams, reconnecting with backoff after
// a lost connection and resuming from the stored offset.
func (r *reader) run(ctx context.Context, p plan) error {
	if p.snapshot {
		if err := r.snapshot(ctx, p); err != nil {
			return err
		}
	}
	if !p.stream {
		r.task.logger.Info("snapshot.mode=initial_only: the snapshot is done and nothing is streamed")
		<-ctx.Done()
		return nil
	}
	start := p.start
	backoff := time.Second
	for {
		started := time.Now()
		err := r.stream(ctx, start)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrSlotLost) {
			return err
		}
		if time.Since(started) > time.Minute {
			backoff = time.Second
		}
		r.task.logger.Warn("replication stream lost; reconnecting", "error", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
		if start, err = r.reconnect(ctx); err != nil {
			if errors.Is(err, ErrSlotLost) {
				return err
			}
			r.task.logger.Warn("reconnect failed", "error", err)
		}
	}
}

// reconnect opens both connections again and returns where to resume: the
// stored offset's lsn_commit (records read since are read again, at least
// once) or the slot's position.
func (r *reader) reconnect(ctx context.Context) (pglogrepl.LSN, error) {
	r.close()
	r.conn, r.repl = nil, nil
	cfg := r.task.cfg
	conn, err := connect(ctx, cfg)
	if err != nil {
		return 0, err
	}
	r.conn = conn
	slotAt, ok, err := slotPosition(ctx, conn, cfg.slot)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("%w: replication slot %s disappeared while the connector was reading it; reset the connector's offsets to snapshot again", ErrSlotLost, cfg.slot)
	}
	if r.repl, err = connectReplication(ctx, cfg); err != nil {
		return 0, err
	}
	off, err := r.task.tctx.Offset(ctx, r.task.partition)
	if err != nil {
		return 0, err
	}
	start := slotAt
	if lsn, ok := offsetLSN(off, offLSNCommit); ok && pglogrepl.LSN(lsn) > start {
		start = pglogrepl.LSN(lsn)
	}
	return start, nil
}

// stream reads the replication stream from start until an error.
func (r *reader) stream(ctx context.Context, start pglogrepl.LSN) error {
	if r.repl == nil || r.conn == nil {
		return errors.New("not connected")
	}
	cfg := r.task.cfg
	r.relations, r.inTx, r.pending, r.out = map[uint32]*table{}, false, nil, nil
	r.lastCommit, r.walEnd, r.emitted = start, start, start
	err := pglogrepl.StartReplication(ctx, r.repl, cfg.slot, start, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names '" + cfg.pub + "'"},
	})
	if err != nil {
		return fmt.Errorf("start replication from %s: %w", start, err)
	}
	r.task.logger.Info("streaming changes", "from", start)
	nextStatus := time.Now()
	var recv deadlineCtx
	defer recv.stop()
	for {
		now := time.Now()
		if !now.Before(nextStatus) {
			if err := r.sendStatus(ctx); err != nil {
				return err
			}
			nextStatus = now.Add(min(cfg.statusInterval, time.Second))
		}
		if cfg.xminInterval > 0 && now.Sub(r.xminFetch) >= cfg.xminInterval {
			if err := r.fetchXmin(ctx); err != nil {
				return err
			}
		}
		if cfg.heartbeat > 0 && now.Sub(r.lastBeat) >= cfg.heartbeat {
			if err := r.heartbeat(ctx); err != nil {
				return err
			}
		}
		msg, err := r.repl.ReceiveMessage(recv.until(ctx, nextStatus))
		if err != nil {
			if pgconn.Timeout(err) && ctx.Err() == nil {
				continue
			}
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.ErrorResponse:
			return pgconn.ErrorResponseToPgError(m)
		case *pgproto3.CopyData:
			if err := r.copyData(ctx, m.Data); err != nil {
				return err
			}
		}
	}
}

// deadlineCtx is a context with a deadline, made anew only when the
// deadline changes: the stream waits for each message until the next status
// update, and a context per message cost a tenth of the stream's CPU.
type deadlineCtx struct {
	ctx    context.Context
	at     time.Time
	cancel context.CancelFunc
}

// until returns a context of parent that ends at at.
func (d *deadlineCtx) until(parent context.Context, at time.Time) context.Context {
	if d.ctx == nil || !d.at.Equal(at) {
		d.stop()
		d.ctx, d.cancel = context.WithDeadline(parent, at)
		d.at = at
	}
	return d.ctx
}

// stop releases the current context.
func (d *deadlineCtx) stop() {
	if d.cancel != nil {
		d.cancel()
	}
}

// fetchXmin reads the slot's catalog_xmin (xmin.fetch.interval.ms), the
// oldest transaction whose catalog rows the slot still needs, as Debezium
// does. A slot without one leaves the last value known.
func (r *reader) fetchXmin(ctx context.Context) error {
	r.xminFetch = time.Now()
	var xmin *int64
	if err := r.conn.QueryRow(ctx, "SELECT catalog_xmin::text::bigint FROM pg_replication_slots WHERE slot_name = $1", r.task.cfg.slot).Scan(&xmin); err != nil {
		return fmt.Errorf("read the catalog_xmin of slot %s: %w", r.task.cfg.slot, err)
	}
	if xmin != nil {
		r.xmin = *xmin
	}
	return nil
}

// sendStatus reports the committed position: written, flushed and applied
// are all the LSN whose offsets the runtime stored.
func (r *reader) sendStatus(ctx context.Context) error {
	lsn := pglogrepl.LSN(r.task.confirmed.Load())
	return pglogrepl.SendStandbyStatusUpdate(ctx, r.repl, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: lsn, WALFlushPosition: lsn, WALApplyPosition: lsn,
	})
}

// copyData handles one message of the stream.
func (r *reader) copyData(ctx context.Context, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	switch data[0] {
	case pglogrepl.PrimaryKeepaliveMessageByteID:
		ka, err := pglogrepl.ParsePrimaryKeepaliveMessage(data[1:])
		if err != nil {
			return err
		}
		if !r.inTx && ka.ServerWALEnd > r.walEnd {
			r.walEnd = ka.ServerWALEnd
		}
		if ka.ReplyRequested {
			return r.sendStatus(ctx)
		}
	case pglogrepl.XLogDataByteID:
		x, err := pglogrepl.ParseXLogData(data[1:])
		if err != nil {
			return err
		}
		if len(x.WALData) > 0 && (x.WALData[0] == 'I' || x.WALData[0] == 'U' || x.WALData[0] == 'D') {
			m, err := parseRowChange(x.WALData)
			if err != nil {
				return fmt.Errorf("decode pgoutput message at %s: %w", x.WALStart, err)
			}
			return r.rowChange(ctx, m, x.WALStart)
		}
		msg, err := pglogrepl.Parse(x.WALData)
		if err != nil {
			return fmt.Errorf("decode pgoutput message at %s: %w", x.WALStart, err)
		}
		return r.message(ctx, msg, x.WALStart)
	}
	return nil
}

// message handles one pgoutput message.
func (r *reader) message(ctx context.Context, msg pglogrepl.Message, at pglogrepl.LSN) error {
	cfg := r.task.cfg
	switch m := msg.(type) {
	case *pglogrepl.RelationMessage:
		return r.relation(ctx, m)
	case *pglogrepl.BeginMessage:
		r.inTx, r.xid, r.commitTime = true, m.Xid, m.CommitTime
	case *pglogrepl.TruncateMessage:
		if cfg.skipped["t"] {
			return nil
		}
		for _, id := range m.RelationIDs {
			if tb := r.relations[id]; tb != nil {
				rec := r.record(tb, nil, tb.envelope("t", nil, nil, r.source(at), cfg.prefix), r.commitTime)
				if err := r.hold(ctx, rec, at); err != nil {
					return err
				}
			}
		}
	case *pglogrepl.CommitMessage:
		r.inTx = false
		if r.pending != nil {
			r.pending.SourceOffset[offLSNCommit] = int64(m.TransactionEndLSN)
			if err := r.send(ctx, r.pending); err != nil {
				return err
			}
			r.pending, r.emitted = nil, m.TransactionEndLSN
		}
		if err := r.flush(ctx); err != nil {
			return err
		}
		r.lastCommit = m.TransactionEndLSN
		if m.TransactionEndLSN > r.walEnd {
			r.walEnd = m.TransactionEndLSN
		}
	}
	return nil
}

// rowChange handles an insert, update or delete of a captured table, unless
// skipped.operations leaves it out.
func (r *reader) rowChange(ctx context.Context, m rowChange, at pglogrepl.LSN) error {
	tb := r.relations[m.relation]
	op := "c"
	switch m.kind {
	case 'U':
		op = "u"
	case 'D':
		op = "d"
	}
	if tb == nil || r.task.cfg.skipped[op] {
		return nil
	}
	return r.change(ctx, tb, op, m.old, m.new, at)
}

// relation records a table's shape, from the message's columns and the
// catalog's primary key, nullability and enum labels.
func (r *reader) relation(ctx context.Context, m *pglogrepl.RelationMessage) error {
	if !r.task.cfg.captured(m.Namespace, m.RelationName) {
		r.relations[m.RelationID] = nil
		return nil
	}
	cat, err := loadColumns(ctx, r.conn, m.RelationID)
	if err != nil {
		return err
	}
	byName := make(map[string]catalogColumn, len(cat))
	for _, c := range cat {
		byName[c.name] = c
	}
	cols := make([]catalogColumn, len(m.Columns))
	for i, mc := range m.Columns {
		c := byName[mc.Name]
		c.name = mc.Name
		if c.typ.oid != mc.DataType { // the table changed again since: trust the message's type
			c.typ = pgType{oid: mc.DataType, typmod: mc.TypeModifier, kind: 'b'}
		}
		c.typ.typmod = mc.TypeModifier
		cols[i] = c
	}
	r.relations[m.RelationID] = r.task.cfg.newTable(m.Namespace, m.RelationName, cols, m.ReplicaIdentity == 'f')
	return nil
}

// change emits an insert, update or delete event (and the tombstone after a
// delete). An update that changes the primary key is, as in Debezium, a
// delete of the old key (with its tombstone) and a create of the new one,
// with headers __debezium.newkey and __debezium.oldkey, so that compacted
// topics do not keep the old row.
func (r *reader) change(ctx context.Context, tb *table, op string, old, cur []cell, at pglogrepl.LSN) error {
	var before, after, oldKey, key *connectors.Struct
	var err error
	if old != nil {
		if before, oldKey, err = tb.decodeRow(old); err != nil {
			return err
		}
		key = oldKey
	}
	if cur != nil {
		if after, key, err = tb.decodeRow(cur); err != nil {
			return err
		}
	}
	if op == "u" && oldKey != nil && key != nil && !connectors.ValuesEqual(oldKey, key) {
		del := r.event(tb, oldKey, "d", before, nil, at)
		del.Headers.Add("__debezium.newkey", key, tb.keySchema)
		if err := r.emitChange(ctx, tb, del, oldKey, at); err != nil {
			return err
		}
		create := r.event(tb, key, "c", nil, after, at)
		create.Headers.Add("__debezium.oldkey", oldKey, tb.keySchema)
		return r.hold(ctx, create, at)
	}
	return r.emitChange(ctx, tb, r.event(tb, key, op, before, after, at), key, at)
}

// event builds a streamed change record.
func (r *reader) event(tb *table, key *connectors.Struct, op string, before, after *connectors.Struct, at pglogrepl.LSN) *connectors.Record {
	return r.record(tb, key, tb.envelope(op, before, after, r.source(at), r.task.cfg.prefix), r.commitTime)
}

// emitChange holds rec and, after a delete, its tombstone.
func (r *reader) emitChange(ctx context.Context, tb *table, rec *connectors.Record, key *connectors.Struct, at pglogrepl.LSN) error {
	if err := r.hold(ctx, rec, at); err != nil {
		return err
	}
	if rec.Value.(*connectors.Struct).Get("op") == "d" && r.task.cfg.tombstones && key != nil {
		tomb := &connectors.Record{Topic: tb.topic, Key: key, KeySchema: tb.keySchema, Timestamp: r.commitTime, SourcePartition: r.task.partition}
		return r.hold(ctx, tomb, at)
	}
	return nil
}

// hold makes rec the pending record of the transaction, emitting the one
// it replaces: that one is not the transaction's last, so its offset keeps
// the previous transaction's end as the restart point.
func (r *reader) hold(ctx context.Context, rec *connectors.Record, at pglogrepl.LSN) error {
	rec.SourceOffset = map[string]any{offLSN: int64(at), offLSNCommit: int64(r.lastCommit), offTxID: int64(r.xid), offTsUsec: r.commitTime.UnixMicro()}
	if r.xmin != 0 {
		rec.SourceOffset[offXmin] = r.xmin
	}
	prev := r.pending
	r.pending = rec
	if prev != nil {
		return r.send(ctx, prev)
	}
	return nil
}

// send adds a change to the batch for Poll, queueing the batch when full;
// the rest is queued at the transaction's commit.
func (r *reader) send(ctx context.Context, rec *connectors.Record) error {
	if r.out == nil {
		r.out = make([]*connectors.Record, 0, r.task.chunk())
	}
	r.out = append(r.out, rec)
	if len(r.out) < cap(r.out) {
		return nil
	}
	return r.flush(ctx)
}

// flush queues the batch of changes for Poll.
func (r *reader) flush(ctx context.Context) error {
	if len(r.out) == 0 {
		return nil
	}
	out := r.out
	r.out = nil
	return r.task.emitBatch(ctx, out)
}

// source is the source block of a streamed event.
func (r *reader) source(at pglogrepl.LSN) sourceInfo {
	return sourceInfo{db: r.db, commit: r.commitTime, snapshot: "false", txID: int64(r.xid), lsn: uint64(at), lastCommit: uint64(r.lastCommit), xmin: r.xmin}
}

// heartbeat runs heartbeat.action.query and, outside a transaction and
// when the server is ahead of what was last emitted, sends a heartbeat
// record whose offset carries the server's position, so that the slot
// advances while the captured tables are idle.
func (r *reader) heartbeat(ctx context.Context) error {
	cfg := r.task.cfg
	r.lastBeat = time.Now()
	if cfg.heartbeatQuery != "" {
		if _, err := r.conn.Exec(ctx, cfg.heartbeatQuery); err != nil {
			r.task.logger.Warn("heartbeat.action.query failed", "error", err)
		}
	}
	if r.inTx || r.walEnd <= r.emitted {
		return nil
	}
	r.emitted = r.walEnd
	key := connectors.NewStruct(heartbeatKeySchema).Put("serverName", cfg.prefix)
	value := connectors.NewStruct(heartbeatValueSchema).Put("ts_ms", r.lastBeat.UnixMilli())
	return r.task.emit(ctx, &connectors.Record{
		Topic: "__debezium-heartbeat." + cfg.prefix, Key: key, KeySchema: heartbeatKeySchema,
		Value: value, ValueSchema: heartbeatValueSchema, Timestamp: r.lastBeat, SourcePartition: r.task.partition,
		SourceOffset: map[string]any{offLSN: int64(r.walEnd), offLSNCommit: int64(r.walEnd), offTsUsec: r.lastBeat.UnixMicro()},
	})
}

// Debezium's heartbeat record schemas.
var (
	heartbeatKeySchema = connectors.StructSchema().Name("io.debezium.connector.common.ServerNameKey").
				Field("serverName", connectors.StringSchema).MustBuild()
	heartbeatValueSchema = connectors.StructSchema().Name("io.debezium.connector.common.Heartbeat").
				Field("ts_ms", connectors.Int64Schema).MustBuild()
)
