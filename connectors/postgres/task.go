package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"conflux/connectors"
)

// Offset keys, Debezium's.
const (
	offLSN               = "lsn"
	offLSNCommit         = "lsn_commit"
	offTxID              = "txId"
	offTsUsec            = "ts_usec"
	offXmin              = "xmin"
	offSnapshot          = "snapshot"
	offSnapshotCompleted = "snapshot_completed"
	offLastSnapshot      = "last_snapshot_record"
)

// Task reads one database: an optional snapshot, then the change stream.
// Poll hands out what a background reader queued; Commit passes the stored
// offset's LSN to the reader, which reports it to the server.
type Task struct {
	cfg       *config
	tctx      connectors.SourceTaskContext
	partition map[string]any
	logger    *slog.Logger

	records  chan []*connectors.Record // batches, as the reader sends them
	leftover []*connectors.Record      // of the batch Poll took last; Poll's alone
	errc     chan error
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	confirmed atomic.Uint64 // the LSN Postgres may forget WAL before
	progress  progress
}

// plan says what the reader does: snapshot or not, and where streaming
// starts.
type plan struct {
	snapshot     bool
	snapshotName string // exported by a slot just created; "" for a fresh REPEATABLE READ
	start        pglogrepl.LSN
	stream       bool
}

// Start connects, creates the publication and slot when missing, decides
// between snapshot and stream from the stored offset and snapshot.mode, and
// starts the reader.
func (t *Task) Start(ctx context.Context, tctx connectors.SourceTaskContext, config map[string]string) error {
	cfg, err := parseConfig(config)
	if err != nil {
		return err
	}
	t.cfg, t.tctx, t.logger = cfg, tctx, slog.Default().With("connector", "postgres", "slot", cfg.slot)
	t.partition = map[string]any{"server": cfg.prefix}
	stored, err := tctx.Offset(ctx, t.partition)
	if err != nil {
		return fmt.Errorf("read the stored offset: %w", err)
	}
	conn, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	if err := ensurePublication(ctx, conn, cfg); err != nil {
		conn.Close(ctx)
		return err
	}
	repl, err := connectReplication(ctx, cfg)
	if err != nil {
		conn.Close(ctx)
		return err
	}
	p, err := t.plan(ctx, conn, repl, stored)
	if err != nil {
		conn.Close(ctx)
		repl.Close(ctx)
		return err
	}
	t.confirmed.Store(uint64(p.start))
	t.progress.planned.Store(p.snapshot)
	t.records = make(chan []*connectors.Record, max(1, cfg.queue/t.chunk()))
	t.errc = make(chan error, 1)
	rctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		r := &reader{task: t, conn: conn, repl: repl, db: conn.Config().Database}
		err := r.run(rctx, p)
		r.close()
		if err != nil && rctx.Err() == nil {
			t.errc <- err
		}
	}()
	return nil
}

// plan decides the reader's work. It may create the slot, exporting its
// snapshot for the initial snapshot.
func (t *Task) plan(ctx context.Context, conn *pgx.Conn, repl *pgconn.PgConn, stored map[string]any) (plan, error) {
	cfg := t.cfg
	slotAt, slotExists, err := slotPosition(ctx, conn, cfg.slot)
	if err != nil {
		return plan{}, err
	}
	committed, streaming := offsetLSN(stored, offLSNCommit)
	if done, _ := stored[offSnapshotCompleted].(bool); stored[offSnapshot] == true && !done {
		streaming = false // a snapshot was interrupted: do it again
	}
	wantSnapshot := map[string]bool{
		snapshotInitial: !streaming, snapshotInitialOnly: !streaming, snapshotAlways: true,
		snapshotWhenNeeded: !streaming || !slotExists, snapshotNoData: false,
	}[cfg.snapshotMode]
	if streaming && !slotExists && !wantSnapshot {
		return plan{}, fmt.Errorf("%w: the stored offsets continue from LSN %s in replication slot %s, which no longer exists, so the changes since then cannot be read; "+
			"to start again with a new snapshot, set snapshot.mode=when_needed or reset the connector's offsets (stop it, then DELETE /connectors/<name>/offsets)",
			ErrSlotLost, pglogrepl.LSN(committed), cfg.slot)
	}
	p := plan{snapshot: wantSnapshot, stream: cfg.snapshotMode != snapshotInitialOnly, start: slotAt}
	if streaming && slotExists && pglogrepl.LSN(committed) > slotAt {
		p.start = pglogrepl.LSN(committed)
	}
	if !slotExists {
		res, err := createSlot(ctx, repl, cfg.slot, wantSnapshot)
		if err != nil {
			return plan{}, err
		}
		if p.start, err = pglogrepl.ParseLSN(res.ConsistentPoint); err != nil {
			return plan{}, fmt.Errorf("slot %s consistent point %q: %w", cfg.slot, res.ConsistentPoint, err)
		}
		p.snapshotName = res.SnapshotName
		t.logger.Info("created replication slot", "consistent_point", p.start, "snapshot", res.SnapshotName)
	}
	return p, nil
}

// offsetLSN reads an LSN from a stored offset.
func offsetLSN(off map[string]any, key string) (uint64, bool) {
	switch v := off[key].(type) {
	case int64:
		return uint64(v), v > 0
	case float64:
		return uint64(v), v > 0
	}
	return 0, false
}

// Poll returns the queued records: it waits up to a second for the first,
// then takes what is there, up to max.batch.size.
func (t *Task) Poll(ctx context.Context) ([]*connectors.Record, error) {
	if len(t.leftover) == 0 {
		timer := time.NewTimer(time.Second)
		defer timer.Stop()
		select {
		case b := <-t.records:
			t.leftover = b
		case err := <-t.errc:
			return nil, err
		case <-timer.C:
			return nil, nil
		case <-ctx.Done():
			return nil, nil
		}
	}
	out := make([]*connectors.Record, 0, min(t.cfg.batch, len(t.leftover)))
	for {
		n := min(len(t.leftover), t.cfg.batch-len(out))
		out = append(out, t.leftover[:n]...)
		t.leftover = t.leftover[n:]
		if len(out) == t.cfg.batch {
			return out, nil
		}
		select {
		case b := <-t.records:
			t.leftover = b
		default:
			return out, nil
		}
	}
}

// Commit reads back the offset the runtime stored and lets the reader
// report its lsn_commit to the server, never anything newer.
func (t *Task) Commit(ctx context.Context) error {
	off, err := t.tctx.Offset(ctx, t.partition)
	if err != nil {
		return err
	}
	if lsn, ok := offsetLSN(off, offLSNCommit); ok {
		for {
			cur := t.confirmed.Load()
			if lsn <= cur || t.confirmed.CompareAndSwap(cur, lsn) {
				break
			}
		}
	}
	return nil
}

// Stop stops the reader and closes the connections; with slot.drop.on.stop
// it drops the slot.
func (t *Task) Stop() error {
	if t.cancel == nil {
		return nil
	}
	t.cancel()
	t.wg.Wait()
	if !t.cfg.dropSlot {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := connect(ctx, t.cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, t.cfg.slot)
	return err
}

// snapshotChunk is the most read events the snapshot hands to Poll at
// once: a channel operation per batch rather than per row.
const snapshotChunk = 256

// chunk is the snapshot's batch size, no more than max.queue.size.
func (t *Task) chunk() int { return max(1, min(snapshotChunk, t.cfg.queue)) }

// emit queues a record for Poll.
func (t *Task) emit(ctx context.Context, rec *connectors.Record) error {
	return t.emitBatch(ctx, []*connectors.Record{rec})
}

// emitBatch queues records for Poll, which then owns the slice.
func (t *Task) emitBatch(ctx context.Context, recs []*connectors.Record) error {
	select {
	case t.records <- recs:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errStopped is returned inside the reader when its context ends.
var errStopped = errors.New("reader stopped")
