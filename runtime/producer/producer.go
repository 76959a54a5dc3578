package producer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// ErrClosed is the error of a Send after Close.
var ErrClosed = errors.New("producer is closed")

// Message is a record to produce. Send sets Partition; an acknowledged
// message has its Offset (and, for a LogAppendTime topic, the broker's
// Timestamp).
type Message struct {
	Topic     string
	Key       []byte // nil is a null key
	Value     []byte // nil is a null value (a tombstone)
	Headers   []sarama.RecordHeader
	Timestamp time.Time // zero means when Send is called
	// Partition is where the message goes, chosen by the Partitioner.
	Partition int32
	// Offset is the message's offset once acknowledged, or -1 when the
	// broker recognised a retried batch it had already written without
	// saying where.
	Offset int64
	// Metadata is the caller's, left as it is.
	Metadata any

	size int
}

// Partitioner chooses a message's partition among n. Each topic has its own,
// and it is called under the producer's lock, so it needs none of its own.
type Partitioner interface {
	Partition(m *Message, n int32) (int32, error)
}

// Ack is told the outcome of each message: nil once Kafka acknowledged it,
// or why it was not written. It is called from one goroutine, in the order
// of each partition's messages, and must not call Send.
type Ack func(m *Message, err error)

// Options are the producer's settings that sarama's configuration does not
// hold.
type Options struct {
	// NewPartitioner returns the partitioner of a topic. Required.
	NewPartitioner func(topic string) Partitioner
	// Ack receives each message's outcome. Required.
	Ack Ack
	// BufferBytes bounds the bytes of messages sent but not yet reported;
	// Send waits for room beyond it (Kafka's buffer.memory). The default is
	// four batches (Flush.Bytes): one filling while up to three wait for
	// the broker's fsync keep a partition busy, and more only holds
	// records, whose memory is several times their bytes, in the queue.
	BufferBytes int
	// BufferRecords bounds the number of messages sent but not yet
	// reported, since a small record's memory is many times its bytes.
	// Default 8192: two batches of small records, one in flight and one
	// filling, so that the task need not wait for each acknowledgement.
	BufferRecords int
}

// Producer sends messages to Kafka in batches. Send may be called from
// several goroutines.
type Producer struct {
	client  sarama.Client
	conf    *sarama.Config
	opts    Options
	version int16

	wake chan struct{} // a token when the sender has something new to look at
	done chan struct{} // closed when the sender has reported every message

	mu       sync.Mutex
	topics   map[string]*topicState
	queues   map[topicPartition]*queue
	rejected []rejection   // failed in Send, reported by the sender
	answered []*request    // answered requests, for the sender to settle
	queued   int           // messages in queues, not yet in a batch
	buffered int           // bytes of messages not yet reported
	records  int           // messages not yet reported
	space    chan struct{} // closed when buffered falls below the bound; nil unless Send waits
	closing  bool
	ids      producerIDs     // the sender's; changed under mu, which collect holds
	timer    *time.Timer     // the sender's
	metadata map[string]bool // the sender's: topics whose metadata to refresh

	// The sender's own:
	maxInFlight  int                    // the most batches a partition may have sent and not yet answered
	requests     int                    // requests sent and not yet settled
	resetPending bool                   // renew the producer id once nothing is in flight
	conns        map[*sarama.Broker]int // each broker connection's generation, counting closes
	spare        []*batch               // reported batches, for take to reuse
}

type topicPartition struct {
	topic     string
	partition int32
}

// topicState is what Send needs to place a topic's messages.
type topicState struct {
	partitions  int32
	partitioner Partitioner
}

// queue holds a partition's messages waiting for a batch, its batches in
// flight in the order they were sent, and those to send again.
type queue struct {
	tp    topicPartition
	msgs  []*Message
	bytes int
	since time.Time // when the oldest queued message arrived
	seq   int32     // the next batch's first sequence number

	// The sender's own:
	inflight []*batch
	retries  []*batch // in sequence order, sent before any new batch
	retryAt  time.Time
	broken   bool // a batch in flight failed: the later ones fail with it
}

type rejection struct {
	m   *Message
	err error
}

// producerIDs is the idempotent producer's identity (-1 without idempotence).
type producerIDs struct {
	id    int64
	epoch int16
}

// New starts a producer for the brokers at addrs with sarama's settings sc
// (acks, idempotence, compression, linger, batch and request size,
// retries, timeouts); sc is not modified. It returns once the producer has
// a producer id when idempotence is on.
func New(addrs []string, sc *sarama.Config, opts Options) (*Producer, error) {
	if opts.NewPartitioner == nil || opts.Ack == nil {
		return nil, errors.New("producer: a partitioner and an ack callback are required")
	}
	if !sc.Version.IsAtLeast(sarama.V0_11_0_0) {
		return nil, fmt.Errorf("producer: record batches need Kafka 0.11 or later, not %s", sc.Version)
	}
	if opts.BufferRecords <= 0 {
		opts.BufferRecords = 8192
	}
	if opts.BufferBytes <= 0 {
		opts.BufferBytes = 4 * max(sc.Producer.Flush.Bytes, 64<<10)
	}
	conf := *sc
	// sarama's own producer needs a single request in flight to keep an
	// idempotent partition in order; this one keeps order itself (see
	// settleAnswers), so its client is configured as a plain one.
	idempotent := conf.Producer.Idempotent
	conf.Producer.Idempotent = false
	client, err := sarama.NewClient(addrs, &conf)
	if err != nil {
		return nil, err
	}
	p := &Producer{
		client:   client,
		conf:     &conf,
		opts:     opts,
		version:  produceVersion(conf.Version),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		topics:   map[string]*topicState{},
		queues:   map[topicPartition]*queue{},
		ids:      producerIDs{id: -1, epoch: -1},
		metadata: map[string]bool{},
		// Kafka's idempotent producer allows up to five.
		maxInFlight: min(max(conf.Net.MaxOpenRequests, 1), 5),
		conns:       map[*sarama.Broker]int{},
	}
	if idempotent {
		if p.ids, err = p.newProducerID(); err != nil {
			client.Close()
			return nil, err
		}
	}
	go p.run()
	return p, nil
}

// produceVersion is the Produce request version sarama's producer would use
// for Kafka version v (at least 0.11).
func produceVersion(v sarama.KafkaVersion) int16 {
	ladder := []struct {
		since   sarama.KafkaVersion
		version int16
	}{{sarama.V3_7_0_0, 10}, {sarama.V2_8_0_0, 9}, {sarama.V2_4_0_0, 8}, {sarama.V2_1_0_0, 7}, {sarama.V2_0_0_0, 6}, {sarama.V1_0_0_0, 5}}
	for _, step := range ladder {
		if v.IsAtLeast(step.since) {
			return step.version
		}
	}
	return 3
}

// newProducerID asks the cluster for a producer id and epoch.
func (p *Producer) newProducerID() (producerIDs, error) {
	resp, err := p.client.InitProducerID()
	if err == nil && !errors.Is(resp.Err, sarama.ErrNoError) {
		err = resp.Err
	}
	if err != nil {
		return producerIDs{id: -1, epoch: -1}, fmt.Errorf("get an idempotent producer id: %w", err)
	}
	return producerIDs{id: resp.ProducerID, epoch: resp.ProducerEpoch}, nil
}

// Send queues m for its topic. It returns at once unless the producer holds
// more than Options.BufferBytes unreported, in which case it waits for room
// or for ctx. A message that cannot be placed (no such topic, too large) is
// reported to the callback; Send's own error is ctx's or ErrClosed, and the
// message is then not sent and not reported.
func (p *Producer) Send(ctx context.Context, m *Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.Timestamp.IsZero() {
		m.Timestamp = time.Now()
	}
	m.Offset = -1
	m.size = recordSize(m)
	if limit := p.conf.Producer.MaxMessageBytes; m.size > limit {
		p.reject(m, fmt.Errorf("a record of %d bytes is larger than max.request.size (%d): %w", m.size, limit, sarama.ErrMessageSizeTooLarge))
		return nil
	}
	p.mu.Lock()
	for {
		if p.closing {
			p.mu.Unlock()
			return ErrClosed
		}
		if !p.full() {
			break
		}
		if p.space == nil {
			p.space = make(chan struct{})
		}
		space := p.space
		p.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		}
		p.mu.Lock()
	}
	ts := p.topics[m.Topic]
	if ts == nil {
		p.mu.Unlock()
		if err := p.learnTopic(m.Topic); err != nil {
			p.reject(m, err)
			return nil
		}
		p.mu.Lock()
		ts = p.topics[m.Topic]
	}
	part, err := ts.partitioner.Partition(m, ts.partitions)
	if err == nil && (part < 0 || part >= ts.partitions) {
		err = fmt.Errorf("partition %d of %s, which has %d: %w", part, m.Topic, ts.partitions, sarama.ErrInvalidPartition)
	}
	if err != nil {
		p.mu.Unlock()
		p.reject(m, err)
		return nil
	}
	m.Partition = part
	signal := p.enqueue(m)
	p.mu.Unlock()
	if signal {
		p.signal()
	}
	return nil
}

// enqueue adds m to its partition's queue; it reports whether the sender
// must look: the producer was empty, or the queue just filled a batch.
func (p *Producer) enqueue(m *Message) bool {
	tp := topicPartition{m.Topic, m.Partition}
	q := p.queues[tp]
	if q == nil {
		q = &queue{tp: tp}
		p.queues[tp] = q
	}
	if len(q.msgs) == 0 {
		q.since = time.Now()
	}
	q.msgs = append(q.msgs, m)
	q.bytes += m.size
	p.buffered += m.size
	p.records++
	p.queued++
	return p.queued == 1 || (q.bytes >= p.conf.Producer.Flush.Bytes && q.bytes-m.size < p.conf.Producer.Flush.Bytes)
}

// learnTopic reads a topic's partition count (creating the topic if the
// broker creates topics on first use) and keeps it with a partitioner.
func (p *Producer) learnTopic(topic string) error {
	parts, err := p.client.Partitions(topic)
	if err == nil && len(parts) == 0 {
		err = sarama.ErrLeaderNotAvailable
	}
	if err != nil {
		return fmt.Errorf("find the partitions of topic %s: %w", topic, err)
	}
	p.mu.Lock()
	if ts := p.topics[topic]; ts == nil {
		p.topics[topic] = &topicState{partitions: int32(len(parts)), partitioner: p.opts.NewPartitioner(topic)}
	}
	p.mu.Unlock()
	return nil
}

// full reports whether the producer holds as much as its buffer bounds
// allow.
func (p *Producer) full() bool {
	return p.buffered >= p.opts.BufferBytes || p.records >= p.opts.BufferRecords
}

// reject hands m to the sender to report with err.
func (p *Producer) reject(m *Message, err error) {
	p.mu.Lock()
	p.rejected = append(p.rejected, rejection{m, err})
	p.mu.Unlock()
	p.signal()
}

// signal wakes the sender, or leaves it a token if it is busy.
func (p *Producer) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Close sends what is queued, waits until every message has been reported
// and closes the connections. Sends after Close fail with ErrClosed.
func (p *Producer) Close() {
	p.AsyncClose()
	<-p.done
}

// AsyncClose starts closing: queued messages are still sent, Done is
// closed once every message has been reported.
func (p *Producer) AsyncClose() {
	p.mu.Lock()
	p.closing = true
	if p.space != nil {
		close(p.space)
		p.space = nil
	}
	p.mu.Unlock()
	p.signal()
}

// Done is closed when a closed producer has reported every message.
func (p *Producer) Done() <-chan struct{} { return p.done }

// recordSize estimates a message's encoded size: its bytes plus the
// record's framing.
func recordSize(m *Message) int {
	n := len(m.Key) + len(m.Value) + 21 // length, attributes, deltas, key and value lengths, header count
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value) + 10
	}
	return n
}
