package producer

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// maxRequestBytes bounds the records of one Produce request, well below
// the 100 MiB Kafka brokers accept by default (socket.request.max.bytes).
const maxRequestBytes = 32 << 20

// maxRetryBackoff caps the doubling retry backoff, as Kafka's
// retry.backoff.max.ms does by default.
const maxRetryBackoff = time.Second

// batch is one partition's records in one Produce request.
type batch struct {
	q        *queue
	msgs     []*Message
	bytes    int
	rb       sarama.RecordBatch
	attempts int
	err      error // the last attempt's, for the final report
}

// outcome is what the broker said about one batch.
type outcome struct {
	err    error
	offset int64
	time   time.Time // LogAppendTime, or zero
}

// run is the sender: it takes the batches that are due, sends them, reports
// their messages, and sleeps until more are due.
func (p *Producer) run() {
	defer close(p.done)
	defer p.client.Close()
	p.timer = time.NewTimer(time.Hour)
	defer p.timer.Stop()
	for {
		p.mu.Lock()
		rejected := p.rejected
		p.rejected = nil
		batches, wait, finished := p.collect(time.Now())
		p.mu.Unlock()

		for _, r := range rejected {
			p.report(r.m, r.err)
		}
		p.release(rejected)
		if len(batches) > 0 {
			p.sendRound(batches)
			continue
		}
		if finished {
			return
		}
		p.sleep(wait)
	}
}

// sleep waits for a signal or, when wait is not negative, for wait.
func (p *Producer) sleep(wait time.Duration) {
	if wait < 0 {
		<-p.wake
		return
	}
	p.timer.Reset(wait)
	select {
	case <-p.wake:
		p.timer.Stop() // since Go 1.23 a stopped timer delivers no stale tick
	case <-p.timer.C:
	}
}

// collect takes the batches due at now: retries whose backoff has passed,
// and queues that fill a batch or have waited out the linger (at once when
// closing). It also returns how long until the next is due (-1: nothing
// waits) and whether a closing producer has nothing left.
func (p *Producer) collect(now time.Time) (due []*batch, wait time.Duration, finished bool) {
	wait = -1
	later := func(d time.Duration) {
		if wait < 0 || d < wait {
			wait = max(d, 0)
		}
	}
	idle := true
	for _, q := range p.queues {
		switch {
		case q.retry != nil:
			idle = false
			if !now.Before(q.retryAt) {
				due = append(due, q.retry)
				q.retry = nil
			} else {
				later(q.retryAt.Sub(now))
			}
		case len(q.msgs) > 0:
			idle = false
			if age := now.Sub(q.since); p.closing || q.bytes >= p.conf.Producer.Flush.Bytes || age >= p.conf.Producer.Flush.Frequency {
				due = append(due, p.take(q))
			} else {
				later(p.conf.Producer.Flush.Frequency - age)
			}
		}
	}
	return due, wait, p.closing && idle && len(p.rejected) == 0
}

// take makes a batch of up to Flush.Bytes (at least one message) from the
// head of q, with the next sequence numbers of the partition.
func (p *Producer) take(q *queue) *batch {
	limit := min(p.conf.Producer.Flush.Bytes, p.conf.Producer.MaxMessageBytes)
	n, bytes := 0, 0
	for n < len(q.msgs) && (n == 0 || bytes+q.msgs[n].size <= limit) {
		bytes += q.msgs[n].size
		n++
	}
	b := &batch{q: q, msgs: slices.Clone(q.msgs[:n]), bytes: bytes}
	clear(q.msgs[:n])
	if n == len(q.msgs) {
		q.msgs = q.msgs[:0] // the batch has its own copy: reuse the array
	} else {
		q.msgs = q.msgs[n:]
	}
	q.bytes -= bytes
	p.queued -= n
	p.build(b)
	return b
}

// build fills b's record batch and gives it its sequence numbers.
func (p *Producer) build(b *batch) {
	first := b.msgs[0].Timestamp
	maxTime := first
	records := make([]*sarama.Record, len(b.msgs))
	for i, m := range b.msgs {
		r := &m.record
		r.Key, r.Value = m.Key, m.Value
		r.OffsetDelta = int64(i)
		r.TimestampDelta = m.Timestamp.Sub(first)
		if m.Timestamp.After(maxTime) {
			maxTime = m.Timestamp
		}
		if len(m.Headers) > 0 {
			m.headers = make([]*sarama.RecordHeader, len(m.Headers))
			for j := range m.Headers {
				m.headers[j] = &m.Headers[j]
			}
			r.Headers = m.headers
		}
		records[i] = r
	}
	b.rb = sarama.RecordBatch{
		Version:          2,
		Codec:            p.conf.Producer.Compression,
		CompressionLevel: p.conf.Producer.CompressionLevel,
		FirstTimestamp:   first,
		MaxTimestamp:     maxTime,
		LastOffsetDelta:  int32(len(records) - 1),
		Records:          records,
	}
	p.sequence(b)
}

// sequence stamps b with the producer id and the partition's next
// sequence numbers, which wrap at MaxInt32 as Kafka's do.
func (p *Producer) sequence(b *batch) {
	b.rb.ProducerID, b.rb.ProducerEpoch, b.rb.FirstSequence = p.ids.id, p.ids.epoch, -1
	if p.ids.id < 0 {
		return
	}
	q, n := b.q, int32(len(b.msgs))
	b.rb.FirstSequence = q.seq
	if q.seq > math.MaxInt32-n {
		q.seq = n - (math.MaxInt32 - q.seq) - 1
	} else {
		q.seq += n
	}
}

// sendRound sends the batches, one request per leader broker at a time and
// the brokers in parallel, then reports or reschedules each batch.
func (p *Producer) sendRound(batches []*batch) {
	byBroker := map[*sarama.Broker][]*batch{}
	outcomes := make(map[*batch]outcome, len(batches))
	for _, b := range batches {
		leader, err := p.client.Leader(b.q.tp.topic, b.q.tp.partition)
		if err != nil {
			outcomes[b] = outcome{err: err}
			continue
		}
		byBroker[leader] = append(byBroker[leader], b)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for broker, bs := range byBroker {
		wg.Go(func() {
			got := p.produce(broker, bs)
			mu.Lock()
			for b, o := range got {
				outcomes[b] = o
			}
			mu.Unlock()
		})
	}
	wg.Wait()

	resetIDs := false
	for _, b := range batches {
		resetIDs = p.settle(b, outcomes[b]) || resetIDs
	}
	p.release(nil, batches...)
	p.refreshMetadata()
	if resetIDs {
		p.resetProducerID()
	}
}

// produce sends bs to broker in requests of up to maxRequestBytes and
// returns each batch's outcome. A lost connection is every batch's error,
// and the connection is closed for the client to reopen.
func (p *Producer) produce(broker *sarama.Broker, bs []*batch) map[*batch]outcome {
	out := make(map[*batch]outcome, len(bs))
	for len(bs) > 0 {
		n, bytes := 0, 0
		for n < len(bs) && (n == 0 || bytes+bs[n].bytes <= maxRequestBytes) {
			bytes += bs[n].bytes
			n++
		}
		req := &sarama.ProduceRequest{
			RequiredAcks: p.conf.Producer.RequiredAcks,
			Timeout:      int32(p.conf.Producer.Timeout / time.Millisecond),
			Version:      p.version,
		}
		for _, b := range bs[:n] {
			req.AddBatch(b.q.tp.topic, b.q.tp.partition, &b.rb)
		}
		resp, err := broker.Produce(req)
		if err != nil {
			_ = broker.Close()
		}
		for _, b := range bs[:n] {
			out[b] = blockOutcome(resp, err, b)
		}
		bs = bs[n:]
	}
	return out
}

// blockOutcome reads b's outcome from a Produce response.
func blockOutcome(resp *sarama.ProduceResponse, err error, b *batch) outcome {
	if err != nil {
		return outcome{err: err}
	}
	block := resp.GetBlock(b.q.tp.topic, b.q.tp.partition)
	if block == nil {
		return outcome{err: fmt.Errorf("the broker's response left out %s-%d: %w", b.q.tp.topic, b.q.tp.partition, sarama.ErrIncompleteResponse)}
	}
	if !errors.Is(block.Err, sarama.ErrNoError) {
		if block.ErrorMessage != nil && *block.ErrorMessage != "" {
			return outcome{err: fmt.Errorf("%w: %s", block.Err, *block.ErrorMessage)}
		}
		return outcome{err: block.Err}
	}
	return outcome{offset: block.Offset, time: block.Timestamp}
}

// settle reports b's messages, or puts b back to retry. It returns whether
// the producer needs a new producer id.
func (p *Producer) settle(b *batch, o outcome) (resetIDs bool) {
	switch {
	case o.err == nil:
		p.acknowledge(b, o)
		return false
	case errors.Is(o.err, sarama.ErrDuplicateSequenceNumber):
		// A retry of a batch the broker had already written.
		p.acknowledge(b, outcome{offset: -1})
		return false
	}
	b.attempts++
	b.err = o.err
	p.metadata[b.q.tp.topic] = true
	reset := errors.Is(o.err, sarama.ErrOutOfOrderSequenceNumber) || errors.Is(o.err, sarama.ErrUnknownProducerID)
	if (retriable(o.err) || reset) && b.attempts <= p.conf.Producer.Retry.Max {
		p.mu.Lock()
		b.q.retry = b
		b.q.retryAt = time.Now().Add(p.backoff(b.attempts))
		p.mu.Unlock()
		return reset
	}
	err := o.err
	if b.attempts > 1 {
		err = fmt.Errorf("after %d attempts: %w", b.attempts, err)
	}
	for _, m := range b.msgs {
		p.report(m, err)
	}
	// The partition's later batches would not follow the failed one's
	// sequence numbers: an idempotent producer starts again with a new id.
	return p.ids.id >= 0
}

// acknowledge reports b's messages as written at o.
func (p *Producer) acknowledge(b *batch, o outcome) {
	for i, m := range b.msgs {
		if o.offset >= 0 {
			m.Offset = o.offset + int64(i)
		}
		if !o.time.IsZero() && o.time.Unix() > 0 {
			m.Timestamp = o.time
		}
		p.report(m, nil)
	}
}

// report hands a message's outcome to the callback, dropping the
// producer's references into it.
func (p *Producer) report(m *Message, err error) {
	m.record = sarama.Record{}
	m.headers = nil
	p.opts.Ack(m, err)
}

// release frees the buffer space of reported messages: rejected ones and
// whole batches, except those put back to retry.
func (p *Producer) release(rejected []rejection, batches ...*batch) {
	freed, records := 0, len(rejected)
	for _, r := range rejected {
		freed += r.m.size
	}
	p.mu.Lock()
	for _, b := range batches {
		if b.q.retry != b {
			freed += b.bytes
			records += len(b.msgs)
		}
	}
	p.buffered -= freed
	p.records -= records
	if p.space != nil && !p.full() {
		close(p.space)
		p.space = nil
	}
	p.mu.Unlock()
}

// backoff is the wait before the given retry: retry.backoff.ms doubled for
// each earlier one, up to maxRetryBackoff.
func (p *Producer) backoff(attempt int) time.Duration {
	d := p.conf.Producer.Retry.Backoff
	for i := 1; i < attempt && d < maxRetryBackoff; i++ {
		d *= 2
	}
	return min(d, max(maxRetryBackoff, p.conf.Producer.Retry.Backoff))
}

// refreshMetadata re-reads the leaders of topics whose batches failed and
// the partition counts of every topic in use.
func (p *Producer) refreshMetadata() {
	if len(p.metadata) > 0 {
		topics := make([]string, 0, len(p.metadata))
		for t := range p.metadata {
			topics = append(topics, t)
		}
		clear(p.metadata)
		_ = p.client.RefreshMetadata(topics...) // a failure shows in the retry
	}
	p.mu.Lock()
	names := make([]string, 0, len(p.topics))
	for t := range p.topics {
		names = append(names, t)
	}
	p.mu.Unlock()
	for _, t := range names {
		parts, err := p.client.Partitions(t)
		if err != nil || len(parts) == 0 {
			continue
		}
		p.mu.Lock()
		p.topics[t].partitions = int32(len(parts))
		p.mu.Unlock()
	}
}

// resetProducerID gets a new producer id after a sequence went wrong and
// restarts every partition's sequence numbers, including those of the
// batches waiting to be retried. Until it has one the producer goes on
// without idempotence rather than stalling.
func (p *Producer) resetProducerID() {
	ids, err := p.newProducerID()
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		ids = producerIDs{id: -1, epoch: -1}
	}
	p.ids = ids
	for _, q := range p.queues {
		q.seq = 0
		if q.retry != nil {
			p.sequence(q.retry)
		}
	}
}

// retriable reports whether err may go away on its own: a lost connection
// or a broker-side condition Kafka's producer retries.
func retriable(err error) bool {
	var kerr sarama.KError
	if !errors.As(err, &kerr) {
		return !errors.Is(err, sarama.ErrClosedClient)
	}
	switch kerr {
	case sarama.ErrNotLeaderForPartition, sarama.ErrLeaderNotAvailable, sarama.ErrUnknownTopicOrPartition,
		sarama.ErrRequestTimedOut, sarama.ErrNotEnoughReplicas, sarama.ErrNotEnoughReplicasAfterAppend,
		sarama.ErrKafkaStorageError, sarama.ErrNetworkException, sarama.ErrBrokerNotAvailable,
		sarama.ErrInvalidMessage, sarama.ErrFencedLeaderEpoch, sarama.ErrUnknownLeaderEpoch,
		sarama.ErrThrottlingQuotaExceeded:
		return true
	}
	return false
}
