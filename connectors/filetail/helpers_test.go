package filetail

import (
	"context"
	"fmt"
	"maps"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"conflux/connectors"
)

// offsetStore stands in for the runtime's offset storage: it keeps the
// offset of the last record of each source partition it was given, as the
// runtime does once Kafka acknowledged the record.
type offsetStore struct {
	mu      sync.Mutex
	offsets map[string]map[string]any
}

func newOffsetStore() *offsetStore { return &offsetStore{offsets: make(map[string]map[string]any)} }

func (s *offsetStore) Config() map[string]string { return nil }

func (s *offsetStore) Offset(_ context.Context, p map[string]any) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.offsets[fmt.Sprint(p[partitionFileID])]), nil
}

func (s *offsetStore) Offsets(ctx context.Context, ps []map[string]any) ([]map[string]any, error) {
	out := make([]map[string]any, len(ps))
	for i, p := range ps {
		out[i], _ = s.Offset(ctx, p)
	}
	return out, nil
}

func (s *offsetStore) commit(recs []*connectors.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range recs {
		if r.SourceOffset != nil {
			s.offsets[fmt.Sprint(r.SourcePartition[partitionFileID])] = r.SourceOffset
		}
	}
}

// got is one record as a test looks at it.
type got struct {
	value  any
	path   string
	offset int64
	fileID string
	end    int64 // -1 unless the record carries its source offset (the last of its file in a poll)
}

func (g got) text() string { s, _ := g.value.(string); return s }

// tail is a started task and what it has published.
type tail struct {
	t     *testing.T
	task  *Task
	store *offsetStore
	recs  []got
}

// startTail starts a task with a short scan interval, config over the
// defaults a test needs.
func startTail(t *testing.T, store *offsetStore, config map[string]string) *tail {
	t.Helper()
	cfg := map[string]string{KeyTopic: "logs", KeyPollInterval: "20"}
	maps.Copy(cfg, config)
	task := &Task{}
	if err := task.Start(context.Background(), store, cfg); err != nil {
		t.Fatal(err)
	}
	tl := &tail{t: t, task: task, store: store}
	t.Cleanup(func() { task.Stop() })
	return tl
}

// pollUntil polls, committing what it gets, until cond holds for what was
// published, or fails the test after a deadline.
func (tl *tail) pollUntil(what string, cond func([]got) bool) {
	tl.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond(tl.recs) {
		if time.Now().After(deadline) {
			tl.t.Fatalf("timed out waiting for %s; %d records, last %+v", what, len(tl.recs), lastOf(tl.recs))
		}
		tl.pollOnce()
	}
}

func (tl *tail) pollOnce() {
	tl.t.Helper()
	recs, err := tl.task.Poll(context.Background())
	if err != nil {
		tl.t.Fatal(err)
	}
	settled := map[string]bool{} // files whose last record of this poll was seen
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		if id := fmt.Sprint(r.SourcePartition[partitionFileID]); !settled[id] {
			settled[id] = true
			if r.SourceOffset == nil {
				tl.t.Fatalf("the last record of file %s in a poll has no source offset", id)
			}
		}
	}
	for _, r := range recs {
		g := got{value: r.Value, end: -1}
		if r.SourceOffset != nil {
			g.end = r.SourceOffset[offsetPosition].(int64)
		}
		if h, ok := r.Headers.Last(HeaderPath); ok {
			g.path = h.Value.(string)
		}
		if h, ok := r.Headers.Last(HeaderOffset); ok {
			g.offset = h.Value.(int64)
		}
		if h, ok := r.Headers.Last(HeaderFileID); ok {
			g.fileID = h.Value.(string)
		}
		tl.recs = append(tl.recs, g)
	}
	tl.store.commit(recs)
}

func lastOf(recs []got) any {
	if len(recs) == 0 {
		return nil
	}
	return recs[len(recs)-1]
}

func atLeast(n int) func([]got) bool { return func(r []got) bool { return len(r) >= n } }

func texts(recs []got) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.text()
	}
	return out
}

// numbered is line i of a test file: "line-<i>" padded to 60 bytes.
func numbered(i int) string { return fmt.Sprintf("line-%07d %-44s", i, "x") }

// lineNumber parses numbered's output; -1 if it is not one.
func lineNumber(s string) int {
	if len(s) < 12 || s[:5] != "line-" {
		return -1
	}
	n, err := strconv.Atoi(s[5:12])
	if err != nil {
		return -1
	}
	return n
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
}
