package runtime

import (
	"math/rand/v2"

	"github.com/IBM/sarama"

	"conflux/internal/kafkalog"
	"conflux/runtime/producer"
)

// stickyBatch is how many keyless records go to one partition before the
// partitioner moves on, so that they form large batches (the idea of
// Kafka's sticky partitioner, KIP-480, with a count instead of batch
// boundaries).
const stickyBatch = 512

// recordPartitioner places source records as Kafka's Java producer does: a
// record with an explicit partition goes there, a keyed record to murmur2 of
// its key bytes (so a key lands where a Java client would put it), and
// keyless records stick to one partition for stickyBatch records at a time.
// The producer makes one per topic and calls it under its lock.
type recordPartitioner struct {
	current int32
	left    int
}

func newRecordPartitioner(string) producer.Partitioner { return &recordPartitioner{current: -1} }

// Partition implements producer.Partitioner.
func (p *recordPartitioner) Partition(m *producer.Message, n int32) (int32, error) {
	if in, ok := m.Metadata.(*inflight); ok && in.partition >= 0 {
		if in.partition >= n {
			return -1, sarama.ErrInvalidPartition
		}
		return in.partition, nil
	}
	if m.Key != nil {
		return kafkalog.PartitionFor(m.Key, n), nil
	}
	if p.left == 0 || p.current >= n {
		p.current = rand.Int32N(n)
		p.left = stickyBatch
	}
	p.left--
	return p.current, nil
}
