package console

import (
	"testing"

	"github.com/IBM/sarama"
)

// TestKeyPartitionMatchesJava checks murmur2 partitioning against the
// partitions Kafka's Java client picks (kafka-protocol.md §3).
func TestKeyPartitionMatchesJava(t *testing.T) {
	tests := []struct {
		key    string
		p3, p6 int32
	}{
		{"21", 0, 0},
		{"foobar", 0, 0},
		{"abc", 0, 3},
		{"key1", 2, 2},
		{"user-42", 1, 4},
		{"k0", 2, 5},
	}
	for _, tt := range tests {
		if got := KeyPartition([]byte(tt.key), 3); got != tt.p3 {
			t.Errorf("key %q of 3: partition %d, want %d", tt.key, got, tt.p3)
		}
		if got := KeyPartition([]byte(tt.key), 6); got != tt.p6 {
			t.Errorf("key %q of 6: partition %d, want %d", tt.key, got, tt.p6)
		}
		// The producer's partitioner must agree with KeyPartition.
		p := NewPartitioner("t")
		got, err := p.Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder(tt.key)}, 6)
		if err != nil || got != tt.p6 {
			t.Errorf("partitioner: key %q of 6: %d, %v", tt.key, got, err)
		}
	}
}

// TestNullKeysSpread checks that records without a key stick to a partition
// for a while, then move round robin over all partitions.
func TestNullKeysSpread(t *testing.T) {
	p := NewPartitioner("t")
	counts := map[int32]int{}
	prev, switches := int32(-1), 0
	const n = 6
	for range stickyBatch * n * 2 {
		got, err := p.Partition(&sarama.ProducerMessage{}, n)
		if err != nil || got < 0 || got >= n {
			t.Fatalf("partition %d, %v", got, err)
		}
		if got != prev {
			switches++
			prev = got
		}
		counts[got]++
	}
	if len(counts) != n {
		t.Errorf("null keys reached %d of %d partitions: %v", len(counts), n, counts)
	}
	if switches > 2*n+1 {
		t.Errorf("partition changed %d times, want sticky batches", switches)
	}
	if !p.(sarama.DynamicConsistencyPartitioner).MessageRequiresConsistency(&sarama.ProducerMessage{Key: sarama.StringEncoder("k")}) ||
		p.(sarama.DynamicConsistencyPartitioner).MessageRequiresConsistency(&sarama.ProducerMessage{}) {
		t.Error("only keyed records require consistency")
	}
}
