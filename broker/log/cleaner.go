package log

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Defaults of a Cleaner, Kafka's for the same settings.
const (
	// DefaultCleanerBackoff is log.cleaner.backoff.ms: how long the
	// cleaner waits between rounds when no log is due.
	DefaultCleanerBackoff = 15 * time.Second
	// DefaultDedupeBufferBytes is log.cleaner.dedupe.buffer.size: the
	// memory of the key → offset map, 128 MiB: about 3 million keys per
	// pass (a log with more distinct dirty keys is compacted over several
	// passes).
	DefaultDedupeBufferBytes = defaultMapBytes
	// DefaultCleanerMaxBytesPerSecond caps the I/O of a cleaning pass
	// (bytes read plus written) at 300 MiB/s, about 140 MB/s of log
	// compacted. Kafka's default is no cap; a single broker on a small
	// machine is better served by one: on two cores a pass at full speed
	// (over 500 MB/s) costs appends and reads of other partitions up to a
	// quarter of their throughput, capped it costs them under a tenth.
	DefaultCleanerMaxBytesPerSecond = 300 << 20
)

// cleanerRetryAfter is how long a log whose pass failed is left alone.
const cleanerRetryAfter = 10 * time.Minute

// CleanerOptions configures a Cleaner.
type CleanerOptions struct {
	// Logs returns the logs to compact (those whose cleanup.policy
	// contains compact). It is called at the start of every round, so
	// new and deleted topics are picked up without telling the Cleaner.
	Logs func() []*Log
	// Backoff is the wait between rounds when no log is due
	// (default DefaultCleanerBackoff). Wake starts a round earlier.
	Backoff time.Duration
	// DedupeBufferBytes bounds the memory of the offset map
	// (default DefaultDedupeBufferBytes).
	DedupeBufferBytes int
	// MaxBytesPerSecond caps the I/O of a pass, bytes read plus bytes
	// written, like log.cleaner.io.max.bytes.per.second (default
	// DefaultCleanerMaxBytesPerSecond; negative = no cap).
	MaxBytesPerSecond float64
	// Logger receives a line per pass and the failures (default
	// slog.Default()).
	Logger *slog.Logger
}

// Cleaner compacts logs in the background with one goroutine, like
// Kafka's log cleaner with its default single thread: each pass cleans the
// due log with the highest dirty ratio (see Log.CleanableState), then looks
// again, until no log is due. The offset map and buffers are reused from
// pass to pass. A pass never blocks appends or reads of the log it cleans.
type Cleaner struct {
	opts    CleanerOptions
	scratch *cleanScratch
	wake    chan struct{}

	mu    sync.Mutex
	retry map[*Log]time.Time // logs whose last pass failed, left alone until then
	idle  map[*Log]bool      // logs whose last pass of this round changed nothing
}

// NewCleaner returns a Cleaner; Run starts it.
func NewCleaner(opts CleanerOptions) *Cleaner {
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultCleanerBackoff
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBytesPerSecond == 0 {
		opts.MaxBytesPerSecond = DefaultCleanerMaxBytesPerSecond
	}
	if opts.Logs == nil {
		opts.Logs = func() []*Log { return nil }
	}
	return &Cleaner{
		opts:    opts,
		scratch: newCleanScratch(opts.DedupeBufferBytes, opts.MaxBytesPerSecond),
		wake:    make(chan struct{}, 1),
		retry:   map[*Log]time.Time{},
		idle:    map[*Log]bool{},
	}
}

// Wake starts a round now instead of after the backoff, for instance after
// a retention check or a config change. It never blocks.
func (c *Cleaner) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run cleans until ctx is done and then returns ctx.Err(); a pass in
// progress stops at its next check (within a few megabytes of I/O) and
// leaves the log as it was, or, past its commit point, finishes its
// segment swap. Only one Run may be active at a time.
func (c *Cleaner) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.wake:
		case <-timer.C:
		}
		c.mu.Lock()
		clear(c.idle)
		c.mu.Unlock()
		for {
			l, _, _ := c.CleanOnce(ctx)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if l == nil {
				break
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(c.opts.Backoff)
	}
}

// CleanOnce runs one pass on the due log with the highest dirty ratio and
// returns it with the pass's statistics, or a nil Log if none is due.
// Failures are logged, and the failed log is skipped for a while.
func (c *Cleaner) CleanOnce(ctx context.Context) (*Log, CleanStats, error) {
	logs := c.opts.Logs()
	var (
		best      *Log
		bestRatio = -1.0
	)
	c.mu.Lock()
	now := time.Now()
	for l, t := range c.retry {
		if now.After(t) {
			delete(c.retry, l)
		}
	}
	c.mu.Unlock()
	for _, l := range logs {
		c.mu.Lock()
		_, skip := c.retry[l]
		skip = skip || c.idle[l]
		c.mu.Unlock()
		if skip {
			continue
		}
		// Rolled segments become cleanable once checkpointed.
		if err := l.SyncTo(l.EndOffset()); err != nil {
			c.failed(l, "sync before compaction", err)
			continue
		}
		st, err := l.CleanableState(l.now())
		if err != nil {
			c.failed(l, "cleanable state", err)
			continue
		}
		if st.Due && st.DirtyRatio > bestRatio {
			best, bestRatio = l, st.DirtyRatio
		}
	}
	if best == nil {
		return nil, CleanStats{}, nil
	}
	stats, err := best.compact(ctx, best.now(), c.scratch)
	if err != nil {
		if ctx.Err() == nil {
			c.failed(best, "compaction", err)
		}
		return best, stats, err
	}
	if stats.SegmentsWritten == 0 && stats.End == stats.FirstDirty {
		// Nothing changed, so the log would be due again at once.
		c.mu.Lock()
		c.idle[best] = true
		c.mu.Unlock()
	}
	mb := float64(stats.BytesRead) / (1 << 20)
	c.opts.Logger.Info("compacted log", "dir", best.Dir(), "dirty_ratio", bestRatio,
		"first_dirty", stats.FirstDirty, "end", stats.End, "keys", stats.Keys,
		"segments_read", stats.SegmentsRead, "segments_written", stats.SegmentsWritten,
		"mb_read", mb, "mb_written", float64(stats.BytesWritten)/(1<<20),
		"records_removed", stats.RecordsRemoved, "duration", stats.Duration,
		"mb_per_s", mb/max(stats.Duration.Seconds(), 1e-9))
	return best, stats, nil
}

// failed logs a log's failure and leaves the log alone for a while. A
// closed log (its topic was deleted) or one whose segments were deleted
// under the cleaner is only skipped for the rest of the round.
func (c *Cleaner) failed(l *Log, what string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if errors.Is(err, ErrClosed) || errors.Is(err, ErrOffsetOutOfRange) {
		c.idle[l] = true
		return
	}
	c.retry[l] = time.Now().Add(cleanerRetryAfter)
	c.opts.Logger.Error("log cleaner: "+what+" failed", "dir", l.Dir(), "err", err)
}
