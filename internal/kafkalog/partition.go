package kafkalog

import "encoding/binary"

// PartitionFor returns the partition Kafka's Java producer picks for a
// non-null key on a topic with n partitions: murmur2 of the key bytes, made
// positive, modulo n. Kafka Connect workers place internal-topic records this
// way, so Conflux's records for a key land on the same partition as theirs.
func PartitionFor(key []byte, n int32) int32 {
	if n <= 1 {
		return 0
	}
	return int32(murmur2(key)&0x7fffffff) % n
}

// murmur2 is the 32-bit MurmurHash2 of Kafka's Utils.murmur2 (seed
// 0x9747b28c), without allocating.
func murmur2(data []byte) uint32 {
	const (
		seed = 0x9747b28c
		m    = 0x5bd1e995
		r    = 24
	)
	h := uint32(seed) ^ uint32(len(data))
	whole := len(data) &^ 3
	for i := 0; i < whole; i += 4 {
		k := binary.LittleEndian.Uint32(data[i:])
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	switch tail := data[whole:]; len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}
