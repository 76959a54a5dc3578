package runtime

import (
	"errors"
	"testing"

	"github.com/IBM/sarama"

	"conflux/internal/kafkalog"
	"conflux/runtime/producer"
)

// TestPartitionerKeyedLikeJava checks keyed records against murmur2 hashes
// from Kafka's own test suite (UtilsTest.testMurmur2): the Java producer
// puts a key on toPositive(murmur2(key)) % partitions.
func TestPartitionerKeyedLikeJava(t *testing.T) {
	javaHashes := map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	}
	for key, hash := range javaHashes {
		for _, n := range []int32{1, 2, 3, 5, 7, 25, 100} {
			want := int32(uint32(hash)&0x7fffffff) % n
			p := newRecordPartitioner("t")
			got, err := p.Partition(&producer.Message{Topic: "t", Key: []byte(key)}, n)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("key %q over %d partitions: partition %d, Java's producer picks %d", key, n, got, want)
			}
		}
	}
}

// TestPartitionerEmptyKey checks an empty key is a key: it hashes, it
// does not stick.
func TestPartitionerEmptyKey(t *testing.T) {
	p := newRecordPartitioner("t")
	got, err := p.Partition(&producer.Message{Key: []byte{}}, 7)
	if err != nil || got != kafkalog.PartitionFor([]byte{}, 7) {
		t.Errorf("empty key: partition %d (%v), want %d", got, err, kafkalog.PartitionFor([]byte{}, 7))
	}
}

func TestPartitionerExplicitPartition(t *testing.T) {
	p := newRecordPartitioner("t")
	for _, tc := range []struct {
		partition, n int32
		want         int32
		err          error
	}{
		{partition: 2, n: 3, want: 2},
		{partition: 0, n: 1, want: 0},
		{partition: 3, n: 3, want: -1, err: sarama.ErrInvalidPartition},
		{partition: 99, n: 12, want: -1, err: sarama.ErrInvalidPartition},
	} {
		// The explicit partition wins over the key.
		msg := &producer.Message{Key: []byte("foobar"), Metadata: &inflight{partition: tc.partition}}
		got, err := p.Partition(msg, tc.n)
		if got != tc.want || !errors.Is(err, tc.err) && err != tc.err {
			t.Errorf("partition %d of %d: got %d, %v; want %d, %v", tc.partition, tc.n, got, err, tc.want, tc.err)
		}
	}
	// -1 means "none": the key decides.
	msg := &producer.Message{Key: []byte("foobar"), Metadata: &inflight{partition: -1}}
	if got, _ := p.Partition(msg, 5); got != kafkalog.PartitionFor([]byte("foobar"), 5) {
		t.Errorf("no explicit partition: %d, want the key's", got)
	}
}

func TestPartitionerStickyKeyless(t *testing.T) {
	const n = 4
	p := newRecordPartitioner("t")
	keyless := func() int32 {
		t.Helper()
		got, err := p.Partition(&producer.Message{Metadata: &inflight{partition: -1}}, n)
		if err != nil {
			t.Fatal(err)
		}
		if got < 0 || got >= n {
			t.Fatalf("partition %d out of [0,%d)", got, n)
		}
		return got
	}
	used := make(map[int32]int)
	for batch := range 40 {
		first := keyless()
		used[first]++
		for i := 1; i < stickyBatch; i++ {
			if got := keyless(); got != first {
				t.Fatalf("batch %d, record %d: partition %d, want %d (sticky for %d records)", batch, i, got, first, stickyBatch)
			}
		}
	}
	// 40 independent choices over 4 partitions all equal has probability
	// 4^-39: the partitioner does move on.
	if len(used) < 2 {
		t.Errorf("keyless records used partitions %v only", used)
	}
	// A keyed record in the middle of a sticky run neither moves it nor
	// counts towards it.
	p = newRecordPartitioner("t")
	first := keyless()
	for range stickyBatch / 2 {
		keyless()
	}
	if _, err := p.Partition(&producer.Message{Key: []byte("k")}, n); err != nil {
		t.Fatal(err)
	}
	for i := stickyBatch/2 + 1; i < stickyBatch; i++ {
		if got := keyless(); got != first {
			t.Fatalf("record %d after a keyed one: partition %d, want %d", i, got, first)
		}
	}
}

func TestPartitionerStickyShrinkingTopic(t *testing.T) {
	p := newRecordPartitioner("t")
	// Stick to some partition of 64, then the topic reports fewer: the
	// partitioner must never return one that no longer exists.
	for range 50 {
		if _, err := p.Partition(&producer.Message{}, 64); err != nil {
			t.Fatal(err)
		}
		got, err := p.Partition(&producer.Message{}, 2)
		if err != nil || got < 0 || got >= 2 {
			t.Fatalf("after the topic shrank to 2 partitions: %d, %v", got, err)
		}
		p = newRecordPartitioner("t")
	}
}
