package kafkalog

import "github.com/IBM/sarama"

// PartitionFor returns the partition Kafka's Java producer picks for a
// non-null key on a topic with n partitions: murmur2 of the key bytes, made
// positive, modulo n. Kafka Connect workers place internal-topic records this
// way, so Conflux's records for a key land on the same partition as theirs.
func PartitionFor(key []byte, n int32) int32 {
	if n <= 1 {
		return 0
	}
	p, _ := murmur2.Partition(&sarama.ProducerMessage{Key: sarama.ByteEncoder(key)}, n)
	return p
}

// murmur2 is stateless for keyed messages, so one instance serves all callers.
var murmur2 = sarama.NewMurmur2Partitioner("")
