package runtime

import (
	"math/rand/v2"

	"github.com/IBM/sarama"
)

// stickyBatch is how many keyless records go to one partition before the
// partitioner moves on, so that they form large batches (the idea of
// Kafka's sticky partitioner, KIP-480, with a count instead of batch
// boundaries, which sarama does not expose).
const stickyBatch = 512

// recordPartitioner places source records as Kafka's Java producer does: a
// record with an explicit partition goes there, a keyed record to murmur2 of
// its key bytes (so a key lands where a Java client would put it), and
// keyless records stick to one partition for stickyBatch records at a time.
// sarama makes one per topic and calls it from one goroutine.
type recordPartitioner struct {
	hash    sarama.Partitioner
	current int32
	left    int
}

func newRecordPartitioner(topic string) sarama.Partitioner {
	return &recordPartitioner{hash: sarama.NewMurmur2Partitioner(topic), current: -1}
}

// Partition implements sarama.Partitioner.
func (p *recordPartitioner) Partition(msg *sarama.ProducerMessage, n int32) (int32, error) {
	if in, ok := msg.Metadata.(*inflight); ok && in.partition >= 0 {
		if in.partition >= n {
			return -1, sarama.ErrInvalidPartition
		}
		return in.partition, nil
	}
	if msg.Key != nil {
		return p.hash.Partition(msg, n)
	}
	if p.left == 0 || p.current >= n {
		p.current = rand.Int32N(n)
		p.left = stickyBatch
	}
	p.left--
	return p.current, nil
}

// RequiresConsistency implements sarama.Partitioner: keyed records must
// keep their partition across retries.
func (p *recordPartitioner) RequiresConsistency() bool { return true }
