package status_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"conflux/internal/kafkalog"
	"conflux/internal/kafkalog/logtest"
	"conflux/runtime/status"
)

var update = flag.Bool("update", false, "rewrite testdata/records.golden")

// backend is one implementation of the store under test: a shared topic on
// which any number of stores (workers) can be opened.
type backend struct {
	// open returns a new store on the shared topic, closed at test end.
	open func(t *testing.T, opts status.StoreOptions) *status.Store
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
		topic := kafkalog.NewMemoryTopic(status.DefaultPartitions)
		return &backend{
			open: func(t *testing.T, opts status.StoreOptions) *status.Store {
				s := status.NewMemoryStore(topic, opts)
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
			open: func(t *testing.T, opts status.StoreOptions) *status.Store {
				s, err := status.OpenStore(ctx(t), status.StoreConfig{Brokers: []string{b.Addr()}, StoreOptions: opts})
				if err != nil {
					t.Fatalf("open store: %v", err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			},
			raw: func(t *testing.T) []kafkalog.Record { return logtest.ReadAll(t, b.Addr(), status.DefaultTopic) },
			inject: func(t *testing.T, msgs ...kafkalog.Message) {
				logtest.Produce(t, b.Addr(), status.DefaultTopic, msgs...)
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

func running(worker string, gen int32) status.Status {
	return status.Status{State: status.Running, WorkerID: worker, Generation: gen}
}

func task(connector string, n int) status.TaskID { return status.TaskID{Connector: connector, Task: n} }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustWritten(t *testing.T, want bool) func(bool, error) {
	t.Helper()
	return func(written bool, err error) {
		t.Helper()
		if err != nil || written != want {
			t.Fatalf("safe write: written=%v, %v; want written=%v", written, err, want)
		}
	}
}

func checkConnector(t *testing.T, s *status.Store, name string, want status.Status) {
	t.Helper()
	if got, ok := s.Connector(name); !ok || got != want {
		t.Errorf("connector %s = %+v (present %v), want %+v", name, got, ok, want)
	}
}

func checkTask(t *testing.T, s *status.Store, id status.TaskID, want status.Status) {
	t.Helper()
	if got, ok := s.Task(id); !ok || got != want {
		t.Errorf("task %s = %+v (present %v), want %+v", id, got, ok, want)
	}
}

// warnings counts the records a store's logger receives at level WARN.
type warnings struct{ n atomic.Int64 }

func (w *warnings) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn {
		w.n.Add(1)
	}
	return nil
}
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }

func TestStoreRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s := b.open(t, status.StoreOptions{})
		c := ctx(t)
		failed := status.Status{State: status.Failed, Trace: "boom\n\tat x", WorkerID: "w1:8083", Generation: 2}
		must(t, s.PutConnector(c, "src", running("w1:8083", 2)))
		must(t, s.PutTask(c, task("src", 1), failed))
		must(t, s.PutTask(c, task("src", 0), running("w1:8083", 2)))
		must(t, s.PutTask(c, task("sink-a", 10), running("w2:8083", 2)))
		must(t, s.PutTask(c, task("sink-a", 2), running("w2:8083", 2)))

		// A store reads its own writes at once.
		checkConnector(t, s, "src", running("w1:8083", 2))
		checkTask(t, s, task("src", 1), failed)
		want := []status.TaskStatus{{ID: task("src", 0), Status: running("w1:8083", 2)}, {ID: task("src", 1), Status: failed}}
		if got := s.Tasks("src"); !reflect.DeepEqual(got, want) {
			t.Errorf("tasks = %+v\nwant %+v", got, want)
		}
		if got := s.Tasks("sink-a"); len(got) != 2 || got[0].ID.Task != 2 || got[1].ID.Task != 10 {
			t.Errorf("tasks of sink-a not sorted by number: %+v", got)
		}
		if got := s.Tasks("none"); len(got) != 0 {
			t.Errorf("tasks of an unknown connector: %v", got)
		}
		if _, ok := s.Connector("sink-a"); ok {
			t.Errorf("sink-a has a connector status it was never given")
		}
		if got := s.Connectors(); !reflect.DeepEqual(got, []string{"sink-a", "src"}) {
			t.Errorf("connectors = %v", got)
		}

		// A newer status replaces the old one; another worker sees it
		// once it has read the topic.
		paused := status.Status{State: status.Paused, WorkerID: "w1:8083", Generation: 3}
		must(t, s.PutConnector(c, "src", paused))
		checkConnector(t, s, "src", paused)
		other := b.open(t, status.StoreOptions{})
		must(t, other.Sync(c))
		checkConnector(t, other, "src", paused)
		checkTask(t, other, task("src", 1), failed)

		// Stopped is for connectors only.
		must(t, s.PutConnector(c, "src", status.Status{State: status.Stopped, WorkerID: "w1:8083", Generation: 3}))
	})
}

// TestStoreRecordFormat writes a scripted sequence and compares the topic,
// read by an independent client, with testdata/records.golden: Kafka
// Connect's keys and values, byte for byte, on the partition Kafka's Java
// producer would pick.
func TestStoreRecordFormat(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s := b.open(t, status.StoreOptions{})
		c := ctx(t)
		must(t, s.PutConnector(c, "datagen-users", status.Status{State: status.Unassigned, WorkerID: "10.0.0.1:8083", Generation: -1}))
		must(t, s.PutConnector(c, "datagen-users", running("10.0.0.1:8083", 3)))
		must(t, s.PutTask(c, task("datagen-users", 0), running("10.0.0.1:8083", 3)))
		must(t, s.PutTask(c, task("datagen-users", 1), status.Status{
			State:      status.Failed,
			Trace:      "org.apache.kafka.connect.errors.ConnectException: \"users\" at C:\\data\n\tat Task.poll(Task.java:42)\r\n\x1b[31mé✓\u2028<>&/",
			WorkerID:   "worker-2.example.com:8083",
			Generation: 2147483647,
		}))
		must(t, s.PutConnector(c, "sink:with:colons", status.Status{State: status.Stopped, WorkerID: "w:1", Generation: 0}))
		must(t, s.PutTask(c, task("a-b-c", 12), status.Status{State: status.Restarting, WorkerID: "w:1", Generation: 9}))
		must(t, s.PutTopic(c, "datagen-users", "users", 0, time.UnixMilli(1700000000123)))
		must(t, s.PutTopic(c, "sink:with:colons", "orders.v1_x-y", 3, time.UnixMilli(1)))
		must(t, s.ResetTopics(c, "datagen-users"))
		must(t, s.DeleteConnector(c, "datagen-users"))

		// The tombstones of one DeleteConnector share a batch, so their
		// order across partitions is the only thing not fixed: compare per
		// partition, where offsets order everything.
		var got bytes.Buffer
		for _, r := range b.raw(t) {
			if want := kafkalog.PartitionFor(r.Key, status.DefaultPartitions); r.Partition != want {
				t.Errorf("%s on partition %d, Kafka's Java producer uses %d", r.Key, r.Partition, want)
			}
			value := string(r.Value)
			if r.Value == nil {
				value = "<tombstone>"
			}
			fmt.Fprintf(&got, "%d\t%s\t%s\n", r.Partition, r.Key, value)
		}
		const golden = "testdata/records.golden"
		if *update {
			if !strings.HasSuffix(t.Name(), "/memory") {
				return // one backend writes it, the others must agree next run
			}
			must(t, os.WriteFile(golden, got.Bytes(), 0o644))
			return
		}
		want, err := os.ReadFile(golden)
		must(t, err)
		if got.String() != string(want) {
			t.Errorf("topic content differs from %s (rerun with -update if intended)\ngot:\n%s\nwant:\n%s", golden, got.String(), want)
		}
	})
}

// TestStoreReadsForeignRecords feeds records as a Kafka Connect worker may
// have written them.
func TestStoreReadsForeignRecords(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s := b.open(t, status.StoreOptions{})
		c := ctx(t)
		msg := func(k, v string) kafkalog.Message {
			m := kafkalog.Message{Key: []byte(k)}
			if v != "<tombstone>" {
				m.Value = []byte(v)
			}
			return m
		}
		b.inject(t,
			msg("status-connector-jdbc-source", `{"state":"RUNNING","trace":null,"worker_id":"172.18.0.5:8083","generation":41}`),
			msg("status-task-jdbc-source-0", `{"generation":41,"worker_id":"172.18.0.5:8083","state":"FAILED","trace":"org.apache.kafka.connect.errors.ConnectException: x\n\tat y\n","future":{"a":1}}`),
			msg("status-task-jdbc-source-1", `{ "state" : "UNASSIGNED", "worker_id" : "172.18.0.6:8083", "generation" : 40 }`),
			msg("status-task-jdbc-source-2", `{"state":"RUNNING","trace":null,"worker_id":"172.18.0.6:8083","generation":41}`),
			// A DESTROYED value removes like a tombstone.
			msg("status-task-jdbc-source-2", `{"state":"DESTROYED","trace":null,"worker_id":"172.18.0.6:8083","generation":41}`),
			msg("status-connector-gone", `{"state":"RUNNING","trace":null,"worker_id":"w","generation":1}`),
			msg("status-task-gone-0", `{"state":"RUNNING","trace":null,"worker_id":"w","generation":1}`),
			// Deleted as Kafka Connect deletes: its tasks, then itself.
			// The keys sit on different partitions, read in no fixed
			// order relative to each other.
			msg("status-task-gone-0", "<tombstone>"),
			msg("status-connector-gone", "<tombstone>"),
			msg("status-topic-orders:connector-jdbc-source", `{"topic":{"name":"orders","connector":"jdbc-source","task":0,"discoverTimestamp":1699999999999}}`),
			msg("status-topic-audit:connector-jdbc-source", `{"topic":{"discoverTimestamp":5,"task":1,"connector":"jdbc-source","name":"audit"}}`),
			msg("status-topic-reset:connector-jdbc-source", `{"topic":{"name":"reset","connector":"jdbc-source","task":0,"discoverTimestamp":1}}`),
			msg("status-topic-reset:connector-jdbc-source", "<tombstone>"),
		)
		must(t, s.Sync(c))
		checkConnector(t, s, "jdbc-source", running("172.18.0.5:8083", 41))
		checkTask(t, s, task("jdbc-source", 0), status.Status{State: status.Failed, Trace: "org.apache.kafka.connect.errors.ConnectException: x\n\tat y\n", WorkerID: "172.18.0.5:8083", Generation: 41})
		checkTask(t, s, task("jdbc-source", 1), status.Status{State: status.Unassigned, WorkerID: "172.18.0.6:8083", Generation: 40})
		if _, ok := s.Task(task("jdbc-source", 2)); ok {
			t.Errorf("task removed by a DESTROYED value is still there")
		}
		if got := s.Connectors(); !reflect.DeepEqual(got, []string{"jdbc-source"}) {
			t.Errorf("connectors = %v, want [jdbc-source]", got)
		}
		if got := s.Topics("jdbc-source"); !reflect.DeepEqual(got, []string{"audit", "orders"}) {
			t.Errorf("topics = %v", got)
		}
		if ts, ok := s.Topic("jdbc-source", "orders"); !ok || ts.Task != 0 || ts.Discovered.UnixMilli() != 1699999999999 || ts.Connector != "jdbc-source" || ts.Topic != "orders" {
			t.Errorf("topic orders = %+v, %v", ts, ok)
		}

		// Our own writes replace theirs; the safe rule applies to them.
		written, err := s.PutTaskSafe(c, task("jdbc-source", 1), running("conflux:8083", 39))
		mustWritten(t, false)(written, err)
		written, err = s.PutTaskSafe(c, task("jdbc-source", 1), running("conflux:8083", 41))
		mustWritten(t, true)(written, err)
		checkTask(t, s, task("jdbc-source", 1), running("conflux:8083", 41))
	})
}

// TestStoreSkipsBadRecords: a record that cannot be parsed is logged and
// skipped, leaving the previous status in place; the store keeps reading.
func TestStoreSkipsBadRecords(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		var warned warnings
		s := b.open(t, status.StoreOptions{Logger: slog.New(&warned)})
		c := ctx(t)
		must(t, s.PutConnector(c, "c", running("w", 1)))
		must(t, s.PutTask(c, task("c", 0), running("w", 1)))
		must(t, s.PutTopic(c, "c", "t", 0, time.UnixMilli(7)))
		bad := []kafkalog.Message{
			{Key: []byte("status-connector-c"), Value: []byte(`not json`)},
			{Key: []byte("status-connector-c"), Value: []byte(``)},
			{Key: []byte("status-connector-c"), Value: []byte(`null`)},
			{Key: []byte("status-connector-c"), Value: []byte(`{"state":"BROKEN","worker_id":"x","generation":1}`)},
			{Key: []byte("status-connector-c"), Value: []byte(`{"state":"FAILED","worker_id":"x","generation":1.5}`)},
			{Key: []byte("status-connector-c"), Value: []byte(`{"schema":{},"payload":{"state":"FAILED","generation":2}}`)},
			{Key: []byte("status-task-c-0"), Value: []byte(`{"state":"FAILED","worker_id":"x"}`)},
			{Key: []byte("status-task-c-0"), Value: []byte(`{"state":"FAILED","trace":42,"generation":2}`)},
			{Key: []byte("status-task-c-x"), Value: []byte(`{"state":"FAILED","generation":2}`)},
			{Key: []byte("status-task--0"), Value: []byte(`{"state":"FAILED","generation":2}`)},
			{Key: []byte("status-topic-t:connector-c"), Value: []byte(`{"topic":{"name":"t"}}`)},
			{Key: []byte("status-topic-t"), Value: []byte(`{"topic":{"name":"t","connector":"c","task":0,"discoverTimestamp":1}}`)},
			{Key: []byte("status-connector-"), Value: []byte(`{"state":"FAILED","generation":2}`)},
			{Key: []byte("connector-c"), Value: []byte(`{"properties":{}}`)},
			{Key: []byte{0xff, 0xfe}, Value: []byte(`{}`)},
		}
		b.inject(t, bad...)
		must(t, s.PutTask(c, task("c", 1), running("w", 1))) // written after them, still read
		must(t, s.Sync(c))
		checkConnector(t, s, "c", running("w", 1))
		checkTask(t, s, task("c", 0), running("w", 1))
		checkTask(t, s, task("c", 1), running("w", 1))
		if got := s.Topics("c"); !reflect.DeepEqual(got, []string{"t"}) {
			t.Errorf("topics = %v", got)
		}
		if got := s.Connectors(); !reflect.DeepEqual(got, []string{"c"}) {
			t.Errorf("connectors = %v", got)
		}
		if n := warned.n.Load(); n != int64(len(bad)) {
			t.Errorf("%d warnings for %d bad records", n, len(bad))
		}
		// A fresh store reading them from the start agrees.
		fresh := b.open(t, status.StoreOptions{})
		checkConnector(t, fresh, "c", running("w", 1))
		checkTask(t, fresh, task("c", 0), running("w", 1))
	})
}

// TestStoreSafeWrites plays Kafka Connect's putSafe rule between two
// workers: a write is made if there is no status yet, the same worker wrote
// it, or the write's generation is not older.
func TestStoreSafeWrites(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		w1, w2 := b.open(t, status.StoreOptions{}), b.open(t, status.StoreOptions{})
		c := ctx(t)
		id := task("conn", 0)
		for _, step := range []struct {
			store *status.Store
			st    status.Status
			want  bool
			why   string
		}{
			{w1, running("w1", 5), true, "no previous value"},
			{w2, running("w2", 4), false, "another worker, older generation"},
			{w2, running("w2", 5), true, "same generation"},
			{w1, status.Status{State: status.Unassigned, WorkerID: "w1", Generation: 4}, false, "another worker, older generation"},
			{w2, status.Status{State: status.Paused, WorkerID: "w2", Generation: 1}, true, "same worker, even with an older generation"},
			{w1, running("w1", 6), true, "newer generation"},
		} {
			must(t, step.store.Sync(c))
			written, err := step.store.PutTaskSafe(c, id, step.st)
			if err != nil || written != step.want {
				t.Fatalf("%+v (%s): written=%v, %v; want %v", step.st, step.why, written, err, step.want)
			}
		}
		must(t, w2.Sync(c))
		checkTask(t, w2, id, running("w1", 6))

		// Unconditional writes ignore the rule.
		must(t, w2.PutTask(c, id, running("w2", 0)))
		checkTask(t, w2, id, running("w2", 0))

		// Connectors follow the same rule, and so do async writes.
		step2 := func(s *status.Store, st status.Status, want bool) {
			t.Helper()
			must(t, s.Sync(c))
			written, err := s.PutConnectorSafe(c, "conn", st)
			mustWritten(t, want)(written, err)
		}
		step2(w1, running("w1", 3), true)
		step2(w2, running("w2", 2), false)
		must(t, w2.Sync(c))
		res := make(chan error, 2)
		must(t, w2.PutConnectorSafeAsync("conn", running("w2", 1), func(err error) { res <- err }))
		must(t, w2.PutTaskSafeAsync(task("conn", 9), running("w2", 1), func(err error) { res <- err }))
		for range 2 {
			err := <-res
			if err != nil && !errors.Is(err, status.ErrSkipped) {
				t.Fatalf("async safe write: %v", err)
			}
		}
		checkConnector(t, w2, "conn", running("w1", 3))
		checkTask(t, w2, task("conn", 9), running("w2", 1))

		// A DESTROYED connector has no status: anyone may write again.
		must(t, w1.DeleteConnector(c, "conn"))
		step2(w2, running("w2", 0), true)

		// Skipped writes never reached the topic.
		var gens []int32
		for _, r := range b.raw(t) {
			if string(r.Key) == "status-task-conn-0" && r.Value != nil {
				st, err := status.DecodeStatus(r.Value)
				must(t, err)
				gens = append(gens, st.Generation)
			}
		}
		if want := []int32{5, 5, 1, 6, 0}; !reflect.DeepEqual(gens, want) {
			t.Errorf("generations written for task 0: %v, want %v", gens, want)
		}
	})
}

func TestStoreDeleteConnector(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		w1, w2 := b.open(t, status.StoreOptions{}), b.open(t, status.StoreOptions{})
		c := ctx(t)
		must(t, w1.PutConnector(c, "doomed", running("w1", 1)))
		must(t, w1.PutTask(c, task("doomed", 0), running("w1", 1)))
		must(t, w2.PutTask(c, task("doomed", 1), running("w2", 1))) // w1 has not read it yet
		must(t, w1.PutConnector(c, "kept", running("w1", 1)))
		must(t, w1.PutTask(c, task("kept", 0), running("w1", 1)))
		must(t, w1.PutTopic(c, "doomed", "t", 0, time.UnixMilli(1)))

		must(t, w1.DeleteConnector(c, "doomed"))
		must(t, w2.Sync(c))
		fresh := b.open(t, status.StoreOptions{})
		for _, s := range []*status.Store{w1, w2, fresh} {
			if _, ok := s.Connector("doomed"); ok {
				t.Errorf("connector status survived its deletion")
			}
			if got := s.Tasks("doomed"); len(got) != 0 {
				t.Errorf("task statuses survived the connector's deletion: %v", got)
			}
			if got := s.Connectors(); !reflect.DeepEqual(got, []string{"kept"}) {
				t.Errorf("connectors = %v, want [kept]", got)
			}
			checkTask(t, s, task("kept", 0), running("w1", 1))
			if got := s.Topics("doomed"); !reflect.DeepEqual(got, []string{"t"}) {
				t.Errorf("deleting a connector reset its topics: %v", got)
			}
		}
		tombstones := map[string]bool{}
		for _, r := range b.raw(t) {
			if r.Value == nil {
				tombstones[string(r.Key)] = true
			}
		}
		want := map[string]bool{"status-connector-doomed": true, "status-task-doomed-0": true, "status-task-doomed-1": true}
		if !reflect.DeepEqual(tombstones, want) {
			t.Errorf("tombstones %v, want %v", tombstones, want)
		}
		// Deleting what has no status writes its tombstone all the same.
		must(t, w1.DeleteConnector(c, "never-existed"))
	})
}

func TestStoreTopics(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s := b.open(t, status.StoreOptions{})
		c := ctx(t)
		at := time.UnixMilli(1700000000123)
		must(t, s.PutTopic(c, "sink", "orders", 1, at))
		must(t, s.PutTopic(c, "sink", "audit", 0, at.Add(time.Second)))
		must(t, s.PutTopic(c, "sink", "orders", 2, at.Add(time.Hour))) // rewritten: the latest wins
		res := make(chan error, 1)
		must(t, s.PutTopicAsync("other", "orders", 0, at, func(err error) { res <- err }))
		must(t, <-res)
		if got := s.Topics("sink"); !reflect.DeepEqual(got, []string{"audit", "orders"}) {
			t.Errorf("topics = %v", got)
		}
		ts, ok := s.Topic("sink", "orders")
		if !ok || ts != (status.TopicStatus{Topic: "orders", Connector: "sink", Task: 2, Discovered: time.UnixMilli(at.Add(time.Hour).UnixMilli())}) {
			t.Errorf("topic = %+v, %v", ts, ok)
		}
		if _, ok := s.Topic("sink", "nope"); ok {
			t.Errorf("unknown topic found")
		}
		// Reset removes this connector's topics, also ones written by
		// another worker, and only them.
		w2 := b.open(t, status.StoreOptions{})
		must(t, w2.PutTopic(c, "sink", "late", 0, time.Time{}))
		must(t, s.ResetTopics(c, "sink"))
		must(t, w2.Sync(c))
		for _, st := range []*status.Store{s, w2} {
			if got := st.Topics("sink"); len(got) != 0 {
				t.Errorf("topics after reset = %v", got)
			}
			if got := st.Topics("other"); !reflect.DeepEqual(got, []string{"orders"}) {
				t.Errorf("reset touched another connector: %v", got)
			}
		}
		must(t, s.ResetTopics(c, "sink")) // nothing left: no-op
	})
}

func TestStoreReopen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s := b.open(t, status.StoreOptions{})
		c := ctx(t)
		for i := range 20 {
			conn := fmt.Sprintf("conn-%02d", i)
			must(t, s.PutConnectorAsync(conn, running("w", 1), nil))
			for n := range 3 {
				must(t, s.PutTaskAsync(task(conn, n), status.Status{State: status.Failed, Trace: fmt.Sprintf("trace %d", n), WorkerID: "w", Generation: int32(i)}, nil))
			}
			must(t, s.PutTopic(c, conn, "topic-"+conn, i%3, time.UnixMilli(int64(i))))
		}
		must(t, s.Flush(c))
		must(t, s.DeleteConnector(c, "conn-07"))
		must(t, s.ResetTopics(c, "conn-08"))
		must(t, s.PutTask(c, task("conn-09", 1), running("w", 2)))
		must(t, s.Close())
		must(t, s.Close()) // idempotent

		fresh := b.open(t, status.StoreOptions{})
		if got := len(fresh.Connectors()); got != 19 {
			t.Errorf("a new store sees %d connectors, want 19", got)
		}
		checkConnector(t, fresh, "conn-03", running("w", 1))
		checkTask(t, fresh, task("conn-03", 2), status.Status{State: status.Failed, Trace: "trace 2", WorkerID: "w", Generation: 3})
		checkTask(t, fresh, task("conn-09", 1), running("w", 2))
		if got := fresh.Tasks("conn-07"); len(got) != 0 {
			t.Errorf("deleted connector's tasks came back: %v", got)
		}
		if got := fresh.Topics("conn-08"); len(got) != 0 {
			t.Errorf("reset topics came back: %v", got)
		}
		if ts, ok := fresh.Topic("conn-19", "topic-conn-19"); !ok || ts.Task != 1 || ts.Discovered.UnixMilli() != 19 {
			t.Errorf("topic of conn-19 = %+v, %v", ts, ok)
		}
	})
}

// TestStoreAfterCompaction reopens a store on a compacted topic, tombstones
// dropped: it must see the same content.
func TestStoreAfterCompaction(t *testing.T) {
	topic := kafkalog.NewMemoryTopic(status.DefaultPartitions)
	s := status.NewMemoryStore(topic, status.StoreOptions{})
	defer s.Close()
	c := ctx(t)
	for i := range 10 {
		must(t, s.PutTask(c, task("c", i%3), running("w", int32(i))))
	}
	must(t, s.PutConnector(c, "c", running("w", 9)))
	must(t, s.PutConnector(c, "d", running("w", 9)))
	must(t, s.PutTask(c, task("d", 0), running("w", 9)))
	must(t, s.DeleteConnector(c, "d"))
	topic.Compact(true)
	fresh := status.NewMemoryStore(topic, status.StoreOptions{})
	defer fresh.Close()
	for _, n := range []int{0, 1, 2} {
		a, _ := s.Task(task("c", n))
		checkTask(t, fresh, task("c", n), a)
	}
	if got := fresh.Connectors(); !reflect.DeepEqual(got, []string{"c"}) {
		t.Errorf("connectors after compaction = %v", got)
	}
}

// TestStoreAsyncOrder checks the per-key ordering promise: async and
// synchronous writes of one key reach the topic in call order, however many
// writers run at once.
func TestStoreAsyncOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s1, s2 := b.open(t, status.StoreOptions{}), b.open(t, status.StoreOptions{})
		c := ctx(t)
		const writers, perWriter = 8, 40
		var callbacks atomic.Int64
		var wg sync.WaitGroup
		for w := range writers {
			s := []*status.Store{s1, s2}[w%2]
			wg.Go(func() {
				id := task(fmt.Sprintf("conn-%d", w/2), w%2)
				for g := range perWriter {
					err := s.PutTaskAsync(id, running("w", int32(g)), func(err error) {
						if err != nil {
							t.Errorf("async write %s gen %d: %v", id, g, err)
						}
						callbacks.Add(1)
					})
					must(t, err)
				}
				// A synchronous write after them lands after them.
				must(t, s.PutTask(c, id, running("w", perWriter)))
				checkTask(t, s, id, running("w", perWriter))
			})
		}
		wg.Wait()
		must(t, s1.Flush(c))
		must(t, s2.Flush(c))
		if n := callbacks.Load(); n != writers*perWriter {
			t.Errorf("%d callbacks after Flush, want %d", n, writers*perWriter)
		}
		perKey := map[string][]int32{}
		for _, r := range b.raw(t) {
			st, err := status.DecodeStatus(r.Value)
			must(t, err)
			perKey[string(r.Key)] = append(perKey[string(r.Key)], st.Generation)
		}
		if len(perKey) != writers {
			t.Fatalf("%d keys on the topic, want %d", len(perKey), writers)
		}
		for key, gens := range perKey {
			if len(gens) != perWriter+1 {
				t.Errorf("%s: %d records, want %d", key, len(gens), perWriter+1)
			}
			for i, g := range gens {
				if g != int32(i) {
					t.Errorf("%s: records out of call order: %v", key, gens)
					break
				}
			}
		}
	})
}

// TestStoreBrokerRestart restarts the backend under open stores while
// statuses are being written: every write must succeed (retried through the
// outage) and be readable afterwards.
func TestStoreBrokerRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s := b.open(t, status.StoreOptions{})
		c := ctx(t)
		const rounds = 40
		var asyncErrs atomic.Int64
		var wg sync.WaitGroup
		started := make(chan struct{})
		wg.Go(func() {
			for i := range rounds {
				if i == 10 {
					close(started) // restart once writing is well under way
				}
				if err := s.PutTask(c, task("conn", i%4), running("w", int32(i))); err != nil {
					t.Errorf("put %d: %v", i, err)
				}
				err := s.PutConnectorAsync("conn", running("w", int32(i)), func(err error) {
					if err != nil {
						asyncErrs.Add(1)
					}
				})
				must(t, err)
			}
		})
		<-started
		b.restart(t)
		wg.Wait()
		must(t, s.Flush(c))
		if n := asyncErrs.Load(); n != 0 {
			t.Errorf("%d async writes failed across the restart", n)
		}
		// The open store keeps reading after the restart.
		must(t, s.PutTopic(c, "conn", "after-restart", 0, time.UnixMilli(1)))
		fresh := b.open(t, status.StoreOptions{})
		checkConnector(t, fresh, "conn", running("w", rounds-1))
		for n := range 4 {
			checkTask(t, fresh, task("conn", n), running("w", int32(rounds-4+n)))
		}
		if got := fresh.Topics("conn"); !reflect.DeepEqual(got, []string{"after-restart"}) {
			t.Errorf("topics = %v", got)
		}
		b.inject(t, kafkalog.Message{Key: []byte("status-task-conn-0"), Value: []byte(`{"state":"PAUSED","worker_id":"x","generation":99}`)})
		must(t, s.Sync(c))
		checkTask(t, s, task("conn", 0), status.Status{State: status.Paused, WorkerID: "x", Generation: 99})
	})
}

func TestStoreListener(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		c := ctx(t)
		before := b.open(t, status.StoreOptions{})
		must(t, before.PutConnector(c, "old", running("w", 1)))

		changes := make(chan status.Change, 100)
		s := b.open(t, status.StoreOptions{Listener: func(ch status.Change) { changes <- ch }})
		next := func() status.Change {
			t.Helper()
			select {
			case ch := <-changes:
				return ch
			case <-c.Done():
				t.Fatal("no change announced")
				return status.Change{}
			}
		}
		must(t, s.PutConnector(c, "c", running("w", 1)))
		if ch := next(); ch.Kind != status.ChangeConnector || ch.Connector != "c" || ch.Status != running("w", 1) || ch.Removed {
			t.Errorf("change = %+v (the store's own write, not what it read at open)", ch)
		}
		must(t, s.PutTask(c, task("c", 3), running("w", 1)))
		if ch := next(); ch.Kind != status.ChangeTask || ch.Connector != "c" || ch.Task != 3 || ch.Status != running("w", 1) {
			t.Errorf("change = %+v", ch)
		}
		must(t, before.PutTopic(c, "c", "t", 2, time.UnixMilli(5))) // another worker's write
		must(t, s.Sync(c))
		if ch := next(); ch.Kind != status.ChangeTopic || ch.Topic != "t" || ch.TopicStatus.Task != 2 || ch.Removed {
			t.Errorf("change = %+v", ch)
		}
		must(t, s.ResetTopics(c, "c"))
		if ch := next(); ch.Kind != status.ChangeTopic || ch.Topic != "t" || !ch.Removed {
			t.Errorf("change = %+v", ch)
		}
		must(t, s.DeleteConnector(c, "c"))
		got := map[string]bool{}
		for range 2 {
			ch := next()
			if !ch.Removed {
				t.Errorf("change = %+v, want a removal", ch)
			}
			got[ch.Kind.String()] = true
		}
		if !got["connector status"] || !got["task status"] {
			t.Errorf("deletion announced %v", got)
		}
		select {
		case ch := <-changes:
			t.Errorf("unexpected change %+v", ch)
		default:
		}
	})
}

func TestStoreInvalidWritesAndClose(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		s := b.open(t, status.StoreOptions{})
		c := ctx(t)
		ok := running("w", 1)
		for name, err := range map[string]error{
			"empty connector":    s.PutConnector(c, "", ok),
			"no state":           s.PutConnector(c, "c", status.Status{WorkerID: "w"}),
			"unknown state":      s.PutConnector(c, "c", status.Status{State: "STARTED"}),
			"stopped task":       s.PutTask(c, task("c", 0), status.Status{State: status.Stopped}),
			"negative task":      s.PutTask(c, task("c", -1), ok),
			"task of no one":     s.PutTask(c, task("", 0), ok),
			"async empty":        s.PutConnectorAsync("", ok, nil),
			"async task":         s.PutTaskAsync(task("c", -2), ok, nil),
			"topic with colon":   s.PutTopic(c, "c", "a:b", 0, time.Now()),
			"empty topic":        s.PutTopic(c, "c", "", 0, time.Now()),
			"topic negative":     s.PutTopic(c, "c", "t", -1, time.Now()),
			"async topic":        s.PutTopicAsync("c", "x:y", 0, time.Now(), nil),
			"delete empty":       s.DeleteConnector(c, ""),
			"reset empty":        s.ResetTopics(c, ""),
			"safe unknown state": func() error { _, err := s.PutTaskSafe(c, task("c", 0), status.Status{State: "X"}); return err }(),
		} {
			if !errors.Is(err, status.ErrInvalidWrite) {
				t.Errorf("%s: %v, want ErrInvalidWrite", name, err)
			}
		}
		if len(b.raw(t)) != 0 {
			t.Errorf("invalid writes reached the topic")
		}

		// A cancelled context fails a write at once.
		cancelled, cancel := context.WithCancel(c)
		cancel()
		if err := s.PutConnector(cancelled, "c", ok); !errors.Is(err, context.Canceled) {
			t.Errorf("put with a cancelled context: %v", err)
		}

		// Writes queued before Close are written; later ones fail.
		res := make(chan error, 1)
		must(t, s.PutConnectorAsync("c", ok, func(err error) { res <- err }))
		must(t, s.Close())
		if err := <-res; err != nil {
			t.Errorf("write queued before Close: %v", err)
		}
		if err := s.PutConnector(c, "c", ok); !errors.Is(err, status.ErrClosed) {
			t.Errorf("put after close: %v, want ErrClosed", err)
		}
		if err := s.PutTaskAsync(task("c", 0), ok, nil); !errors.Is(err, status.ErrClosed) {
			t.Errorf("async put after close: %v, want ErrClosed", err)
		}
		must(t, s.Flush(c))
		fresh := b.open(t, status.StoreOptions{})
		checkConnector(t, fresh, "c", ok)
	})
}

// TestOpenStoreCreatesTopic checks the Kafka-only part: the topic is created
// compacted, with the configured name and partition count, and records are
// placed by murmur2 over that count.
func TestOpenStoreCreatesTopic(t *testing.T) {
	b := logtest.StartBroker(t)
	c := ctx(t)
	s, err := status.OpenStore(c, status.StoreConfig{
		Brokers:      []string{b.Addr()},
		Topic:        "my-status",
		Partitions:   3,
		TopicConfigs: map[string]string{"cleanup.policy": "delete", "segment.ms": "60000"},
		ClientID:     "status-test",
	})
	must(t, err)
	defer s.Close()
	for i := range 6 {
		must(t, s.PutTask(c, task("c", i), running("w", 1)))
	}
	recs := logtest.ReadAll(t, b.Addr(), "my-status")
	parts := map[int32]bool{}
	for _, r := range recs {
		parts[r.Partition] = true
		if want := kafkalog.PartitionFor(r.Key, 3); r.Partition != want {
			t.Errorf("%s on partition %d, want %d", r.Key, r.Partition, want)
		}
	}
	if len(recs) != 6 || len(parts) < 2 {
		t.Errorf("%d records over partitions %v", len(recs), parts)
	}
	for p := range parts {
		if p >= 3 {
			t.Errorf("record on partition %d of a 3-partition topic", p)
		}
	}
	// Reopening an existing topic works, whatever Partitions says.
	again, err := status.OpenStore(c, status.StoreConfig{Brokers: []string{b.Addr()}, Topic: "my-status", Partitions: 7})
	must(t, err)
	defer again.Close()
	if got := again.Tasks("c"); len(got) != 6 {
		t.Errorf("reopened store sees %d tasks", len(got))
	}
	// It refuses a topic that is not compacted.
	logtest.CreateTopic(t, b.Addr(), "deleting", 1, map[string]string{"cleanup.policy": "delete"})
	if _, err := status.OpenStore(c, status.StoreConfig{Brokers: []string{b.Addr()}, Topic: "deleting"}); !errors.Is(err, kafkalog.ErrNotCompacted) {
		t.Errorf("open on a non-compacted topic: %v, want ErrNotCompacted", err)
	}
}

// TestStoreCurrentCheck: while Current says the writer may have left its
// generation, safe writes are skipped (and never reach the topic);
// unconditional writes are not asked.
func TestStoreCurrentCheck(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		var current atomic.Bool
		var asked atomic.Int32
		s := b.open(t, status.StoreOptions{Current: func(st status.Status) bool {
			asked.Add(1)
			return current.Load()
		}})
		c := ctx(t)
		id := task("conn", 0)
		written, err := s.PutTaskSafe(c, id, running("w1", 3))
		mustWritten(t, false)(written, err)
		if _, ok := s.Task(id); ok {
			t.Fatal("a skipped write was stored")
		}
		current.Store(true)
		written, err = s.PutTaskSafe(c, id, running("w1", 3))
		mustWritten(t, true)(written, err)
		current.Store(false)
		written, err = s.PutConnectorSafe(c, "conn", running("w1", 3))
		mustWritten(t, false)(written, err)
		if n := asked.Load(); n != 3 {
			t.Errorf("Current asked %d times, want once per safe write (3)", n)
		}
		must(t, s.PutTask(c, id, running("w1", 4)))
		checkTask(t, s, id, running("w1", 4))
		if n := asked.Load(); n != 3 {
			t.Errorf("Current asked for an unconditional write")
		}
		var writes int
		for _, r := range b.raw(t) {
			if r.Value != nil {
				writes++
			}
		}
		if writes != 2 {
			t.Errorf("%d status records in the topic, want 2 (one safe, one unconditional)", writes)
		}
	})
}
