package postgres

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"conflux/connectors"
	"conflux/internal/pgtest"
)

// offsetStore stands in for the runtime's offset storage: commit stores
// the offsets of records as the runtime does once Kafka acknowledged them.
type offsetStore struct {
	mu     sync.Mutex
	config map[string]string
	stored map[string]any
}

func (s *offsetStore) Config() map[string]string { return s.config }

func (s *offsetStore) Offset(_ context.Context, _ map[string]any) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.stored), nil
}

func (s *offsetStore) Offsets(ctx context.Context, parts []map[string]any) ([]map[string]any, error) {
	out := make([]map[string]any, len(parts))
	for i, p := range parts {
		out[i], _ = s.Offset(ctx, p)
	}
	return out, nil
}

// commit stores the offset of the last record that carries one.
func (s *offsetStore) commit(recs []*connectors.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range recs {
		if r.SourceOffset != nil {
			s.stored = maps.Clone(r.SourceOffset)
		}
	}
}

// harness is a task on a test server, with its stored offsets.
type harness struct {
	t      testing.TB
	pg     *pgtest.Server
	db     string
	config map[string]string
	store  *offsetStore
	task   *Task
	got    []*connectors.Record
}

// newHarness starts a server, creates database "shop" and runs setup
// statements in it.
func newHarness(t testing.TB, setup ...string) *harness {
	t.Helper()
	pg := pgtest.Start(t)
	db := pg.CreateDatabase(t, "shop")
	pg.Exec(t, db, setup...)
	h := &harness{t: t, pg: pg, db: db, store: &offsetStore{}}
	h.config = map[string]string{
		"database.url": pg.DSN(db), "topic.prefix": "dbserver1", "slot.name": "conflux",
		"publication.name": "conflux_pub", "skipped.operations": "none",
	}
	return h
}

// start starts a new task with the harness's config and stored offsets.
func (h *harness) start() {
	h.t.Helper()
	h.task = &Task{}
	h.store.config = h.config
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.task.Start(ctx, h.store, h.config); err != nil {
		h.t.Fatalf("Start: %v", err)
	}
	task := h.task
	h.t.Cleanup(func() { task.Stop() })
}

// stop stops the task.
func (h *harness) stop() {
	h.t.Helper()
	if err := h.task.Stop(); err != nil {
		h.t.Errorf("Stop: %v", err)
	}
}

// pollUntil polls, committing each batch as the runtime would, until cond
// holds for everything received so far.
func (h *harness) pollUntil(what string, cond func(got []*connectors.Record) bool) {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond(h.got) {
		if time.Now().After(deadline) {
			h.t.Fatalf("waited 60s for %s; got %d records", what, len(h.got))
		}
		recs, err := h.task.Poll(context.Background())
		if err != nil {
			h.t.Fatalf("Poll: %v", err)
		}
		h.got = append(h.got, recs...)
		h.store.commit(recs)
		if err := h.task.Commit(context.Background()); err != nil {
			h.t.Fatalf("Commit: %v", err)
		}
	}
}

// changes returns the received change events (not tombstones or
// heartbeats) of a topic.
func changes(got []*connectors.Record, topic string) []*connectors.Struct {
	var out []*connectors.Struct
	for _, r := range got {
		if r.Topic == topic && r.Value != nil {
			out = append(out, r.Value.(*connectors.Struct))
		}
	}
	return out
}

// field reads a field of the before or after row of an event.
func field(env *connectors.Struct, side, name string) any {
	row, _ := env.Get(side).(*connectors.Struct)
	if row == nil {
		return nil
	}
	return row.Get(name)
}

func countAtLeast(topic string, n int) func([]*connectors.Record) bool {
	return func(got []*connectors.Record) bool { return len(changes(got, topic)) >= n }
}
