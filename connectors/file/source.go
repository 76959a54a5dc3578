package file

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"sync"
	"time"

	"conflux/connectors"
)

func init() {
	connectors.Register(connectors.Plugin{
		Name:      "file-source",
		Aliases:   []string{"org.apache.kafka.connect.file.FileStreamSourceConnector"},
		Type:      connectors.PluginSource,
		Version:   Version,
		Summary:   "Publishes each line of a file, following appends, like Kafka's FileStreamSource.",
		ConfigDef: sourceDef,
		New:       func() any { return &SourceConnector{} },
	})
}

// Source offset keys, Kafka's.
const (
	partitionFilename = "filename"
	offsetPosition    = "position"
)

const (
	// defaultPollInterval is how long Poll waits at the end of the file
	// (or while it does not exist) before looking again.
	defaultPollInterval = 250 * time.Millisecond
	// readSize is the initial read buffer; it doubles for longer lines.
	readSize = 64 << 10
)

// SourceConnector is the file source connector; it always runs one task.
type SourceConnector struct {
	config map[string]string
}

// Start implements connectors.SourceConnector.
func (c *SourceConnector) Start(_ context.Context, _ connectors.ConnectorContext, config map[string]string) error {
	if _, err := sourceDef.Parse(config); err != nil {
		return fmt.Errorf("file source: %w", err)
	}
	c.config = config
	return nil
}

// TaskConfigs implements connectors.SourceConnector: one task, whatever
// tasks.max says, since one file cannot be split.
func (c *SourceConnector) TaskConfigs(int) ([]map[string]string, error) {
	return []map[string]string{c.config}, nil
}

// Stop implements connectors.SourceConnector.
func (c *SourceConnector) Stop() error { return nil }

// NewTask implements connectors.SourceConnector.
func (c *SourceConnector) NewTask() connectors.SourceTask { return &SourceTask{} }

// SourceTask publishes the lines of a file as string values with no key.
// Lines end with \n or \r\n, which are not part of the value; a last line
// without a newline is held back until its newline arrives.
//
// Its source partition is {"filename": path} and each record's offset
// {"position": p}, p being the byte offset just past the record's line
// (Kafka counts characters there but skips bytes when resuming, which
// breaks on multi-byte UTF-8; Conflux counts bytes). It resumes from the
// stored position. At the end of the file it waits and looks again; when
// the file shrinks below the position (truncation) or is replaced by
// another file at the same path, it starts again from the beginning.
type SourceTask struct {
	pollInterval time.Duration // 0 means defaultPollInterval

	path      string
	topic     string
	batchSize int
	partition map[string]any
	log       *slog.Logger

	mu      sync.Mutex // guards f against a Stop that runs while Poll does
	f       *os.File
	pos     int64  // file offset just past the last line returned
	buf     []byte // buf[start:end] are bytes read but not returned yet
	start   int
	end     int
	readPos int64 // file offset of buf[end]

	stopOnce sync.Once
	stop     chan struct{}
}

// Start implements connectors.SourceTask.
func (t *SourceTask) Start(ctx context.Context, tctx connectors.SourceTaskContext, config map[string]string) error {
	v, err := sourceDef.Parse(config)
	if err != nil {
		return fmt.Errorf("file source: %w", err)
	}
	t.path, t.topic, t.batchSize = v.String(KeyFile), v.String(KeyTopic), v.Int(KeyBatchSize)
	t.partition = map[string]any{partitionFilename: t.path}
	t.log = slog.Default().With("connector", config["name"], "file", t.path)
	t.stop = make(chan struct{})
	if t.pollInterval == 0 {
		t.pollInterval = defaultPollInterval
	}
	if tctx != nil {
		off, err := tctx.Offset(ctx, t.partition)
		if err != nil {
			return fmt.Errorf("file source %s: read offset: %w", t.path, err)
		}
		if off != nil {
			p, ok := asInt64(off[offsetPosition])
			if !ok || p < 0 {
				return fmt.Errorf("%w: %v for %s", ErrBadOffset, off, t.path)
			}
			t.pos = p
		}
	}
	return nil
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), true
		}
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	}
	return 0, false
}

// Poll implements connectors.SourceTask. It returns up to batch.size lines;
// at the end of the file it waits up to its poll interval and returns
// nothing.
func (t *SourceTask) Poll(ctx context.Context) ([]*connectors.Record, error) {
	if t.f == nil {
		ok, err := t.open()
		if err != nil {
			return nil, err
		}
		if !ok {
			t.wait(ctx)
			return nil, nil
		}
	}
	var out []*connectors.Record
	for {
		out = t.lines(out)
		if len(out) >= t.batchSize {
			return out, nil
		}
		n, err := t.fill()
		if n > 0 {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			if t.stopped() {
				return out, nil
			}
			return out, fmt.Errorf("%w: read %s: %v", ErrRead, t.path, err)
		}
		if len(out) > 0 {
			return out, nil
		}
		// At the end of the file: see whether it was truncated or replaced.
		restarted, err := t.checkFile()
		if err != nil {
			return nil, err
		}
		if !restarted {
			t.wait(ctx)
			return nil, nil
		}
	}
}

// lines appends records for the complete lines in the buffer, up to the
// batch size.
func (t *SourceTask) lines(out []*connectors.Record) []*connectors.Record {
	for len(out) < t.batchSize {
		i := bytes.IndexByte(t.buf[t.start:t.end], '\n')
		if i < 0 {
			return out
		}
		line := t.buf[t.start : t.start+i]
		consumed := i + 1
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		t.start += consumed
		t.pos += int64(consumed)
		out = append(out, &connectors.Record{
			Topic:           t.topic,
			ValueSchema:     connectors.StringSchema,
			Value:           string(line),
			SourcePartition: t.partition,
			SourceOffset:    map[string]any{offsetPosition: t.pos},
		})
	}
	return out
}

// fill reads more of the file into the buffer, compacting or growing it
// first.
func (t *SourceTask) fill() (int, error) {
	if t.buf == nil {
		t.buf = make([]byte, readSize)
	}
	if t.start > 0 {
		t.end = copy(t.buf, t.buf[t.start:t.end])
		t.start = 0
	}
	if t.end == len(t.buf) {
		grown := make([]byte, 2*len(t.buf))
		copy(grown, t.buf[:t.end])
		t.buf = grown
	}
	n, err := t.f.Read(t.buf[t.end:])
	t.end += n
	t.readPos += int64(n)
	return n, err
}

// open opens the file and seeks to the stored position. It reports false
// when the file does not exist yet.
func (t *SourceTask) open() (bool, error) {
	f, err := os.Open(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w: open %s: %v", ErrRead, t.path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return false, fmt.Errorf("%w: stat %s: %v", ErrRead, t.path, err)
	}
	if fi.Size() < t.pos {
		t.log.Warn("file is shorter than the stored position; it was truncated, reading it again from the start",
			"size", fi.Size(), "position", t.pos)
		t.pos = 0
	}
	if _, err := f.Seek(t.pos, io.SeekStart); err != nil {
		f.Close()
		return false, fmt.Errorf("%w: seek %s to %d: %v", ErrRead, t.path, t.pos, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped() {
		f.Close()
		return false, nil
	}
	t.f = f
	t.start, t.end, t.readPos = 0, 0, t.pos
	return true, nil
}

// checkFile looks at the file at the end of what was read. When it shrank
// below what was read (truncated) or the path now names another file, it
// reopens from the start and reports true.
func (t *SourceTask) checkFile() (bool, error) {
	fi, err := os.Stat(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // removed: keep the old file until a new one appears
	}
	if err != nil {
		return false, fmt.Errorf("%w: stat %s: %v", ErrRead, t.path, err)
	}
	cur, err := t.f.Stat()
	if err != nil {
		return false, fmt.Errorf("%w: stat %s: %v", ErrRead, t.path, err)
	}
	switch {
	case !os.SameFile(fi, cur):
		t.log.Info("file was replaced; reading the new one from the start")
	case fi.Size() < t.readPos:
		t.log.Warn("file was truncated; reading it again from the start", "size", fi.Size(), "position", t.readPos)
	default:
		return false, nil
	}
	t.mu.Lock()
	t.f.Close()
	t.f = nil
	t.mu.Unlock()
	t.pos = 0
	ok, err := t.open()
	return ok, err
}

// wait sleeps for the poll interval, or less if ctx is done or the task
// stops.
func (t *SourceTask) wait(ctx context.Context) {
	timer := time.NewTimer(t.pollInterval)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	case <-t.stop:
	}
}

func (t *SourceTask) stopped() bool {
	select {
	case <-t.stop:
		return true
	default:
		return false
	}
}

// Commit implements connectors.SourceTask; there is nothing to acknowledge.
func (t *SourceTask) Commit(context.Context) error { return nil }

// Stop implements connectors.SourceTask: it wakes a waiting Poll and closes
// the file.
func (t *SourceTask) Stop() error {
	var err error
	t.stopOnce.Do(func() {
		if t.stop != nil {
			close(t.stop)
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.f != nil {
			err = t.f.Close()
		}
	})
	return err
}
