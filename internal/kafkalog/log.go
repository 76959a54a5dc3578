package kafkalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"conflux/internal/cutdial"
)

// Record is one record of the topic as read back.
type Record struct {
	Partition int32
	Offset    int64
	Key       []byte
	// Value is nil for a tombstone.
	Value     []byte
	Timestamp time.Time
}

// Message is a record to write. A nil Value writes a tombstone; the Key must
// not be nil (compacted topics reject records without a key).
type Message struct {
	Key, Value []byte
}

// Log mirrors one compacted Kafka topic. All methods are safe for concurrent
// use.
type Log struct {
	cfg        Config
	partitions int32
	idempotent bool

	pclient  sarama.Client // producer, admin and ListOffsets requests
	cclient  sarama.Client // fetches only
	cdialer  *cutdial.Dialer
	producer sarama.AsyncProducer
	prog     *progress
	sends    sendTracker

	cancel    context.CancelFunc
	fetchDone chan struct{}
	ackDone   sync.WaitGroup

	mu        sync.RWMutex // closed vs. sends into the producer
	closed    bool
	closeOnce sync.Once
	closeErr  error
}

// Open connects to the cluster, creates the topic if it is missing (compacted,
// with cfg's partitions, replication factor and topic configs), verifies that
// an existing topic is compacted (ErrNotCompacted otherwise), starts
// consuming every partition from its beginning, and returns once everything
// the topic held at that point has been applied.
//
// apply receives every record in offset order within its partition; calls
// never overlap. It runs on the log's consuming goroutine: it must not block
// for long and must not call Write or ReadToEnd on the same log, which wait
// for apply to make progress. After a broker failure a partition may be read
// again from its start, so apply must tolerate seeing a record twice (a
// store keyed by record key naturally does).
func Open(ctx context.Context, cfg Config, apply func(Record)) (*Log, error) {
	if apply == nil {
		return nil, fmt.Errorf("%w: nil apply function", ErrInvalidConfig)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	l := &Log{cfg: cfg, fetchDone: make(chan struct{})}
	if err := l.connect(ctx); err != nil {
		return nil, fmt.Errorf("open topic %s: %w", cfg.Topic, err)
	}
	l.prog = newProgress(int(l.partitions))
	f := newFetcher(l.cclient, &l.cfg, l.partitions, apply, l.prog)
	fctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go func() {
		defer close(l.fetchDone)
		f.run(fctx)
	}()
	l.ackDone.Add(2)
	go l.deliverSuccesses()
	go l.deliverErrors()
	if err := l.ReadToEnd(ctx); err != nil {
		l.Close()
		return nil, fmt.Errorf("open topic %s: initial read: %w", cfg.Topic, err)
	}
	return l, nil
}

// connect creates the clients, the topic and the producer. The producer is
// idempotent unless the cluster refuses it (no IDEMPOTENT_WRITE permission,
// too old a broker); with a single request in flight per connection records
// stay in order either way.
func (l *Log) connect(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			for _, c := range []sarama.Client{l.pclient, l.cclient} {
				if c != nil {
					_ = c.Close()
				}
			}
		}
	}()
	if l.pclient, err = sarama.NewClient(l.cfg.Brokers, l.cfg.producerSarama(true)); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	if l.partitions, err = ensureTopic(ctx, l.pclient, &l.cfg); err != nil {
		return err
	}
	l.idempotent = true
	l.producer, err = sarama.NewAsyncProducerFromClient(l.pclient)
	if err != nil && (errors.Is(err, sarama.ErrClusterAuthorizationFailed) || errors.Is(err, sarama.ErrUnsupportedVersion)) {
		l.cfg.Logger.Warn("idempotent producer refused; writing without idempotence", "topic", l.cfg.Topic, "error", err)
		_ = l.pclient.Close()
		if l.pclient, err = sarama.NewClient(l.cfg.Brokers, l.cfg.producerSarama(false)); err != nil {
			return fmt.Errorf("connect: %w", err)
		}
		l.idempotent = false
		l.producer, err = sarama.NewAsyncProducerFromClient(l.pclient)
	}
	if err != nil {
		return fmt.Errorf("producer: %w", err)
	}
	l.cdialer = cutdial.New(l.cfg.baseSarama())
	if l.cclient, err = sarama.NewClient(l.cfg.Brokers, l.cfg.consumerSarama(l.cdialer)); err != nil {
		_ = l.producer.Close()
		return fmt.Errorf("connect: %w", err)
	}
	return nil
}

// Topic returns the topic's name.
func (l *Log) Topic() string { return l.cfg.Topic }

// Partitions returns the topic's partition count, fixed when the log opened.
func (l *Log) Partitions() int32 { return l.partitions }

// Idempotent reports whether the log's producer is idempotent.
func (l *Log) Idempotent() bool { return l.idempotent }

// ReadToEnd blocks until every record the topic held when it was called (up
// to the partitions' end offsets at that moment) has been applied. This is
// the "read to the end before acting" rule of Kafka Connect's internal
// topics. While the cluster is unreachable it keeps retrying until ctx ends.
func (l *Log) ReadToEnd(ctx context.Context) error {
	ends, err := l.endOffsets(ctx)
	if err != nil {
		return fmt.Errorf("read %s to the end: %w", l.cfg.Topic, err)
	}
	if err := l.prog.wait(ctx, ends); err != nil {
		return fmt.Errorf("read %s to the end: %w", l.cfg.Topic, err)
	}
	return nil
}

// endOffsets returns the end offset of every partition, retrying through
// broker failures until ctx ends.
func (l *Log) endOffsets(ctx context.Context) ([]int64, error) {
	for {
		if l.isClosed() {
			return nil, ErrClosed
		}
		ends, err := l.tryEndOffsets()
		if err == nil {
			return ends, nil
		}
		if perr := pause(ctx, l.cfg.RetryBackoff); perr != nil {
			return nil, fmt.Errorf("%w (last error: %v)", perr, err)
		}
		_ = l.pclient.RefreshMetadata(l.cfg.Topic)
	}
}

func (l *Log) tryEndOffsets() ([]int64, error) {
	groups := make(map[*sarama.Broker][]int32)
	for p := range l.partitions {
		b, err := l.pclient.Leader(l.cfg.Topic, p)
		if err != nil {
			return nil, err
		}
		groups[b] = append(groups[b], p)
	}
	ends := make([]int64, l.partitions)
	for b, parts := range groups {
		offs, err := listOffsets(b, l.pclient.Config().Version, l.cfg.Topic, parts, sarama.OffsetNewest)
		if err != nil {
			return nil, err
		}
		for p, o := range offs {
			ends[p] = o
		}
	}
	return ends, nil
}

// Write produces msgs and returns once every one of them is acknowledged by
// the cluster (acks=all) and has been applied by this log, so the caller
// reads its own writes. Records with the same key keep their order within
// one call as long as no attempt fails; records that failed with a retriable
// error (lost connection, leader change) are sent again after a pause until
// ctx ends, so the records of one call must not depend on each other's order
// across a failure: write such records with separate calls. A record that
// was acknowledged is durable even if Write returns an error.
func (l *Log) Write(ctx context.Context, msgs ...Message) error {
	for _, m := range msgs {
		if m.Key == nil {
			return fmt.Errorf("write to %s: %w: record without a key", l.cfg.Topic, ErrInvalidConfig)
		}
	}
	ends := make([]int64, l.partitions)
	for i := range ends {
		ends[i] = -1
	}
	type result struct {
		i         int
		partition int32
		offset    int64
		err       error
	}
	pending := make([]int, len(msgs))
	for i := range pending {
		pending[i] = i
	}
	for len(pending) > 0 {
		results := make(chan result, len(pending)) // never blocks a late delivery
		sent := 0
		var sendErr error
		for _, i := range pending {
			err := l.produce(ctx, msgs[i], func(p int32, off int64, err error) {
				results <- result{i, p, off, err}
			})
			if err != nil {
				sendErr = err
				break
			}
			sent++
		}
		var failed []int
		var fatal error
		for range sent {
			var r result
			select {
			case r = <-results:
			case <-ctx.Done():
				return fmt.Errorf("write to %s: %w", l.cfg.Topic, ctx.Err())
			}
			if r.err == nil {
				ends[r.partition] = max(ends[r.partition], r.offset+1)
				continue
			}
			if !retriable(r.err) {
				fatal = r.err
			}
			failed = append(failed, r.i)
		}
		if sendErr != nil {
			return fmt.Errorf("write to %s: %w", l.cfg.Topic, sendErr)
		}
		if fatal != nil {
			return fmt.Errorf("write to %s: %w", l.cfg.Topic, fatal)
		}
		if len(failed) == 0 {
			break
		}
		l.cfg.Logger.Warn("write to internal topic failed; retrying", "topic", l.cfg.Topic, "records", len(failed))
		if err := pause(ctx, l.cfg.RetryBackoff); err != nil {
			return fmt.Errorf("write to %s: %w", l.cfg.Topic, err)
		}
		slices.Sort(failed)
		pending = failed
	}
	if err := l.prog.wait(ctx, ends); err != nil {
		return fmt.Errorf("write to %s: read back: %w", l.cfg.Topic, err)
	}
	return nil
}

// Send produces one record asynchronously; callback (which may be nil) is
// called with the outcome once the cluster answers, from a goroutine of the
// log. Send does not retry failures and does not wait for the record to be
// applied locally. Send blocks while the producer's buffer is full.
func (l *Log) Send(key, value []byte, callback func(error)) error {
	if key == nil {
		return fmt.Errorf("send to %s: %w: record without a key", l.cfg.Topic, ErrInvalidConfig)
	}
	epoch := l.sends.begin()
	err := l.produce(context.Background(), Message{Key: key, Value: value}, func(_ int32, _ int64, err error) {
		l.sends.end(epoch, err)
		if callback != nil {
			callback(err)
		}
	})
	if err != nil {
		l.sends.end(epoch, nil)
		return fmt.Errorf("send to %s: %w", l.cfg.Topic, err)
	}
	return nil
}

// Flush waits until every record passed to Send before the call has been
// answered by the cluster and returns the first failure among them (each
// was also reported to its callback).
func (l *Log) Flush(ctx context.Context) error {
	if err := l.sends.flush(ctx); err != nil {
		return fmt.Errorf("flush %s: %w", l.cfg.Topic, err)
	}
	return nil
}

// delivery is the callback carried in a message's Metadata.
type delivery func(partition int32, offset int64, err error)

// produce hands one message to the producer, unless the log is closed or
// ctx ends first.
func (l *Log) produce(ctx context.Context, m Message, done delivery) error {
	pm := &sarama.ProducerMessage{Topic: l.cfg.Topic, Key: sarama.ByteEncoder(m.Key), Metadata: done}
	if m.Value != nil {
		pm.Value = sarama.ByteEncoder(m.Value)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	select {
	case l.producer.Input() <- pm:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *Log) deliverSuccesses() {
	defer l.ackDone.Done()
	for m := range l.producer.Successes() {
		m.Metadata.(delivery)(m.Partition, m.Offset, nil)
	}
}

func (l *Log) deliverErrors() {
	defer l.ackDone.Done()
	for e := range l.producer.Errors() {
		e.Msg.Metadata.(delivery)(e.Msg.Partition, -1, e.Err)
	}
}

func (l *Log) isClosed() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.closed
}

// Close stops consuming, waits for records already handed to the producer to
// be answered, and closes the connections. Pending ReadToEnd and Write calls
// fail with ErrClosed. Close is idempotent.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		l.cancel()
		l.producer.AsyncClose()
		l.ackDone.Wait()
		l.cdialer.Cut() // ends a long-polling fetch now
		<-l.fetchDone
		cerr := l.cclient.Close()
		perr := l.pclient.Close()
		l.prog.close(ErrClosed)
		l.closeErr = errors.Join(cerr, perr)
	})
	return l.closeErr
}

// retriable reports whether a failed write may succeed if sent again.
func retriable(err error) bool {
	for _, fatal := range []error{
		sarama.ErrShuttingDown, sarama.ErrClosedClient, ErrClosed,
		sarama.ErrMessageSizeTooLarge, sarama.ErrInvalidMessageSize, sarama.ErrMessageSetSizeTooLarge,
		sarama.ErrInvalidTopic, sarama.ErrInvalidRecord, sarama.ErrInvalidRequiredAcks,
		sarama.ErrTopicAuthorizationFailed, sarama.ErrClusterAuthorizationFailed,
		sarama.ErrTransactionalIDAuthorizationFailed, sarama.ErrUnsupportedVersion,
		sarama.ErrUnsupportedForMessageFormat, sarama.ErrPolicyViolation,
	} {
		if errors.Is(err, fatal) {
			return false
		}
	}
	var cerr sarama.ConfigurationError
	return !errors.As(err, &cerr)
}

// pause waits for d or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendTracker lets Flush wait for the Sends that came before it. Sends are
// counted per epoch; Flush closes the current epoch and waits for it and all
// earlier ones to drain.
type sendTracker struct {
	mu      sync.Mutex
	epoch   uint64
	counts  map[uint64]int
	errs    map[uint64]error
	changed chan struct{}
}

func (t *sendTracker) begin() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts, t.errs, t.changed = map[uint64]int{}, map[uint64]error{}, make(chan struct{})
	}
	t.counts[t.epoch]++
	return t.epoch
}

func (t *sendTracker) end(epoch uint64, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil && t.errs[epoch] == nil {
		t.errs[epoch] = err
	}
	if t.counts[epoch]--; t.counts[epoch] == 0 {
		delete(t.counts, epoch)
	}
	close(t.changed)
	t.changed = make(chan struct{})
}

func (t *sendTracker) flush(ctx context.Context) error {
	t.mu.Lock()
	if t.counts == nil {
		t.mu.Unlock()
		return nil
	}
	target := t.epoch
	t.epoch++
	t.mu.Unlock()
	for {
		t.mu.Lock()
		busy := false
		for e := range t.counts {
			if e <= target {
				busy = true
				break
			}
		}
		ch := t.changed
		if !busy {
			var first error
			for e, err := range t.errs {
				if e <= target {
					if first == nil {
						first = err
					}
					delete(t.errs, e)
				}
			}
			t.mu.Unlock()
			return first
		}
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
