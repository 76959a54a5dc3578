package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"

	"conflux/connectors"
)

// Version is the version of both file connectors.
const Version = "1.0.0"

func init() {
	connectors.Register(connectors.Plugin{
		Name:      "file-sink",
		Aliases:   []string{"org.apache.kafka.connect.file.FileStreamSinkConnector"},
		Type:      connectors.PluginSink,
		Version:   Version,
		Summary:   "Appends record values to a file (or the standard output), one line each, like Kafka's FileStreamSink.",
		ConfigDef: sinkDef,
		New:       func() any { return &SinkConnector{} },
	})
}

// flushThreshold is the buffered size at which Put writes before the end of
// its batch, to bound memory with huge batches.
const flushThreshold = 4 << 20

// SinkConnector is the file sink connector. Like Kafka's, it gives every
// one of tasks.max tasks the same configuration: they all append to the
// file, each Put batch in one write.
type SinkConnector struct {
	config map[string]string
}

// Start implements connectors.SinkConnector.
func (c *SinkConnector) Start(_ context.Context, _ connectors.ConnectorContext, config map[string]string) error {
	if _, err := sinkDef.Parse(config); err != nil {
		return fmt.Errorf("file sink: %w", err)
	}
	c.config = config
	return nil
}

// TaskConfigs implements connectors.SinkConnector.
func (c *SinkConnector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, maxTasks)
	for i := range out {
		out[i] = maps.Clone(c.config)
	}
	return out, nil
}

// Stop implements connectors.SinkConnector.
func (c *SinkConnector) Stop() error { return nil }

// NewTask implements connectors.SinkConnector.
func (c *SinkConnector) NewTask() connectors.SinkTask { return &SinkTask{} }

// SinkTask appends one line per record: the value's text form (see
// appendLine). Put formats its whole batch into a reused buffer and writes
// it with one system call; PreCommit fsyncs the file before the runtime
// commits consumer offsets, so committed offsets never run ahead of what is
// durably in the file. Delivery is at least once: after a crash, lines
// written but not committed are written again.
type SinkTask struct {
	path  string
	f     *os.File  // nil when writing to the standard output
	w     io.Writer // f or os.Stdout
	buf   []byte
	dirty bool // written since the last fsync
}

// Start implements connectors.SinkTask. It opens the file for appending,
// creating it if needed.
func (t *SinkTask) Start(_ context.Context, _ connectors.SinkTaskContext, config map[string]string) error {
	v, err := sinkDef.Parse(config)
	if err != nil {
		return fmt.Errorf("file sink: %w", err)
	}
	t.path = v.String(KeyFile)
	if t.path == "" {
		t.w = os.Stdout
		return nil
	}
	f, err := os.OpenFile(t.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("%w: open %s: %v", ErrWrite, t.path, err)
	}
	t.f, t.w = f, f
	return nil
}

// Open implements connectors.SinkTask; the task keeps no per-partition
// state.
func (t *SinkTask) Open(context.Context, []connectors.TopicPartition) error { return nil }

// Put implements connectors.SinkTask.
func (t *SinkTask) Put(_ context.Context, records []*connectors.Record) error {
	for _, r := range records {
		t.buf = appendLine(t.buf, r.ValueSchema, r.Value)
		if len(t.buf) >= flushThreshold {
			if err := t.write(); err != nil {
				return err
			}
		}
	}
	return t.write()
}

// write writes the buffer out.
func (t *SinkTask) write() error {
	if len(t.buf) == 0 {
		return nil
	}
	_, err := t.w.Write(t.buf)
	t.dirty = true
	t.buf = t.buf[:0]
	if err != nil {
		return fmt.Errorf("%w: write %s: %v", ErrWrite, t.name(), err)
	}
	return nil
}

// PreCommit implements connectors.SinkTask: everything Put was given is
// written, so once the file is fsynced all offsets may be committed.
func (t *SinkTask) PreCommit(_ context.Context, offsets map[connectors.TopicPartition]int64) (map[connectors.TopicPartition]int64, error) {
	if err := t.sync(); err != nil {
		return nil, err
	}
	return offsets, nil
}

// sync writes what is buffered and fsyncs the file if anything was written
// since the last fsync.
func (t *SinkTask) sync() error {
	if err := t.write(); err != nil {
		return err
	}
	if !t.dirty || t.f == nil {
		return nil
	}
	if err := t.f.Sync(); err != nil {
		return fmt.Errorf("%w: fsync %s: %v", ErrWrite, t.path, err)
	}
	t.dirty = false
	return nil
}

// Close implements connectors.SinkTask.
func (t *SinkTask) Close(context.Context, []connectors.TopicPartition) error { return nil }

// Stop implements connectors.SinkTask: it fsyncs and closes the file.
func (t *SinkTask) Stop() error {
	err := t.sync()
	if t.f != nil {
		err = errors.Join(err, t.f.Close())
		t.f = nil
		t.w = io.Discard
	}
	return err
}

func (t *SinkTask) name() string {
	if t.path == "" {
		return "standard output"
	}
	return t.path
}
