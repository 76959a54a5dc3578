package perf

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"

	"conflux/internal/console"
)

// ProduceOptions configures the producer test.
type ProduceOptions struct {
	// Brokers are the bootstrap addresses.
	Brokers []string
	// Topic receives the records; it must exist.
	Topic string
	// NumRecords is how many records to send.
	NumRecords int64
	// RecordSize is the value size in bytes; records have no key, like
	// Kafka's ProducerPerformance, and go to partitions in sticky batches.
	RecordSize int
	// Throughput is the target rate in records per second; <= 0 is
	// unlimited.
	Throughput float64
	// Acks is the acknowledgement level.
	Acks sarama.RequiredAcks
	// Compression is the batch codec.
	Compression sarama.CompressionCodec
	// BatchBytes, when > 0, holds records back until that many bytes are
	// buffered for a broker (sarama's Producer.Flush.Bytes), or Linger
	// passed. With both zero, sarama sends as soon as it can and batches
	// whatever accumulates while requests are in flight.
	BatchBytes int
	// Linger is the longest a record waits for its batch to fill
	// (Producer.Flush.Frequency).
	Linger time.Duration
	// MaxInFlight is the number of produce requests in flight per broker
	// (Net.MaxOpenRequests); 5 if zero.
	MaxInFlight int
	// MaxPending bounds the records sent but not yet acknowledged; 65536 if
	// zero.
	MaxPending int
	// Idempotent enables the idempotent producer (forces one request in
	// flight, needs acks=all).
	Idempotent bool
	// Progress, if not nil, receives a live progress line (meant for a
	// terminal) every ProgressInterval (1s if zero).
	Progress         io.Writer
	ProgressInterval time.Duration
}

// ProduceResult describes a producer test run.
type ProduceResult struct {
	// Sent is the number of records handed to the producer.
	Sent int64
	// Acked is the number of acknowledged records, Failed the rest.
	Acked, Failed int64
	// RecordSize is the value size of each record.
	RecordSize int
	// Elapsed runs from the first send to the last acknowledgement.
	Elapsed time.Duration
	// SendElapsed runs from the first send to the last; Sent/SendElapsed is
	// the rate the pacer achieved, whatever the acknowledgement latency.
	SendElapsed time.Duration
	// Latency holds every acknowledged record's send-to-ack time.
	Latency Histogram
	// CPU is the client process's CPU time during the run.
	CPU CPUUsage
	// FirstError is the first delivery error, if any.
	FirstError error
}

// RecordsPerSec returns acknowledged records per second.
func (r *ProduceResult) RecordsPerSec() float64 { return perSecond(float64(r.Acked), r.Elapsed) }

// MBPerSec returns acknowledged value megabytes (MiB) per second.
func (r *ProduceResult) MBPerSec() float64 {
	return perSecond(float64(r.Acked)*float64(r.RecordSize)/mb, r.Elapsed)
}

// WriteSummary prints the result the way Kafka's ProducerPerformance does,
// with latencies in fractional milliseconds, followed by the client's CPU
// time.
func (r *ProduceResult) WriteSummary(w io.Writer) {
	h := &r.Latency
	fmt.Fprintf(w, "%d records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, "+
		"%.2f ms 50th, %.2f ms 95th, %.2f ms 99th, %.2f ms 99.9th.\n",
		r.Acked, r.RecordsPerSec(), r.MBPerSec(), ms(h.Mean()), ms(h.Max()),
		ms(h.Percentile(50)), ms(h.Percentile(95)), ms(h.Percentile(99)), ms(h.Percentile(99.9)))
	if r.Failed > 0 {
		fmt.Fprintf(w, "%d records failed; first error: %v\n", r.Failed, r.FirstError)
	}
	fmt.Fprintf(w, "client CPU: %.2fs user, %.2fs system, %.2f cores busy on average over %.2fs\n",
		r.CPU.User.Seconds(), r.CPU.System.Seconds(), r.CPU.Cores(r.Elapsed), r.Elapsed.Seconds())
}

// slot is a pooled producer message; its Metadata points back to the slot so
// an acknowledgement finds the send time without any allocation.
type slot struct {
	msg  sarama.ProducerMessage
	sent time.Duration // since the run's start
}

// poolBatch is how many slots move between the acknowledgement handler and
// the sender at once, so the pool costs a lock per batch, not per record.
const poolBatch = 256

// defaultMaxPending bounds the records in flight when MaxPending is zero.
const defaultMaxPending = 65536

// slotPool holds the free slots. The sender takes them in batches, the
// acknowledgement handler gives them back in batches; when it is empty the
// sender waits, which bounds the records in flight.
type slotPool struct {
	mu   sync.Mutex
	free []*slot
	wake chan struct{}
}

func newSlotPool(n int) *slotPool {
	slots := make([]slot, n)
	p := &slotPool{free: make([]*slot, n), wake: make(chan struct{}, 1)}
	for i := range slots {
		p.free[i] = &slots[i]
	}
	return p
}

// put returns slots to the pool; batch may be reused by the caller.
func (p *slotPool) put(batch []*slot) {
	p.mu.Lock()
	p.free = append(p.free, batch...)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// take fills dst (up to its capacity) with free slots, waiting for at least
// one; it returns an empty slice when ctx is done first.
func (p *slotPool) take(ctx context.Context, dst []*slot) []*slot {
	for {
		p.mu.Lock()
		n := min(len(p.free), cap(dst))
		dst = append(dst[:0], p.free[len(p.free)-n:]...)
		p.free = p.free[:len(p.free)-n]
		p.mu.Unlock()
		if n > 0 {
			return dst
		}
		select {
		case <-p.wake:
		case <-ctx.Done():
			return dst
		}
	}
}

// Produce runs the producer test. It returns the result together with an
// error wrapping ErrRecordsFailed when records failed, or ctx's error when
// cancelled (the result then covers what was sent).
func Produce(ctx context.Context, o ProduceOptions) (*ProduceResult, error) {
	conf, err := o.saramaConfig()
	if err != nil {
		return nil, err
	}
	client, err := sarama.NewClient(o.Brokers, conf)
	if err != nil {
		return nil, fmt.Errorf("connect to %v: %w", o.Brokers, console.ExplainError(err))
	}
	defer client.Close()
	if _, err := client.Partitions(o.Topic); err != nil {
		return nil, fmt.Errorf("topic %q: %w", o.Topic, console.ExplainError(err))
	}
	prod, err := sarama.NewAsyncProducerFromClient(client)
	if err != nil {
		return nil, fmt.Errorf("start producer: %w", err)
	}

	payload := make(sarama.ByteEncoder, o.RecordSize)
	for i := range payload {
		payload[i] = byte('A' + rand.IntN(26))
	}
	pending := o.MaxPending
	if pending <= 0 {
		pending = defaultMaxPending
	}
	pool := newSlotPool(pending)

	res := &ProduceResult{RecordSize: o.RecordSize}
	cpu := startCPU()
	start := time.Now()
	var sentCount atomic.Int64 // for the progress line
	deliveries := console.NewDeliveries()
	ackDone := make(chan struct{})
	go func() {
		defer close(ackDone)
		acknowledge(prod, pool, deliveries, start, res, &o, sentCount.Load)
	}()

	pacer := NewPacer(o.Throughput)
	input := prod.Input()
	avail := make([]*slot, 0, poolBatch)
	var i int64
send:
	for ; i < o.NumRecords; i++ {
		if len(avail) == 0 {
			if avail = pool.take(ctx, avail); len(avail) == 0 {
				break send
			}
		}
		s := avail[len(avail)-1]
		avail = avail[:len(avail)-1]
		now := time.Since(start)
		if pacer.Limited() {
			if d := pacer.Pause(i, now); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					break send
				}
				now = time.Since(start)
			}
		}
		// Setting the timestamp here spares sarama a clock read per record.
		s.msg = sarama.ProducerMessage{Topic: o.Topic, Value: &payload, Metadata: s, Timestamp: start.Add(now)}
		s.sent = now
		select {
		case input <- &s.msg:
		case <-ctx.Done():
			break send
		}
		sentCount.Store(i + 1)
	}
	res.Sent = i
	res.SendElapsed = time.Since(start)
	// Close only when every record has an outcome: sarama's AsyncClose fails
	// records that are being retried.
	deliveries.Finish(i)
	select {
	case <-deliveries.Done():
	case <-ctx.Done():
	}
	res.Elapsed = time.Since(start)
	res.CPU = cpu.used()
	prod.AsyncClose()
	<-ackDone
	if res.Failed > 0 {
		return res, fmt.Errorf("%d of %d records not delivered: %w", res.Failed, res.Sent, ErrRecordsFailed)
	}
	return res, ctx.Err()
}

// acknowledge handles successes and errors until the producer is closed,
// recording latencies, returning slots to the pool and drawing progress.
func acknowledge(prod sarama.AsyncProducer, pool *slotPool, d *console.Deliveries, start time.Time, res *ProduceResult,
	o *ProduceOptions, sent func() int64) {
	succ, errs := prod.Successes(), prod.Errors()
	done := make([]*slot, 0, poolBatch)
	release := func(s *slot) {
		done = append(done, s)
		if len(done) == poolBatch {
			pool.put(done)
			done = done[:0]
		}
	}
	var tick <-chan time.Time
	line := progressLine{w: o.Progress}
	if o.Progress != nil {
		iv := o.ProgressInterval
		if iv <= 0 {
			iv = time.Second
		}
		t := time.NewTicker(iv)
		defer t.Stop()
		tick = t.C
	}
	var window Histogram
	windowStart := time.Now()
	var windowAcked int64
	for succ != nil || errs != nil {
		// Hand partial batches back whenever there is nothing to read, so the
		// sender never waits for slots that are only parked here.
		if len(succ) == 0 && len(done) > 0 {
			pool.put(done)
			done = done[:0]
		}
		select {
		case m, ok := <-succ:
			if !ok {
				succ = nil
				continue
			}
			s := m.Metadata.(*slot)
			lat := time.Since(start) - s.sent
			res.Latency.Record(lat)
			res.Acked++
			if tick != nil {
				window.Record(lat)
				windowAcked++
			}
			release(s)
			d.Delivered()
		case pe, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			res.Failed++
			if res.FirstError == nil {
				res.FirstError = console.ExplainError(pe.Err)
			}
			release(pe.Msg.Metadata.(*slot))
			d.Delivered()
		case now := <-tick:
			d := now.Sub(windowStart)
			line.show("%d records sent, %d acked, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency",
				sent(), res.Acked, perSecond(float64(windowAcked), d),
				perSecond(float64(windowAcked)*float64(o.RecordSize)/mb, d), ms(window.Mean()), ms(window.Max()))
			window.Reset()
			windowAcked = 0
			windowStart = now
		}
	}
	line.clear()
}

// saramaConfig validates the options and builds the producer configuration.
func (o *ProduceOptions) saramaConfig() (*sarama.Config, error) {
	switch {
	case o.Topic == "":
		return nil, fmt.Errorf("%w: no topic", ErrInvalidOptions)
	case len(o.Brokers) == 0:
		return nil, fmt.Errorf("%w: no bootstrap servers", ErrInvalidOptions)
	case o.NumRecords <= 0:
		return nil, fmt.Errorf("%w: --num-records must be positive", ErrInvalidOptions)
	case o.RecordSize < 0:
		return nil, fmt.Errorf("%w: --record-size must not be negative", ErrInvalidOptions)
	case o.Idempotent && o.Acks != sarama.WaitForAll:
		return nil, fmt.Errorf("%w: the idempotent producer needs acks=all", ErrInvalidOptions)
	}
	c := console.NewSaramaConfig()
	c.ClientID = console.ClientID + "-perf"
	c.Producer.RequiredAcks = o.Acks
	c.Producer.Compression = o.Compression
	c.Producer.Flush.Bytes = o.BatchBytes
	c.Producer.Flush.Frequency = o.Linger
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	c.Producer.Partitioner = console.NewPartitioner
	c.Producer.MaxMessageBytes = max(console.DefaultMaxMessageBytes, o.RecordSize+1024)
	c.ChannelBufferSize = 8192
	c.Net.MaxOpenRequests = 5
	if o.MaxInFlight > 0 {
		c.Net.MaxOpenRequests = o.MaxInFlight
	}
	if o.Idempotent {
		c.Producer.Idempotent = true
		c.Net.MaxOpenRequests = 1
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	return c, nil
}
