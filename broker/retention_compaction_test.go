package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"conflux/broker"
	"conflux/internal/brokertest"
)

// pollUntil checks cond on every tick until it holds, failing the test
// after timeout.
func pollUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		case <-tick.C:
		}
	}
}

// consumeToEnd reads a partition with a fresh franz-go consumer from
// offset from (reset to the log start if it is out of range) up to the
// current end offset.
func consumeToEnd(t *testing.T, addr, topic string, from int64) []*kgo.Record {
	t.Helper()
	end := endOffset(t, newKgoClient(t, addr), topic, 0)
	cl := newKgoClient(t, addr,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(from)}}),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	ctx := testCtx(t)
	var out []*kgo.Record
	for len(out) == 0 || out[len(out)-1].Offset < end-1 {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consume %s: %d records before the deadline, want up to offset %d", topic, len(out), end-1)
		}
		for _, fe := range fetches.Errors() {
			t.Fatalf("consume %s-%d: %v", fe.Topic, fe.Partition, fe.Err)
		}
		out = append(out, fetches.Records()...)
	}
	return out
}

// A real broker over TCP compacts a compacted topic and applies retention
// to a delete topic in the background, seen through a franz-go client.
func TestBackgroundRetentionAndCompaction(t *testing.T) {
	t.Parallel()
	addr := brokertest.StartWith(t, broker.Config{RetentionCheckInterval: 20 * time.Millisecond})
	cl := newKgoClient(t, addr)
	ctx := testCtx(t)

	t.Run("compaction", func(t *testing.T) {
		const topic = "compacted"
		createTopic(t, cl, topic, 1, map[string]*string{
			"cleanup.policy": kadm.StringPtr("compact"),
			"segment.bytes":  kadm.StringPtr("100"), // every produce request rolls a segment
			// Passes may run while the records arrive: make any dirty
			// rest due, so the last pass always comes.
			"min.cleanable.dirty.ratio": kadm.StringPtr("0.01"),
		})
		// Five rounds over 20 keys, then a tombstone, then a record that
		// keeps them all out of the active segment.
		for round := range 5 {
			var recs []*kgo.Record
			for k := range 20 {
				recs = append(recs, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "key-%02d", k), Value: fmt.Appendf(nil, "round-%d", round)})
			}
			if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range []*kgo.Record{{Topic: topic, Key: []byte("key-00")}, {Topic: topic, Key: []byte("last"), Value: []byte("x")}} {
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		// A record without a key is refused by a compacted topic.
		err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("no key")}).FirstErr()
		if err == nil {
			t.Fatal("keyless record accepted by a compacted topic")
		}
		end := endOffset(t, cl, topic, 0)
		if end != 102 {
			t.Fatalf("end offset %d, want 102", end)
		}

		var got []*kgo.Record
		pollUntil(t, 20*time.Second, "the cleaner to compact the topic", func() bool {
			got = consumeToEnd(t, addr, topic, 0)
			return len(got) == 21
		})
		seen := map[string]bool{}
		for _, r := range got {
			key := string(r.Key)
			if seen[key] {
				t.Fatalf("key %s twice after compaction", key)
			}
			seen[key] = true
			switch {
			case key == "key-00":
				if r.Value != nil || r.Offset != 100 {
					t.Fatalf("key-00 = %q at %d, want the tombstone at 100", r.Value, r.Offset)
				}
			case key == "last":
				if r.Offset != 101 {
					t.Fatalf("last at %d", r.Offset)
				}
			case string(r.Value) != "round-4" || r.Offset < 80 || r.Offset >= 100:
				t.Fatalf("%s = %q at offset %d, want round-4 at its original offset", key, r.Value, r.Offset)
			}
		}
		if start, _ := listOffset(t, cl, topic, 0, -2); start != 0 {
			t.Fatalf("compaction moved the log start offset to %d", start)
		}
	})

	t.Run("retention", func(t *testing.T) {
		const topic = "expiring"
		createTopic(t, cl, topic, 1, map[string]*string{
			"retention.ms":  kadm.StringPtr("1"),
			"segment.bytes": kadm.StringPtr("100"),
		})
		for i := range 10 {
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte("k"), Value: fmt.Appendf(nil, "v%d", i)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		// Every segment but the active one (holding offset 9) expires.
		pollUntil(t, 20*time.Second, "retention to move the log start offset", func() bool {
			start, _ := listOffset(t, cl, topic, 0, -2)
			return start == 9
		})
		// A consumer at a deleted offset is reset to the log start.
		got := consumeToEnd(t, addr, topic, 2)
		if got[0].Offset != 9 || string(got[0].Value) != "v9" {
			t.Fatalf("consumer at deleted offset 2 resumed at %d (%q), want 9", got[0].Offset, got[0].Value)
		}
	})
}
