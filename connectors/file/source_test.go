package file

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"conflux/configs"
	"conflux/connectors"
)

type fakeTaskContext struct{ offset map[string]any }

func (c *fakeTaskContext) Config() map[string]string { return nil }

func (c *fakeTaskContext) Offset(context.Context, map[string]any) (map[string]any, error) {
	return c.offset, nil
}

func (c *fakeTaskContext) Offsets(ctx context.Context, ps []map[string]any) ([]map[string]any, error) {
	out := make([]map[string]any, len(ps))
	for i := range ps {
		out[i] = c.offset
	}
	return out, nil
}

func startSource(t *testing.T, path string, offset map[string]any, extra ...string) *SourceTask {
	t.Helper()
	cfg := map[string]string{KeyFile: path, KeyTopic: "lines"}
	for i := 0; i+1 < len(extra); i += 2 {
		cfg[extra[i]] = extra[i+1]
	}
	task := &SourceTask{pollInterval: time.Millisecond}
	var tctx connectors.SourceTaskContext
	if offset != nil {
		tctx = &fakeTaskContext{offset: offset}
	}
	if err := task.Start(context.Background(), tctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { task.Stop() })
	return task
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

func poll(t *testing.T, task *SourceTask) []*connectors.Record {
	t.Helper()
	recs, err := task.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func values(recs []*connectors.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Value.(string)
	}
	return out
}

func TestSourceReadsLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	appendFile(t, path, "one\ntwo\r\n\nthré€\npartial")
	task := startSource(t, path, nil)
	recs := poll(t, task)
	if got := strings.Join(values(recs), "|"); got != "one|two||thré€" {
		t.Fatalf("values %q", got)
	}
	positions := []int64{4, 9, 10, 19} // bytes, not characters
	for i, r := range recs {
		if r.Topic != "lines" || r.Key != nil || r.KeySchema != nil || r.ValueSchema != connectors.StringSchema {
			t.Fatalf("record %+v", r)
		}
		if r.SourcePartition["filename"] != path || r.SourceOffset["position"] != positions[i] {
			t.Fatalf("record %d partition %v offset %v", i, r.SourcePartition, r.SourceOffset)
		}
	}
	// The partial line waits for its newline.
	if recs := poll(t, task); len(recs) != 0 {
		t.Fatalf("partial line emitted: %q", values(recs))
	}
	appendFile(t, path, " line\r")
	if recs := poll(t, task); len(recs) != 0 {
		t.Fatalf("line emitted before its newline: %q", values(recs))
	}
	appendFile(t, path, "\nnext\n")
	recs = poll(t, task)
	if got := strings.Join(values(recs), "|"); got != "partial line|next" {
		t.Fatalf("values %q", got)
	}
	if recs[1].SourceOffset["position"] != int64(len("one\ntwo\r\n\nthré€\npartial line\r\nnext\n")) {
		t.Fatalf("offset %v", recs[1].SourceOffset)
	}
}

func TestSourceBatchSizeAndLongLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	long := strings.Repeat("x", 3*readSize+17)
	var sb strings.Builder
	for i := range 5000 {
		sb.WriteString(strconv.Itoa(i))
		sb.WriteByte('\n')
	}
	sb.WriteString(long + "\n")
	appendFile(t, path, sb.String())
	task := startSource(t, path, nil, KeyBatchSize, "2000")
	var got []string
	for range 3 {
		recs := poll(t, task)
		if len(recs) > 2000 {
			t.Fatalf("batch of %d", len(recs))
		}
		got = append(got, values(recs)...)
	}
	got = append(got, values(poll(t, task))...)
	if len(got) != 5001 || got[4999] != "4999" || got[5000] != long {
		t.Fatalf("%d lines, last %.20q", len(got), got[len(got)-1])
	}
}

func TestSourceResumesFromOffset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	appendFile(t, path, "a\nbé\nc\n")
	first := poll(t, startSource(t, path, nil))
	// Stored as the offsets topic gives it back: JSON numbers.
	b, _ := json.Marshal(first[1].SourceOffset)
	var stored map[string]any
	json.Unmarshal(b, &stored)
	appendFile(t, path, "d\n")
	task := startSource(t, path, stored)
	if got := strings.Join(values(poll(t, task)), "|"); got != "c|d" {
		t.Fatalf("resumed values %q", got)
	}
	if err := (&SourceTask{}).Start(context.Background(), &fakeTaskContext{offset: map[string]any{"position": "x"}},
		map[string]string{KeyFile: path, KeyTopic: "t"}); !errors.Is(err, ErrBadOffset) {
		t.Errorf("Start with a bad offset = %v", err)
	}
}

func TestSourceTruncationAndReplacement(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.txt")
	appendFile(t, path, "a\nb\nc\n")
	// A stored position beyond the end: truncated while stopped.
	task := startSource(t, path, map[string]any{"position": int64(100)})
	if got := strings.Join(values(poll(t, task)), "|"); got != "a|b|c" {
		t.Fatalf("after start-up truncation %q", got)
	}
	// Truncated while running.
	if err := os.WriteFile(path, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(values(poll(t, task)), "|"); got != "x" {
		t.Fatalf("after truncation %q", got)
	}
	// Replaced by a new file (rename over it).
	tmp := filepath.Join(dir, "new.txt")
	os.WriteFile(tmp, []byte("new1\nnew2\n"), 0o644)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	recs := poll(t, task)
	if got := strings.Join(values(recs), "|"); got != "new1|new2" || recs[1].SourceOffset["position"] != int64(10) {
		t.Fatalf("after replacement %q %v", got, recs)
	}
}

func TestSourceMissingFileAndStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.txt")
	task := startSource(t, path, nil)
	if recs := poll(t, task); len(recs) != 0 {
		t.Fatalf("records from a missing file: %v", recs)
	}
	appendFile(t, path, "hello\n")
	if got := values(poll(t, task)); len(got) != 1 || got[0] != "hello" {
		t.Fatalf("values %q", got)
	}

	// Stop wakes a Poll waiting at the end of the file.
	task.pollInterval = time.Hour
	done := make(chan error)
	go func() {
		_, err := task.Poll(context.Background())
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	task.Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Poll after Stop = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not wake Poll")
	}
}

func TestSourceConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  map[string]string
		kind error
		msg  string
	}{
		{map[string]string{KeyTopic: "t"}, configs.ErrMissing, `Missing required configuration "file"`},
		{map[string]string{KeyFile: "f"}, configs.ErrMissing, `Missing required configuration "topic"`},
		{map[string]string{KeyFile: "f", KeyTopic: "a,b"}, configs.ErrInvalidValue, "requires definition of a single topic"},
		{map[string]string{KeyFile: "f", KeyTopic: "t", KeyBatchSize: "0"}, configs.ErrInvalidValue, "Value must be at least 1"},
	} {
		err := (&SourceConnector{}).Start(context.Background(), nil, tc.cfg)
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Start(%v) = %v, want %q", tc.cfg, err, tc.msg)
		}
	}
	c := &SourceConnector{}
	if err := c.Start(context.Background(), nil, map[string]string{KeyFile: "f", KeyTopic: "t"}); err != nil {
		t.Fatal(err)
	}
	if tcs, _ := c.TaskConfigs(4); len(tcs) != 1 {
		t.Errorf("%d task configs, want 1", len(tcs))
	}
}
