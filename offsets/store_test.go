package offsets_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"conflux/internal/kafkalog"
	"conflux/internal/kafkalog/logtest"
	"conflux/offsets"
)

// backend is one implementation of the store under test: a shared topic on
// which any number of stores (workers) can be opened.
type backend struct {
	// open returns a new store on the shared topic, closed at test end.
	open func(t *testing.T) *offsets.Store
	// raw returns the topic's records as an independent reader sees them.
	raw func(t *testing.T) []kafkalog.Record
	// inject writes records as a foreign worker would.
	inject func(t *testing.T, msgs ...kafkalog.Message)
	// restart restarts the backend underneath open stores (the broker); a
	// no-op where there is nothing to restart.
	restart func(t *testing.T)
}

var backends = []struct {
	name string
	new  func(t *testing.T) *backend
}{
	{"memory", func(t *testing.T) *backend {
		topic := kafkalog.NewMemoryTopic(offsets.DefaultPartitions)
		return &backend{
			open: func(t *testing.T) *offsets.Store {
				s := offsets.NewMemoryStore(topic)
				t.Cleanup(func() { s.Close() })
				return s
			},
			raw:     func(*testing.T) []kafkalog.Record { return topic.Records() },
			inject:  func(_ *testing.T, msgs ...kafkalog.Message) { topic.Append(msgs...) },
			restart: func(*testing.T) {},
		}
	}},
	{"kafka", func(t *testing.T) *backend {
		b := logtest.StartBroker(t)
		return &backend{
			open: func(t *testing.T) *offsets.Store {
				s, err := offsets.OpenStore(ctx(t), offsets.StoreConfig{Brokers: []string{b.Addr()}})
				if err != nil {
					t.Fatalf("open store: %v", err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			},
			raw: func(t *testing.T) []kafkalog.Record { return logtest.ReadAll(t, b.Addr(), offsets.DefaultTopic) },
			inject: func(t *testing.T, msgs ...kafkalog.Message) {
				logtest.Produce(t, b.Addr(), offsets.DefaultTopic, msgs...)
			},
			restart: func(*testing.T) { b.Restart() },
		}
	}},
}

// forEachBackend runs the same test body against every implementation.
func forEachBackend(t *testing.T, body func(t *testing.T, b *backend)) {
	t.Helper()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			body(t, be.new(t))
		})
	}
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func part(task int) map[string]any { return map[string]any{"task.id": task} }

func mustKey(t *testing.T, p map[string]any) offsets.PartitionKey {
	t.Helper()
	k, err := offsets.KeyOf(p)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestStoreRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s := b.open(t)
		c := ctx(t)
		err := s.Set(c, "datagen-users", []offsets.PartitionOffset{
			{Partition: part(0), Offset: map[string]any{"current.iteration": 42}},
			{Partition: part(1), Offset: map[string]any{"current.iteration": 7, "ratio": 0.5, "name": "x", "done": false, "list": []any{1, "a"}}},
		})
		if err != nil {
			t.Fatalf("set: %v", err)
		}
		got, err := s.Get(c, "datagen-users", []map[string]any{part(0), part(1), part(2)})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		want := map[offsets.PartitionKey]map[string]any{
			mustKey(t, part(0)): {"current.iteration": int64(42)},
			mustKey(t, part(1)): {"current.iteration": int64(7), "ratio": 0.5, "name": "x", "done": false, "list": []any{int64(1), "a"}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("get = %#v\nwant %#v", got, want)
		}
		// Offsets are per connector.
		other, err := s.Get(c, "other", []map[string]any{part(0)})
		if err != nil || len(other) != 0 {
			t.Errorf("other connector: %v, %v; want nothing", other, err)
		}
		// A newer offset replaces the old one.
		if err := s.Set(c, "datagen-users", []offsets.PartitionOffset{{Partition: part(0), Offset: map[string]any{"current.iteration": 43}}}); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Get(c, "datagen-users", []map[string]any{part(0)})
		if v := got[mustKey(t, part(0))]["current.iteration"]; v != int64(43) {
			t.Errorf("after update: %v, want 43", v)
		}
		// Results are copies.
		got[mustKey(t, part(0))]["current.iteration"] = "changed"
		again, _ := s.Get(c, "datagen-users", []map[string]any{part(0)})
		if again[mustKey(t, part(0))]["current.iteration"] != int64(43) {
			t.Errorf("Get returned the store's own map")
		}
	})
}

func TestStoreTombstonesAndReset(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s := b.open(t)
		c := ctx(t)
		var all []offsets.PartitionOffset
		for i := range 5 {
			all = append(all, offsets.PartitionOffset{Partition: part(i), Offset: map[string]any{"pos": i}})
		}
		if err := s.Set(c, "src", all); err != nil {
			t.Fatal(err)
		}
		if err := s.Set(c, "keep", all[:1]); err != nil {
			t.Fatal(err)
		}
		// Alter: a nil offset removes, others are written.
		if err := s.Alter(c, "src", []offsets.PartitionOffset{{Partition: part(1)}, {Partition: part(2), Offset: map[string]any{"pos": 20}}}); err != nil {
			t.Fatalf("alter: %v", err)
		}
		list, err := s.ConnectorOffsets(c, "src")
		if err != nil {
			t.Fatal(err)
		}
		want := []offsets.PartitionOffset{
			{Partition: map[string]any{"task.id": int64(0)}, Offset: map[string]any{"pos": int64(0)}},
			{Partition: map[string]any{"task.id": int64(2)}, Offset: map[string]any{"pos": int64(20)}},
			{Partition: map[string]any{"task.id": int64(3)}, Offset: map[string]any{"pos": int64(3)}},
			{Partition: map[string]any{"task.id": int64(4)}, Offset: map[string]any{"pos": int64(4)}},
		}
		if !reflect.DeepEqual(list, want) {
			t.Errorf("offsets after alter = %v\nwant %v", list, want)
		}
		if err := s.Alter(c, "src", []offsets.PartitionOffset{{Offset: map[string]any{"pos": 1}}}); err == nil {
			t.Errorf("alter without a partition succeeded")
		}

		// Reset writes a tombstone per partition; another store sees it.
		if err := s.Reset(c, "src"); err != nil {
			t.Fatalf("reset: %v", err)
		}
		s2 := b.open(t)
		for _, st := range []*offsets.Store{s, s2} {
			if list, err := st.ConnectorOffsets(c, "src"); err != nil || len(list) != 0 {
				t.Errorf("after reset: %v, %v; want none", list, err)
			}
			if list, _ := st.ConnectorOffsets(c, "keep"); len(list) != 1 {
				t.Errorf("reset removed another connector's offsets: %v", list)
			}
		}
		tombstones := 0
		for _, r := range b.raw(t) {
			if r.Value == nil {
				tombstones++
			}
		}
		if tombstones != 5 { // 1 from alter, 4 from reset
			t.Errorf("%d tombstones on the topic, want 5", tombstones)
		}
		if got := s2.Connectors(); !reflect.DeepEqual(got, []string{"keep"}) {
			t.Errorf("connectors = %v, want [keep]", got)
		}
	})
}

func TestStoreSurvivesRestartOfStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s := b.open(t)
		c := ctx(t)
		var batch []offsets.PartitionOffset
		for i := range 100 {
			batch = append(batch, offsets.PartitionOffset{Partition: map[string]any{"file": fmt.Sprintf("/data/%03d.log", i)}, Offset: map[string]any{"position": i * 100}})
		}
		if err := s.Set(c, "files", batch); err != nil {
			t.Fatal(err)
		}
		if err := s.Set(c, "files", []offsets.PartitionOffset{{Partition: batch[7].Partition}}); err != nil {
			t.Fatal(err)
		}
		s.Close()

		fresh := b.open(t)
		list, err := fresh.ConnectorOffsets(c, "files")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 99 {
			t.Fatalf("a new store sees %d partitions, want 99", len(list))
		}
		got, _ := fresh.Get(c, "files", []map[string]any{batch[8].Partition, batch[7].Partition})
		if len(got) != 1 || got[mustKey(t, batch[8].Partition)]["position"] != int64(800) {
			t.Errorf("new store: %v, want only /data/008.log at 800", got)
		}
	})
}

// TestStoreRecordFormat checks the bytes on the topic against Kafka Connect's
// format, read back by an independent reader.
func TestStoreRecordFormat(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s := b.open(t)
		c := ctx(t)
		if err := s.Set(c, "datagen-users", []offsets.PartitionOffset{{Partition: map[string]any{"task.id": 0}, Offset: map[string]any{"current.iteration": 42}}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Set(c, "local-file-source", []offsets.PartitionOffset{{
			Partition: map[string]any{"filename": "/tmp/a<b>&c.txt"},
			Offset:    map[string]any{"position": int64(1234), "ts": 1.5, "zz": nil, "aa": "é"},
		}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Set(c, "pg", []offsets.PartitionOffset{{Partition: map[string]any{"slot": "s", "db": "d"}, Offset: map[string]any{"lsn": "0/16B3748"}}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Set(c, "pg", []offsets.PartitionOffset{{Partition: map[string]any{"slot": "s", "db": "d"}}}); err != nil {
			t.Fatal(err)
		}
		golden := []struct{ key, value string }{
			{`["datagen-users",{"task.id":0}]`, `{"current.iteration":42}`},
			{`["local-file-source",{"filename":"/tmp/a<b>&c.txt"}]`, `{"aa":"é","position":1234,"ts":1.5,"zz":null}`},
			{`["pg",{"db":"d","slot":"s"}]`, `{"lsn":"0/16B3748"}`},
			{`["pg",{"db":"d","slot":"s"}]`, ``}, // tombstone
		}
		raw := b.raw(t)
		if len(raw) != len(golden) {
			t.Fatalf("%d records on the topic, want %d: %v", len(raw), len(golden), raw)
		}
		for _, g := range golden {
			found := false
			for _, r := range raw {
				if string(r.Key) != g.key || (g.value == "") != (r.Value == nil) || string(r.Value) != g.value {
					continue
				}
				found = true
				if want := kafkalog.PartitionFor([]byte(g.key), offsets.DefaultPartitions); r.Partition != want {
					t.Errorf("%s on partition %d, Kafka's Java producer uses %d", g.key, r.Partition, want)
				}
			}
			if !found {
				t.Errorf("record %s → %q missing; topic holds:", g.key, g.value)
				for _, r := range raw {
					t.Logf("  %s → %q (nil: %v)", r.Key, r.Value, r.Value == nil)
				}
			}
		}
	})
}

// TestStoreReadsForeignRecords feeds records as a Kafka Connect worker (or
// anything else) may have written them.
func TestStoreReadsForeignRecords(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s := b.open(t)
		c := ctx(t)
		b.inject(t,
			// Java's HashMap order, whitespace: the same partition as {"a":"x","b":1}.
			kafkalog.Message{Key: []byte(`["jdbc", {"b":1, "a":"x"}]`), Value: []byte(`{"incrementing": 99, "big": 12345678901234, "f": 2.0}`)},
			// Keys that are not ["<connector>",{…}] are skipped.
			kafkalog.Message{Key: []byte(`"jdbc"`), Value: []byte(`{"x":1}`)},
			kafkalog.Message{Key: []byte(`["jdbc"]`), Value: []byte(`{"x":1}`)},
			kafkalog.Message{Key: []byte(`[1,{"a":"x"}]`), Value: []byte(`{"x":1}`)},
			kafkalog.Message{Key: []byte(`["jdbc",null]`), Value: []byte(`{"x":1}`)},
			kafkalog.Message{Key: []byte(`["jdbc",{"c":1},3]`), Value: []byte(`{"x":1}`)},
			kafkalog.Message{Key: []byte(`["jdbc",["c"]]`), Value: []byte(`{"x":1}`)},
			kafkalog.Message{Key: []byte(`not json`), Value: []byte(`{"x":1}`)},
			// A value that is not an object removes the offset.
			kafkalog.Message{Key: []byte(`["jdbc",{"t":"gone"}]`), Value: []byte(`{"x":1}`)},
			kafkalog.Message{Key: []byte(`["jdbc",{"t":"gone"}]`), Value: []byte(`42`)},
		)
		if err := s.Sync(c); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(c, "jdbc", []map[string]any{{"a": "x", "b": 1}, {"t": "gone"}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[offsets.PartitionKey]map[string]any{
			`{"a":"x","b":1}`: {"incrementing": int64(99), "big": int64(12345678901234), "f": 2.0},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("get = %v, want %v", got, want)
		}
		list, _ := s.ConnectorOffsets(c, "jdbc")
		if len(list) != 1 {
			t.Errorf("connector offsets = %v, want only the valid one", list)
		}
		// Our own write for the same partition replaces the foreign one.
		if err := s.Set(c, "jdbc", []offsets.PartitionOffset{{Partition: map[string]any{"a": "x", "b": 1}, Offset: map[string]any{"incrementing": 100}}}); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Get(c, "jdbc", []map[string]any{{"b": int64(1), "a": "x"}})
		if got[`{"a":"x","b":1}`]["incrementing"] != int64(100) {
			t.Errorf("after own write: %v", got)
		}
	})
}

func TestStoreConcurrentUse(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s1, s2 := b.open(t), b.open(t)
		c := ctx(t)
		var wg sync.WaitGroup
		for w := range 4 {
			s := []*offsets.Store{s1, s2}[w%2]
			wg.Go(func() {
				conn := fmt.Sprintf("c%d", w)
				for i := range 20 {
					err := s.Set(c, conn, []offsets.PartitionOffset{{Partition: part(i % 5), Offset: map[string]any{"i": i}}})
					if err != nil {
						t.Errorf("set: %v", err)
						return
					}
					if _, err := s.Get(c, conn, []map[string]any{part(i % 5)}); err != nil {
						t.Errorf("get: %v", err)
					}
					_, _ = s.ConnectorOffsets(c, conn)
				}
			})
		}
		wg.Wait()
		for _, s := range []*offsets.Store{s1, s2} {
			for w := range 4 {
				got, err := s.Get(c, fmt.Sprintf("c%d", w), []map[string]any{part(4)})
				if err != nil {
					t.Fatal(err)
				}
				if got[mustKey(t, part(4))]["i"] != int64(19) {
					t.Errorf("c%d: %v, want i=19", w, got)
				}
			}
		}
	})
}

// TestStoreBrokerRestart restarts the backend while offsets are being
// written: every Set that returned nil must be readable afterwards.
func TestStoreBrokerRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s := b.open(t)
		c := ctx(t)
		acked := map[int]bool{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		started := make(chan struct{})
		wg.Go(func() {
			for i := range 60 {
				if i == 10 {
					close(started) // restart once writing is well under way
				}
				var batch []offsets.PartitionOffset
				for j := range 10 {
					batch = append(batch, offsets.PartitionOffset{Partition: map[string]any{"p": i*10 + j}, Offset: map[string]any{"o": i}})
				}
				if err := s.Set(c, "conn", batch); err != nil {
					t.Errorf("set %d: %v", i, err)
					continue
				}
				mu.Lock()
				acked[i] = true
				mu.Unlock()
			}
		})
		<-started
		b.restart(t)
		wg.Wait()
		fresh := b.open(t)
		list, err := fresh.ConnectorOffsets(c, "conn")
		if err != nil {
			t.Fatal(err)
		}
		have := map[int64]bool{}
		for _, po := range list {
			have[po.Partition["p"].(int64)] = true
		}
		for i := range acked {
			for j := range 10 {
				if !have[int64(i*10+j)] {
					t.Errorf("acknowledged offset of partition %d lost", i*10+j)
				}
			}
		}
		if len(acked) != 60 {
			t.Errorf("%d of 60 writes succeeded across the restart", len(acked))
		}
	})
}
