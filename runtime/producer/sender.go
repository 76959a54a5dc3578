package producer

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/IBM/sarama"
)

// maxRequestBytes bounds the records of one Produce request, well below
// the 100 MiB Kafka brokers accept by default (socket.request.max.bytes).
const maxRequestBytes = 32 << 20

// maxRetryBackoff caps the doubling retry backoff, as Kafka's
// retry.backoff.max.ms does by default.
const maxRetryBackoff = time.Second

// batch is one partition's records in one Produce request. Batches are
// reused once reported (Producer.spare), with their arrays.
type batch struct {
	q     *queue
	msgs  []*Message
	bytes int
	rb    sarama.RecordBatch
	// records are the encoded forms of msgs, which rb.Records points to.
	records  []sarama.Record
	attempts int
	err      error // the last attempt's, for the final report
	answered bool  // result holds the broker's answer
	result   outcome
}

// outcome is what the broker said about one batch.
type outcome struct {
	err    error
	offset int64
	time   time.Time // LogAppendTime, or zero
}

// request is one Produce request on its way: the batches it carries, the
// connection it went out on, and once answered, the response or error.
type request struct {
	broker  *sarama.Broker // nil when the batches never left (no leader)
	conn    int            // the generation of broker's connection it was sent on
	batches []*batch
	resp    *sarama.ProduceResponse
	err     error
}

// run is the sender: it reads the answers to requests in flight, reports
// or reschedules their batches, sends the batches that are due, and sleeps
// until there is more to do.
func (p *Producer) run() {
	defer close(p.done)
	defer p.client.Close()
	p.timer = time.NewTimer(time.Hour)
	defer p.timer.Stop()
	for {
		p.mu.Lock()
		rejected, answered := p.rejected, p.answered
		p.rejected, p.answered = nil, nil
		p.mu.Unlock()

		for _, r := range rejected {
			p.report(r.m, r.err)
		}
		p.release(rejected)
		if len(answered) > 0 {
			p.settleAnswers(answered)
		}
		if p.resetPending && p.requests == 0 {
			p.resetPending = false
			p.resetProducerID()
		}

		p.mu.Lock()
		batches, wait, finished := p.collect(time.Now())
		p.mu.Unlock()
		if len(batches) > 0 {
			p.send(batches)
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

// collect takes the batches due at now, up to maxInFlight per partition:
// retries whose backoff has passed once the partition has nothing in
// flight, then batches from queues that fill one or have waited out the
// linger (at once when closing). Nothing is due while the producer waits
// to renew its id. It also returns how long until the next is due (-1: an
// answer or a Send will tell) and whether a closing producer has nothing
// left.
func (p *Producer) collect(now time.Time) (due []*batch, wait time.Duration, finished bool) {
	wait = -1
	later := func(d time.Duration) {
		if wait < 0 || d < wait {
			wait = max(d, 0)
		}
	}
	idle := true
	limit := p.inFlightLimit()
	for _, q := range p.queues {
		if len(q.inflight) > 0 || len(q.retries) > 0 || len(q.msgs) > 0 {
			idle = false
		}
		if p.resetPending {
			continue
		}
		if len(q.retries) > 0 {
			switch {
			case len(q.inflight) > 0:
			case now.Before(q.retryAt):
				later(q.retryAt.Sub(now))
			default:
				n := min(len(q.retries), limit)
				q.inflight = append(q.inflight, q.retries[:n]...)
				due = append(due, q.retries[:n]...)
				q.retries = q.retries[n:]
			}
			continue
		}
		for len(q.inflight) < limit && len(q.msgs) > 0 {
			if !p.closing && q.bytes < p.conf.Producer.Flush.Bytes {
				// A partial batch goes when it has lingered and nothing of its
				// partition is in flight; behind a request in flight it waits
				// for the answer and grows meanwhile, rather than turning a
				// busy partition's stream into many small requests.
				if len(q.inflight) > 0 {
					break
				}
				if age := now.Sub(q.since); age < p.conf.Producer.Flush.Frequency {
					later(p.conf.Producer.Flush.Frequency - age)
					break
				}
			}
			b := p.take(q)
			q.inflight = append(q.inflight, b)
			due = append(due, b)
		}
	}
	return due, wait, p.closing && idle && len(p.rejected) == 0
}

// inFlightLimit is how many batches a partition may have in flight: one
// without idempotence, since a retried batch could then land behind a
// later one.
func (p *Producer) inFlightLimit() int {
	if p.ids.id < 0 {
		return 1
	}
	return p.maxInFlight
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
	b := p.newBatch()
	b.q, b.msgs, b.bytes = q, append(b.msgs, q.msgs[:n]...), bytes
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
	b.records = slices.Grow(b.records, len(b.msgs))[:len(b.msgs)]
	records := slices.Grow(b.rb.Records[:0], len(b.msgs))
	for i, m := range b.msgs {
		r := &b.records[i]
		*r = sarama.Record{Key: m.Key, Value: m.Value, OffsetDelta: int64(i), TimestampDelta: m.Timestamp.Sub(first)}
		if m.Timestamp.After(maxTime) {
			maxTime = m.Timestamp
		}
		if len(m.Headers) > 0 {
			r.Headers = make([]*sarama.RecordHeader, len(m.Headers))
			for j := range m.Headers {
				r.Headers[j] = &m.Headers[j]
			}
		}
		records = append(records, r)
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

// send sends the batches without waiting for the answers, which arrive
// through answer. A batch whose leader is unknown is answered at once.
func (p *Producer) send(batches []*batch) {
	byBroker := map[*sarama.Broker][]*batch{}
	var brokers []*sarama.Broker // in first use, to keep requests in order
	for _, b := range batches {
		leader, err := p.client.Leader(b.q.tp.topic, b.q.tp.partition)
		if err != nil {
			p.requests++
			p.answer(&request{batches: []*batch{b}}, nil, err)
			continue
		}
		if byBroker[leader] == nil {
			brokers = append(brokers, leader)
		}
		byBroker[leader] = append(byBroker[leader], b)
	}
	for _, broker := range brokers {
		for _, r := range p.requestsFor(broker, byBroker[broker]) {
			p.produce(r)
		}
	}
}

// requestsFor packs one broker's batches into Produce requests of up to
// maxRequestBytes (or one batch). A request holds one batch per partition,
// so a partition's second batch goes in a later request than its first.
func (p *Producer) requestsFor(broker *sarama.Broker, bs []*batch) []*request {
	var reqs []*request
	var sizes []int
	after := map[*queue]int{} // the request after a partition's last batch
	for _, b := range bs {
		i := after[b.q]
		for i < len(reqs) && sizes[i]+b.bytes > maxRequestBytes {
			i++
		}
		if i == len(reqs) {
			reqs = append(reqs, &request{broker: broker, conn: p.conns[broker]})
			sizes = append(sizes, 0)
		}
		reqs[i].batches = append(reqs[i].batches, b)
		sizes[i] += b.bytes
		after[b.q] = i + 1
	}
	return reqs
}

// produce sends r's batches in one Produce request; the answer, or the
// error of a request that could not be written, goes to answer.
func (p *Producer) produce(r *request) {
	req := &sarama.ProduceRequest{
		RequiredAcks: p.conf.Producer.RequiredAcks,
		Timeout:      int32(p.conf.Producer.Timeout / time.Millisecond),
		Version:      p.version,
	}
	for _, b := range r.batches {
		req.AddBatch(b.q.tp.topic, b.q.tp.partition, &b.rb)
	}
	p.requests++
	if err := r.broker.AsyncProduce(req, func(resp *sarama.ProduceResponse, err error) { p.answer(r, resp, err) }); err != nil {
		p.answer(r, nil, err)
	}
}

// answer hands the sender a request's response or error. It runs on
// sarama's response reader, so it only queues them and wakes the sender.
func (p *Producer) answer(r *request, resp *sarama.ProduceResponse, err error) {
	r.resp, r.err = resp, err
	p.mu.Lock()
	p.answered = append(p.answered, r)
	p.mu.Unlock()
	p.signal()
}

// settleAnswers gives each answered batch its outcome and settles each
// partition's answered batches in the order they were sent, so that
// records are reported in order even when answers from two connections
// cross. A connection that failed is closed, once, for the client to
// reopen.
func (p *Producer) settleAnswers(answered []*request) {
	var touched []*queue
	for _, r := range answered {
		p.requests--
		if r.err != nil && r.broker != nil && r.conn == p.conns[r.broker] {
			_ = r.broker.Close()
			p.conns[r.broker]++
		}
		for _, b := range r.batches {
			b.result, b.answered = blockOutcome(r.resp, r.err, b), true
			touched = append(touched, b.q)
		}
	}
	var reported []*batch
	for _, q := range touched {
		reported = append(reported, p.settleInOrder(q)...)
	}
	p.release(nil, reported...)
	p.refreshMetadata()
}

// settleInOrder settles q's answered batches from the oldest in flight up
// to the first still unanswered, and returns those it reported.
func (p *Producer) settleInOrder(q *queue) (reported []*batch) {
	for len(q.inflight) > 0 && q.inflight[0].answered {
		b := q.inflight[0]
		q.inflight = q.inflight[1:]
		b.answered = false
		if p.settle(b, b.result) {
			reported = append(reported, b)
		}
	}
	if len(q.inflight) == 0 {
		q.broken = false
	}
	return reported
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

// settle reports b's messages and returns true, or puts b back to retry
// after the partition's earlier failed batches. A failure the producer
// cannot retry under its sequence numbers makes it renew its id once
// nothing is in flight.
func (p *Producer) settle(b *batch, o outcome) (reported bool) {
	q := b.q
	switch {
	case o.err == nil:
		p.acknowledge(b, o)
		return true
	case errors.Is(o.err, sarama.ErrDuplicateSequenceNumber):
		// A retry of a batch the broker had already written.
		p.acknowledge(b, outcome{offset: -1})
		return true
	case q.broken && errors.Is(o.err, sarama.ErrOutOfOrderSequenceNumber):
		// An earlier batch of the partition failed, so the broker took this
		// one for a gap: it goes again behind that one, on the same count.
		q.retries = append(q.retries, b)
		return false
	}
	q.broken = true
	b.attempts++
	b.err = o.err
	p.metadata[q.tp.topic] = true
	reset := errors.Is(o.err, sarama.ErrOutOfOrderSequenceNumber) || errors.Is(o.err, sarama.ErrUnknownProducerID)
	if (retriable(o.err) || reset) && b.attempts <= p.conf.Producer.Retry.Max {
		q.retries = append(q.retries, b)
		q.retryAt = time.Now().Add(p.backoff(b.attempts))
		p.resetPending = p.resetPending || reset
		return false
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
	p.resetPending = p.resetPending || p.ids.id >= 0
	return true
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

// report hands a message's outcome to the callback.
func (p *Producer) report(m *Message, err error) {
	p.opts.Ack(m, err)
}

// release frees the buffer space of reported messages: rejected ones and
// whole batches.
func (p *Producer) release(rejected []rejection, batches ...*batch) {
	freed, records := 0, len(rejected)
	for _, r := range rejected {
		freed += r.m.size
	}
	for _, b := range batches {
		freed += b.bytes
		records += len(b.msgs)
		p.recycle(b)
	}
	p.mu.Lock()
	p.buffered -= freed
	p.records -= records
	if p.space != nil && !p.full() {
		close(p.space)
		p.space = nil
	}
	p.mu.Unlock()
}

// maxSpareBatches bounds the reported batches kept for reuse: about as
// many as are in flight and buffered at once.
const maxSpareBatches = 16

// newBatch returns an empty batch, a spare one if there is one.
func (p *Producer) newBatch() *batch {
	if n := len(p.spare); n > 0 {
		b := p.spare[n-1]
		p.spare = p.spare[:n-1]
		return b
	}
	return &batch{}
}

// recycle keeps a reported batch's arrays for a later one, dropping its
// references to the messages and their bytes.
func (p *Producer) recycle(b *batch) {
	if len(p.spare) == maxSpareBatches {
		return
	}
	clear(b.msgs)
	clear(b.records)
	clear(b.rb.Records)
	*b = batch{msgs: b.msgs[:0], records: b.records[:0], rb: sarama.RecordBatch{Records: b.rb.Records[:0]}}
	p.spare = append(p.spare, b)
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
// batches waiting to be retried; it runs with nothing in flight. Until it
// has an id the producer goes on without idempotence rather than stalling.
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
		for _, b := range q.retries {
			p.sequence(b)
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
