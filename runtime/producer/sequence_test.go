package producer

import (
	"math"
	"testing"
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
