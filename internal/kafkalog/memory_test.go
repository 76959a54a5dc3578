package kafkalog_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"conflux/internal/kafkalog"
)

func openMemory(t *testing.T, topic *kafkalog.MemoryTopic) (*kafkalog.MemoryLog, *collector) {
	t.Helper()
	c := &collector{}
	l, err := kafkalog.OpenMemory(testCtx(t), topic, c.apply)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, c
}

func TestMemoryLogReadsOwnAndOthersWrites(t *testing.T) {
	topic := kafkalog.NewMemoryTopic(5)
	ctx := testCtx(t)
	l1, c1 := openMemory(t, topic)
	if err := l1.Write(ctx, kafkalog.Message{Key: []byte("a"), Value: []byte("1")}, kafkalog.Message{Key: []byte("b"), Value: []byte("2")}); err != nil {
		t.Fatal(err)
	}
	checkMap(t, "writer", c1.latest(), map[string]string{"a": "1", "b": "2"})

	l2, c2 := openMemory(t, topic)
	checkMap(t, "second reader", c2.latest(), map[string]string{"a": "1", "b": "2"})
	if err := l2.Write(ctx, kafkalog.Message{Key: []byte("a")}); err != nil {
		t.Fatal(err)
	}
	if err := l1.ReadToEnd(ctx); err != nil {
		t.Fatal(err)
	}
	checkMap(t, "writer after tombstone", c1.latest(), map[string]string{"b": "2"})
	for _, r := range topic.Records() {
		if want := kafkalog.PartitionFor(r.Key, 5); r.Partition != want {
			t.Errorf("key %s on partition %d, want %d", r.Key, r.Partition, want)
		}
	}
}

func TestMemoryTopicCompact(t *testing.T) {
	topic := kafkalog.NewMemoryTopic(1)
	ctx := testCtx(t)
	l, _ := openMemory(t, topic)
	for i := range 5 {
		if err := l.Write(ctx, kafkalog.Message{Key: fmt.Appendf(nil, "k%d", i%2), Value: fmt.Appendf(nil, "%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Write(ctx, kafkalog.Message{Key: []byte("k1")}); err != nil {
		t.Fatal(err)
	}
	topic.Compact(true)
	recs := topic.Records()
	if len(recs) != 1 || string(recs[0].Key) != "k0" || string(recs[0].Value) != "4" || recs[0].Offset != 4 {
		t.Fatalf("after compaction: %+v, want only k0=4 at offset 4", recs)
	}
	// A reader of the compacted topic reaches the end although the last
	// offsets are gone.
	_, c := openMemory(t, topic)
	checkMap(t, "reader of compacted topic", c.latest(), map[string]string{"k0": "4"})
}

func TestMemoryLogConcurrentWriters(t *testing.T) {
	topic := kafkalog.NewMemoryTopic(3)
	ctx := testCtx(t)
	l1, c1 := openMemory(t, topic)
	l2, c2 := openMemory(t, topic)
	var wg sync.WaitGroup
	for w, l := range []*kafkalog.MemoryLog{l1, l2, l1, l2} {
		wg.Go(func() {
			for i := range 50 {
				if err := l.Write(ctx, kafkalog.Message{Key: fmt.Appendf(nil, "w%d-%d", w, i), Value: []byte("v")}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for _, l := range []*kafkalog.MemoryLog{l1, l2} {
		if err := l.ReadToEnd(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n1, n2 := len(c1.latest()), len(c2.latest()); n1 != 200 || n2 != 200 {
		t.Errorf("keys seen: %d and %d, want 200 each", n1, n2)
	}
}

func TestMemoryLogClose(t *testing.T) {
	l, err := kafkalog.OpenMemory(testCtx(t), kafkalog.NewMemoryTopic(1), func(kafkalog.Record) {})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	l.Close()
	if err := l.Write(testCtx(t), kafkalog.Message{Key: []byte("k")}); !errors.Is(err, kafkalog.ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	if err := l.ReadToEnd(testCtx(t)); !errors.Is(err, kafkalog.ErrClosed) {
		t.Errorf("read after close: %v", err)
	}
}
