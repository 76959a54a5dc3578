package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	nethttp "net/http"
	"sync"
	"time"

	"conflux/connectors"
)

// SinkTask sends records to the endpoint. Put queues them per Kafka
// partition and a dispatcher goroutine sends batches, at most one request
// per partition and max.in.flight in all. PreCommit reports the records
// that failed for good to the error path and returns, per partition, the
// offset of the oldest record not yet accepted or reported: consumer
// offsets never pass a record the endpoint has not taken.
type SinkTask struct {
	s      *settings
	tctx   connectors.SinkTaskContext
	log    *slog.Logger
	client *nethttp.Client
	auth   *authorizer
	gate   *gate

	ctx    context.Context // cancelled by Stop: requests in flight are abandoned
	cancel context.CancelFunc
	wg     sync.WaitGroup // the dispatcher and the senders

	mu          sync.Mutex
	parts       map[connectors.TopicPartition]*partition
	buffered    int // records queued, in flight or failed, not yet compacted away
	inflight    int
	flushBefore time.Time     // records queued before this are sent without lingering
	progress    chan struct{} // closed and replaced when a request finishes
	kick        chan struct{} // capacity 1: the dispatcher has work
	fatal       error         // a failure that must fail the task at the next Put
}

// Start implements connectors.SinkTask.
func (t *SinkTask) Start(ctx context.Context, tctx connectors.SinkTaskContext, config map[string]string) error {
	s, err := parseSettings(config)
	if err != nil {
		return fmt.Errorf("http sink: %w", err)
	}
	client, err := newClient(s)
	if err != nil {
		return fmt.Errorf("http sink: %w", err)
	}
	t.s, t.tctx, t.client = s, tctx, client
	t.log = slog.Default().With("connector", config["name"], "plugin", "http")
	t.ctx, t.cancel = context.WithCancel(ctx)
	t.auth = newAuthorizer(t.ctx, s.auth, client)
	t.gate = newGate()
	t.parts = make(map[connectors.TopicPartition]*partition)
	t.progress = make(chan struct{})
	t.kick = make(chan struct{}, 1)
	t.wg.Add(1)
	go t.dispatch()
	return nil
}

// Open implements connectors.SinkTask; partitions get their queue when
// their first record comes.
func (t *SinkTask) Open(context.Context, []connectors.TopicPartition) error { return nil }

// Put implements connectors.SinkTask. It queues the records and returns,
// unless too many are buffered already (the endpoint is slow or down):
// then it waits for room, so that consumption slows down with it.
func (t *SinkTask) Put(ctx context.Context, records []*connectors.Record) error {
	if err := t.settle(ctx); err != nil {
		return err
	}
	now := time.Now()
	items := make([]*item, 0, len(records))
	for _, rec := range records {
		it := &item{offset: rec.KafkaOffset, method: t.s.method, enqueued: now}
		if rec.Value == nil {
			switch t.s.nullValues {
			case "ignore":
				continue
			case "fail":
				if err := t.reject(ctx, rec, fmt.Errorf("%w (%s@%d)", ErrNullValue, rec.TopicPartition(), rec.KafkaOffset)); err != nil {
					return err
				}
				continue
			}
			it.method = "DELETE"
		}
		url, err := t.s.url.recordURL(rec)
		if err != nil {
			if err := t.reject(ctx, rec, fmt.Errorf("%w: %w", ErrNoURL, err)); err != nil {
				return err
			}
			continue
		}
		it.url = url
		if it.method != "DELETE" {
			it.body = render(t.s.raw, rec)
		}
		it.rec = rec.Copy()
		items = append(items, it)
	}
	t.mu.Lock()
	for _, it := range items {
		tp := it.rec.TopicPartition()
		p := t.parts[tp]
		if p == nil {
			p = &partition{}
			t.parts[tp] = p
		}
		p.items = append(p.items, it)
	}
	t.buffered += len(items)
	t.mu.Unlock()
	t.wake()
	return t.waitForRoom(ctx)
}

// waitForRoom waits until the buffer is below its limit, reporting
// failures meanwhile.
func (t *SinkTask) waitForRoom(ctx context.Context) error {
	limit := t.s.maxInFlight * t.s.maxRecords * 4
	for {
		t.mu.Lock()
		room, progress := t.buffered < limit, t.progress
		t.mu.Unlock()
		if room {
			return nil
		}
		if err := waitFor(ctx, progress, 0); err != nil {
			return err
		}
		if err := t.settle(ctx); err != nil {
			return err
		}
	}
}

// reject sends a record that cannot be sent to the error path: the errant
// record reporter, or with none, a log line under errors.tolerance=all
// and a task failure otherwise.
func (t *SinkTask) reject(ctx context.Context, rec *connectors.Record, cause error) error {
	var reporter connectors.ErrantRecordReporter
	if t.tctx != nil {
		reporter = t.tctx.ErrantRecordReporter()
	}
	if reporter == nil {
		if t.s.tolerateAll {
			t.log.Warn("record skipped", "topic", rec.Topic, "partition", rec.TopicPartition().Partition,
				"offset", rec.KafkaOffset, "error", cause)
			return nil
		}
		return cause
	}
	if err := reporter.Report(ctx, rec, cause); err != nil {
		return fmt.Errorf("record %s@%d: %w", rec.TopicPartition(), rec.KafkaOffset, err)
	}
	return nil
}

// settle reports the records that failed for good, on the task's
// goroutine, and returns the error that must fail the task, if any.
func (t *SinkTask) settle(ctx context.Context) error {
	t.mu.Lock()
	if t.fatal != nil {
		defer t.mu.Unlock()
		return t.fatal
	}
	var failures []*item
	for _, p := range t.parts {
		for _, it := range p.items {
			if it.state == failed {
				failures = append(failures, it)
			}
		}
	}
	t.mu.Unlock()
	for _, it := range failures {
		if err := t.reject(ctx, it.rec, it.err); err != nil {
			t.mu.Lock()
			t.fatal = err
			t.mu.Unlock()
			return err
		}
		t.mu.Lock()
		it.state = done
		t.mu.Unlock()
	}
	if len(failures) > 0 {
		t.mu.Lock()
		for _, p := range t.parts {
			t.buffered -= p.compact()
		}
		t.mu.Unlock()
	}
	return nil
}

// PreCommit implements connectors.SinkTask. It reports failed records,
// sends lingering batches now, and returns for each partition the offset
// of its oldest record not yet accepted (or reported), or the given
// offset when all are. It does not wait for requests in flight: what they
// carry is committed by a later PreCommit.
func (t *SinkTask) PreCommit(ctx context.Context, offsets map[connectors.TopicPartition]int64) (map[connectors.TopicPartition]int64, error) {
	if err := t.settle(ctx); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.flushBefore = time.Now()
	t.wake()
	safe := make(map[connectors.TopicPartition]int64, len(offsets))
	for tp, off := range offsets {
		if p := t.parts[tp]; p != nil {
			if f, ok := p.frontier(); ok {
				off = f
			}
		}
		safe[tp] = off
	}
	return safe, nil
}

// Close implements connectors.SinkTask: it waits (within ctx) for the
// requests in flight of the partitions and drops their queues; records not
// accepted are delivered again to the partitions' next owner.
func (t *SinkTask) Close(ctx context.Context, partitions []connectors.TopicPartition) error {
	for {
		t.mu.Lock()
		busy := false
		for _, tp := range partitions {
			if p := t.parts[tp]; p != nil && p.sending {
				busy = true
			}
		}
		if !busy {
			for _, tp := range partitions {
				if p := t.parts[tp]; p != nil {
					t.buffered -= len(p.items)
					delete(t.parts, tp)
				}
			}
			t.mu.Unlock()
			return nil
		}
		progress := t.progress
		t.mu.Unlock()
		if err := waitFor(ctx, progress, 0); err != nil {
			return fmt.Errorf("http sink: close partitions with requests in flight: %w", err)
		}
	}
}

// Stop implements connectors.SinkTask: requests in flight are abandoned
// (their records were not committed and come again).
func (t *SinkTask) Stop() error {
	if t.cancel == nil {
		return nil
	}
	t.cancel()
	t.wg.Wait()
	t.client.CloseIdleConnections()
	return nil
}

func (t *SinkTask) wake() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// dispatch starts requests for the batches that are ready, until Stop.
func (t *SinkTask) dispatch() {
	defer t.wg.Done()
	for {
		t.mu.Lock()
		next := t.startReady(time.Now())
		t.mu.Unlock()
		var wait time.Duration
		if !next.IsZero() {
			wait = max(time.Until(next), time.Millisecond)
		}
		if errors.Is(waitFor(t.ctx, t.kick, wait), context.Canceled) {
			return
		}
	}
}

// startReady starts a request for each partition whose next batch is
// ready (full, lingered long enough, or flushed by PreCommit), within
// max.in.flight, and returns when the next lingering batch is due (zero
// for none). Called with mu held.
func (t *SinkTask) startReady(now time.Time) time.Time {
	var next time.Time
	for _, p := range t.parts {
		if t.inflight >= t.s.maxInFlight {
			return next
		}
		if p.sending {
			continue
		}
		batch, full := p.next(t.s.maxRecords, t.s.maxBytes)
		if len(batch) == 0 {
			continue
		}
		due := batch[0].enqueued.Add(t.s.linger)
		if !full && t.s.linger > 0 && now.Before(due) && !batch[0].enqueued.Before(t.flushBefore) {
			if next.IsZero() || due.Before(next) {
				next = due
			}
			continue
		}
		for _, it := range batch {
			it.state = sending
		}
		p.sending = true
		t.inflight++
		t.wg.Add(1)
		go t.send(p, batch)
	}
	return next
}

// send delivers one batch and records the outcome.
func (t *SinkTask) send(p *partition, batch []*item) {
	defer t.wg.Done()
	errs := t.deliver(t.ctx, batch)
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, it := range batch {
		switch {
		case errs == nil:
			it.state = queued // stopping: neither accepted nor failed
		case errs[i] == nil:
			it.state = done
		default:
			it.state, it.err = failed, errs[i]
			t.log.Warn("record failed", "topic", it.rec.Topic, "partition", it.rec.TopicPartition().Partition,
				"offset", it.offset, "error", errs[i])
		}
	}
	t.buffered -= p.compact()
	p.sending = false
	t.inflight--
	close(t.progress)
	t.progress = make(chan struct{})
	t.wake()
}
