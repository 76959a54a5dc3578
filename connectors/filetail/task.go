package filetail

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"conflux/connectors"
	"conflux/internal/slab"
)

// Task tails the files of its connector's patterns. See the package
// documentation for what it reads and the offsets it stores.
type Task struct {
	s    *settings
	tctx connectors.SourceTaskContext
	log  *slog.Logger

	watch *watcher
	stop  chan struct{}
	once  sync.Once

	// mu is held by Poll while it works (not while it waits) and by Stop,
	// which may run while Poll does.
	mu         sync.Mutex
	closed     bool
	files      map[fileID]*tailFile
	order      []*tailFile // files in the order they were opened
	next       int         // round-robin start among files still matching
	initial    bool        // before the first scan
	lastScan   time.Time
	unreadable map[string]bool // paths whose open failed, warned about once
	out        []*connectors.Record
	unsettled  []*tailFile // files with records in out that settle has not given an offset yet
	// records and headers hand out each line's record and its three
	// headers, linesPerSlab lines to an allocation; the runtime releases
	// them batch by batch.
	records slab.Slab[connectors.Record]
	headers slab.Slab[connectors.Header]
}

// linesPerSlab is how many lines' records and headers one allocation holds.
const linesPerSlab = 256

// Start implements connectors.SourceTask.
func (t *Task) Start(_ context.Context, tctx connectors.SourceTaskContext, config map[string]string) error {
	s, err := parseSettings(config)
	if err != nil {
		return fmt.Errorf("filetail: %w", err)
	}
	t.s, t.tctx = s, tctx
	t.log = slog.Default().With("connector", config["name"], "plugin", "filetail")
	t.files = make(map[fileID]*tailFile)
	t.unreadable = make(map[string]bool)
	t.initial = true
	t.records.Size, t.headers.Size = linesPerSlab, 3*linesPerSlab // three headers a line
	t.stop = make(chan struct{})
	t.watch = newWatcher(t.log)
	return nil
}

// Poll implements connectors.SourceTask. It returns up to batch.size
// records; with nothing to read it waits for a file system event, the
// next scan or a multiline timeout, and returns none.
func (t *Task) Poll(ctx context.Context) ([]*connectors.Record, error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, nil
	}
	out, wait, err := t.poll(ctx, time.Now())
	t.mu.Unlock()
	if err != nil || len(out) > 0 {
		return out, err
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-t.watch.wake:
	case <-ctx.Done():
	case <-t.stop:
	}
	return nil, nil
}

// poll does one round under mu: scan if due, read, flush what timed out.
// It returns the records and, when there are none, how long to wait.
func (t *Task) poll(ctx context.Context, now time.Time) ([]*connectors.Record, time.Duration, error) {
	if t.initial || now.Sub(t.lastScan) >= t.s.pollInterval || t.watch.rescan.Swap(false) {
		if err := t.scan(ctx, now); err != nil {
			return nil, 0, err
		}
	}
	t.out = make([]*connectors.Record, 0, min(t.s.batchSize, 1024))
	if err := t.read(now); err != nil {
		return t.take(), 0, err
	}
	if len(t.out) > 0 {
		return t.take(), 0, nil
	}
	return nil, t.nextWake(now), nil
}

func (t *Task) take() []*connectors.Record {
	t.settle()
	out := t.out
	t.out = nil
	return out
}

func (t *Task) full() bool { return len(t.out) >= t.s.batchSize }

// read reads the files until the batch is full: first those renamed away
// or removed (so an old file is finished before its successor), then the
// others round-robin.
func (t *Task) read(now time.Time) error {
	var gone, present []*tailFile
	for _, tf := range t.order {
		if tf.gone.IsZero() {
			present = append(present, tf)
		} else {
			gone = append(gone, tf)
		}
	}
	if len(present) > 0 {
		t.next %= len(present)
		present = append(present[t.next:], present[:t.next]...)
		t.next++
	}
	for _, tf := range append(gone, present...) {
		if t.full() {
			return nil
		}
		eof, err := t.readFile(tf, now)
		if err != nil {
			return err
		}
		if eof && !tf.gone.IsZero() && now.Sub(tf.gone) >= t.s.pollInterval {
			t.finish(tf)
		}
	}
	return nil
}

// readFile turns tf's new bytes into records until the batch is full or
// the file's end; eof tells which.
func (t *Task) readFile(tf *tailFile, now time.Time) (eof bool, err error) {
	emit := t.lineSink(tf, now)
	skipped := func(off int64) {
		t.log.Warn("line longer than max.line.bytes skipped", "path", tf.path, "offset", off, "max.line.bytes", t.s.maxLine)
	}
	limit := t.s.maxLine + 2 // the line, a \r and one more byte to tell it is too long
	for {
		tf.lines(t.s.maxLine, t.s.skipLong, t.full, emit, skipped)
		if t.full() {
			return false, nil
		}
		n, err := tf.fill(limit)
		if err != nil {
			return false, err
		}
		if n > 0 {
			continue
		}
		// At the end: a size below what was read means truncation.
		fi, err := tf.f.Stat()
		if err != nil {
			return false, fmt.Errorf("%w: stat %s: %v", ErrRead, tf.path, err)
		}
		if fi.Size() < tf.readPos {
			t.log.Warn("file truncated; reading it again from the start", "path", tf.path, "size", fi.Size(), "position", tf.readPos)
			if err := t.restart(tf); err != nil {
				return false, err
			}
			continue
		}
		if tf.join != nil && tf.join.pending() && !now.Before(tf.join.deadline()) {
			tf.join.flush(t.emitter(tf))
		}
		return true, nil
	}
}

// lineSink returns where tf's lines go: to its joiner, or straight into
// records.
func (t *Task) lineSink(tf *tailFile, now time.Time) emitFunc {
	if tf.join == nil {
		return func(line []byte, start, end int64) { t.out = append(t.out, t.record(tf, line, start, end, true)) }
	}
	emit := t.emitter(tf)
	return func(line []byte, start, end int64) { tf.join.add(line, start, end, now, emit) }
}

// emitter returns where tf's joined events go: into records.
func (t *Task) emitter(tf *tailFile) emitFunc {
	return func(text []byte, start, end int64) { t.out = append(t.out, t.record(tf, text, start, end, false)) }
}

// finish publishes what is left of a file that no longer matches and
// closes it: a last line without its newline, since nothing more will
// come, and a pending multiline event.
func (t *Task) finish(tf *tailFile) {
	emit := t.emitter(tf)
	if rest := tf.rest(); len(rest) > 0 {
		t.lineSink(tf, time.Now())(rest, tf.pos, tf.readPos)
		tf.advance(tf.end - tf.start)
	}
	if tf.join != nil {
		tf.join.flush(emit)
	}
	t.log.Info("finished file", "path", tf.path, "file.id", tf.idStr, "position", tf.pos)
	tf.f.Close()
	delete(t.files, tf.id)
	t.order = slices.DeleteFunc(t.order, func(x *tailFile) bool { return x == tf })
}

// nextWake is how long Poll may wait: until the next scan, a multiline
// timeout or the moment a finished file may be closed.
func (t *Task) nextWake(now time.Time) time.Duration {
	next := t.lastScan.Add(t.s.pollInterval)
	for _, tf := range t.order {
		if tf.join != nil && tf.join.pending() && tf.join.deadline().Before(next) {
			next = tf.join.deadline()
		}
		if !tf.gone.IsZero() && tf.gone.Add(t.s.pollInterval).Before(next) {
			next = tf.gone.Add(t.s.pollInterval)
		}
	}
	return max(next.Sub(now), time.Millisecond)
}

// Commit implements connectors.SourceTask; files need no acknowledgement.
func (t *Task) Commit(context.Context) error { return nil }

// Stop implements connectors.SourceTask: it wakes a waiting Poll, stops
// watching and closes the files.
func (t *Task) Stop() error {
	var err error
	t.once.Do(func() {
		if t.stop == nil {
			return
		}
		close(t.stop)
		err = t.watch.close()
		t.mu.Lock()
		defer t.mu.Unlock()
		t.closed = true
		for _, tf := range t.order {
			tf.f.Close()
		}
		t.files, t.order = nil, nil
	})
	return err
}
