package console

import (
	"math/rand/v2"

	"github.com/IBM/sarama"
)

// stickyBatch is how many null-key records go to one partition before the
// partitioner moves on to the next. Keeping consecutive records together
// makes fuller record batches than choosing a partition per record, as
// Kafka's sticky partitioner (KIP-480) does.
const stickyBatch = 1000

// NewPartitioner is a sarama.PartitionerConstructor that places keyed records
// the way Kafka's Java client does (murmur2 of the key bytes, made positive,
// modulo the partition count, via sarama's murmur2 partitioner) and spreads
// records without a key over all partitions, moving to the next partition
// every stickyBatch records.
func NewPartitioner(topic string) sarama.Partitioner {
	return &javaPartitioner{keyed: sarama.NewMurmur2Partitioner(topic)}
}

type javaPartitioner struct {
	keyed sarama.Partitioner
	// next and count implement the sticky round robin for null keys; sarama
	// calls Partition from one goroutine per topic.
	next    int32
	count   int
	started bool
}

// Partition implements sarama.Partitioner.
func (p *javaPartitioner) Partition(msg *sarama.ProducerMessage, n int32) (int32, error) {
	if msg.Key != nil {
		return p.keyed.Partition(msg, n)
	}
	if !p.started {
		p.started = true
		p.next = rand.Int32N(n)
	}
	if p.count >= stickyBatch || p.next >= n {
		p.count = 0
		p.next = (p.next + 1) % n
	}
	p.count++
	return p.next, nil
}

// RequiresConsistency implements sarama.Partitioner: keyed records must
// always go to the same partition.
func (p *javaPartitioner) RequiresConsistency() bool { return true }

// MessageRequiresConsistency implements sarama.DynamicConsistencyPartitioner:
// only keyed records need a fixed partition, so null-key records can be
// re-routed when a partition has no leader.
func (p *javaPartitioner) MessageRequiresConsistency(msg *sarama.ProducerMessage) bool {
	return msg.Key != nil
}

// KeyPartition returns the partition, out of n, that Kafka's Java client
// chooses for key. It is what NewPartitioner does for keyed records.
func KeyPartition(key []byte, n int32) int32 {
	p, _ := sarama.NewMurmur2Partitioner("").Partition(&sarama.ProducerMessage{Key: sarama.ByteEncoder(key)}, n)
	return p
}
