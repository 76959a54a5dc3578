package producer

import (
	"math"
	"slices"
	"testing"

	"github.com/IBM/sarama"
)

// TestSequenceWraps checks sequence numbers wrap at MaxInt32 to 0, as
// Kafka's DefaultRecordBatch.incrementSequence does.
func TestSequenceWraps(t *testing.T) {
	p := &Producer{ids: producerIDs{id: 7, epoch: 1}}
	for _, tc := range []struct{ seq, n, first, next int32 }{
		{0, 5, 0, 5},
		{math.MaxInt32 - 5, 5, math.MaxInt32 - 5, math.MaxInt32},
		{math.MaxInt32 - 2, 5, math.MaxInt32 - 2, 2},
		{math.MaxInt32, 1, math.MaxInt32, 0},
	} {
		q := &queue{seq: tc.seq}
		b := &batch{q: q, msgs: make([]*Message, tc.n)}
		p.sequence(b)
		if b.rb.FirstSequence != tc.first || q.seq != tc.next || b.rb.ProducerID != 7 || b.rb.ProducerEpoch != 1 {
			t.Errorf("%d records from %d: first %d, next %d (id %d/%d); want %d, %d",
				tc.n, tc.seq, b.rb.FirstSequence, q.seq, b.rb.ProducerID, b.rb.ProducerEpoch, tc.first, tc.next)
		}
	}
	p.ids = producerIDs{id: -1, epoch: -1}
	b := &batch{q: &queue{seq: 3}, msgs: make([]*Message, 2)}
	p.sequence(b)
	if b.rb.FirstSequence != -1 || b.q.seq != 3 {
		t.Errorf("without idempotence: sequence %d, next %d; want -1 and unchanged", b.rb.FirstSequence, b.q.seq)
	}
}

// TestSettleInOrder answers a partition's three batches in flight out of
// order, the first with a retriable error: nothing is reported before the
// first batch's answer, and then the later ones, which the broker refused
// as out of sequence, queue behind it to be sent again without using up
// an attempt or a new producer id.
func TestSettleInOrder(t *testing.T) {
	var reported []*Message
	p := &Producer{
		ids:      producerIDs{id: 7, epoch: 1},
		conf:     sarama.NewConfig(),
		opts:     Options{Ack: func(m *Message, err error) { reported = append(reported, m) }},
		metadata: map[string]bool{},
	}
	p.conf.Producer.Retry.Max = 3
	q := &queue{tp: topicPartition{"t", 0}}
	batches := make([]*batch, 3)
	for i := range batches {
		batches[i] = &batch{q: q, msgs: []*Message{{Offset: -1}}}
	}
	q.inflight = slices.Clone(batches)
	answer := func(b *batch, err error) { b.answered, b.result = true, outcome{err: err, offset: 10} }

	answer(batches[2], sarama.ErrOutOfOrderSequenceNumber)
	answer(batches[1], sarama.ErrOutOfOrderSequenceNumber)
	if got := p.settleInOrder(q); len(got) != 0 || len(q.inflight) != 3 {
		t.Fatalf("settled %d batches, %d in flight, before the first was answered", len(got), len(q.inflight))
	}
	answer(batches[0], sarama.ErrNotLeaderForPartition)
	if got := p.settleInOrder(q); len(got) != 0 || len(reported) != 0 {
		t.Fatalf("reported %d batches after a retriable failure", len(got))
	}
	if !slices.Equal(q.retries, batches) || len(q.inflight) != 0 || q.broken {
		t.Fatalf("retries %v, in flight %d, broken %v; want the three batches in order", q.retries, len(q.inflight), q.broken)
	}
	if batches[0].attempts != 1 || batches[1].attempts != 0 || batches[2].attempts != 0 || p.resetPending {
		t.Errorf("attempts %d %d %d, reset %v; want 1 0 0 and no new id",
			batches[0].attempts, batches[1].attempts, batches[2].attempts, p.resetPending)
	}

	// Sent again, the three are written: reported in order.
	q.inflight, q.retries = q.retries, nil
	for _, b := range slices.Backward(q.inflight) {
		answer(b, nil)
	}
	if got := p.settleInOrder(q); !slices.Equal(got, batches) {
		t.Fatalf("reported %d of 3 batches", len(got))
	}
	for i, b := range batches {
		if reported[i] != b.msgs[0] {
			t.Fatalf("batch %d reported out of order", i)
		}
	}
}
