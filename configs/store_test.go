package configs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"conflux/internal/kafkalog"
	"conflux/internal/kafkalog/logtest"
)

// storeBackend is one implementation of the config store under test: a
// shared topic on which any number of stores (workers) can be opened.
type storeBackend struct {
	// open returns a new store on the shared topic, closed at test end.
	open func(t *testing.T, opts StoreOptions) *Store
	// raw returns the topic's records as an independent reader sees them.
	raw func(t *testing.T) []kafkalog.Record
	// inject writes records as a foreign worker (a Java one) would.
	inject func(t *testing.T, msgs ...kafkalog.Message)
	// restart restarts the backend underneath open stores (the broker); a
	// no-op where there is nothing to restart.
	restart func(t *testing.T)
}

var storeBackends = []struct {
	name string
	new  func(t *testing.T) *storeBackend
}{
	{"memory", func(t *testing.T) *storeBackend {
		topic := kafkalog.NewMemoryTopic(1)
		return &storeBackend{
			open: func(t *testing.T, opts StoreOptions) *Store {
				s := NewMemoryStore(topic, opts)
				t.Cleanup(func() { s.Close() })
				return s
			},
			raw:     func(*testing.T) []kafkalog.Record { return topic.Records() },
			inject:  func(_ *testing.T, msgs ...kafkalog.Message) { topic.Append(msgs...) },
			restart: func(*testing.T) {},
		}
	}},
	{"kafka", func(t *testing.T) *storeBackend {
		b := logtest.StartBroker(t)
		return &storeBackend{
			open: func(t *testing.T, opts StoreOptions) *Store {
				s, err := OpenStore(storeCtx(t), StoreConfig{Brokers: []string{b.Addr()}, StoreOptions: opts})
				if err != nil {
					t.Fatalf("open store: %v", err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			},
			raw: func(t *testing.T) []kafkalog.Record { return logtest.ReadAll(t, b.Addr(), DefaultConfigTopic) },
			inject: func(t *testing.T, msgs ...kafkalog.Message) {
				logtest.Produce(t, b.Addr(), DefaultConfigTopic, msgs...)
			},
			restart: func(*testing.T) { b.Restart() },
		}
	}},
}

// forEachStoreBackend runs the same test body against every implementation.
func forEachStoreBackend(t *testing.T, body func(t *testing.T, b *storeBackend)) {
	t.Helper()
	for _, be := range storeBackends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			body(t, be.new(t))
		})
	}
}

func storeCtx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// rec builds a record as another worker writes it; "<tombstone>" is a null
// value.
func rec(key, value string) kafkalog.Message {
	m := kafkalog.Message{Key: []byte(key)}
	if value != "<tombstone>" {
		m.Value = []byte(value)
	}
	return m
}

// changeLog collects the changes a store's listener is told of. Listeners
// run before the write or Sync that read their record returns, so after a
// Sync everything is in the channel.
type changeLog chan Change

func newChangeLog() changeLog { return make(changeLog, 1000) }

func (l changeLog) listen(ch Change) { l <- ch }

func (l changeLog) drain() []Change {
	var out []Change
	for {
		select {
		case ch := <-l:
			out = append(out, ch)
		default:
			return out
		}
	}
}

// skipWarnings counts the records a store reports as skipped.
type skipWarnings struct {
	n    atomic.Int64
	mu   sync.Mutex
	msgs []string
}

func (w *skipWarnings) Enabled(context.Context, slog.Level) bool { return true }
func (w *skipWarnings) Handle(_ context.Context, r slog.Record) error {
	if r.Level != slog.LevelWarn || r.Message != "skipping config topic record" {
		return nil // the Kafka log's own reports
	}
	w.n.Add(1)
	var b strings.Builder
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s", a); return true })
	w.mu.Lock()
	w.msgs = append(w.msgs, b.String())
	w.mu.Unlock()
	return nil
}
func (w *skipWarnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *skipWarnings) WithGroup(string) slog.Handler      { return w }

func (w *skipWarnings) check(t *testing.T, want int) {
	t.Helper()
	if n := w.n.Load(); n != int64(want) {
		w.mu.Lock()
		defer w.mu.Unlock()
		t.Errorf("%d records skipped with a warning, want %d:\n%s", n, want, strings.Join(w.msgs, "\n"))
	}
}

// checkSnapshot checks the promises every snapshot keeps, whatever the
// topic held.
func checkSnapshot(t *testing.T, s Snapshot) {
	t.Helper()
	for name := range s.Connectors {
		if st := s.TargetStates[name]; !st.valid() {
			t.Errorf("connector %q has target state %q", name, st)
		}
		if s.Connectors[name] == nil {
			t.Errorf("connector %q has a nil config", name)
		}
	}
	for name, tasks := range s.Tasks {
		if !s.Contains(name) || s.Inconsistent[name] {
			t.Errorf("tasks of %q listed although it does not exist or is inconsistent", name)
		}
		if n, ok := s.TaskCounts[name]; !ok || n != len(tasks) {
			t.Errorf("%q has %d tasks, count %d (present %v)", name, len(tasks), n, ok)
		}
		for i, cfg := range tasks {
			if cfg == nil {
				t.Errorf("task %s-%d has a nil config", name, i)
			}
		}
	}
	for name := range s.Inconsistent {
		if !s.Contains(name) {
			t.Errorf("inconsistent connector %q does not exist", name)
		}
	}
}

func checkSnap(t *testing.T, got, want Snapshot) {
	t.Helper()
	checkSnapshot(t, got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("snapshot =\n  %+v\nwant\n  %+v", got, want)
	}
}

func checkChanges(t *testing.T, l changeLog, want ...Change) {
	t.Helper()
	if got := l.drain(); !reflect.DeepEqual(got, want) {
		t.Errorf("changes =\n  %+v\nwant\n  %+v", got, want)
	}
}

// emptySnapshot is what a store shows with offset off and nothing else.
func emptySnapshot(off int64) Snapshot {
	return Snapshot{
		Offset:       off,
		Connectors:   map[string]map[string]string{},
		Tasks:        map[string][]map[string]string{},
		TaskCounts:   map[string]int{},
		TargetStates: map[string]TargetState{},
		Inconsistent: map[string]bool{},
	}
}

func TestStoreRoundTrip(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		s := b.open(t, StoreOptions{})
		c := storeCtx(t)
		checkSnap(t, s.Snapshot(), emptySnapshot(-1))

		src := map[string]string{"connector.class": "datagen", "tasks.max": "2", "name": "src"}
		sink := map[string]string{"connector.class": "file-sink", "topics": "users"}
		must(t, s.PutConnectorConfig(c, "src", src, ""))
		must(t, s.PutConnectorConfig(c, "sink", sink, TargetPaused))
		must(t, s.PutTaskConfigs(c, "src", []map[string]string{{"task": "0"}, {"task": "1"}}))
		must(t, s.PutConnectorConfig(c, "empty", nil, TargetStopped))
		want := emptySnapshot(8) // connector, target+connector, 2 tasks+commit, target+connector
		want.Connectors = map[string]map[string]string{"src": src, "sink": sink, "empty": {}}
		want.Tasks = map[string][]map[string]string{"src": {{"task": "0"}, {"task": "1"}}}
		want.TaskCounts = map[string]int{"src": 2}
		want.TargetStates = map[string]TargetState{"src": TargetStarted, "sink": TargetPaused, "empty": TargetStopped}
		snap := s.Snapshot()
		checkSnap(t, snap, want)
		if got := snap.ConnectorNames(); !reflect.DeepEqual(got, []string{"empty", "sink", "src"}) {
			t.Errorf("connector names = %v", got)
		}
		if !snap.Contains("sink") || snap.Contains("nope") {
			t.Errorf("Contains is wrong")
		}

		// Another worker sees the same once it has read the topic.
		other := b.open(t, StoreOptions{})
		checkSnap(t, other.Snapshot(), want)

		// A new config replaces the old one and keeps the target state and
		// the tasks; stopping commits an empty task set.
		src2 := map[string]string{"connector.class": "datagen", "tasks.max": "1"}
		must(t, s.PutConnectorConfig(c, "src", src2, ""))
		must(t, s.PutTargetState(c, "src", TargetStopped))
		must(t, s.PutTaskConfigs(c, "src", nil))
		must(t, s.PutTaskConfigs(c, "sink", []map[string]string{nil}))
		must(t, s.RemoveConnectorConfig(c, "empty"))
		want.Offset = 15
		want.Connectors = map[string]map[string]string{"src": src2, "sink": sink}
		want.Tasks = map[string][]map[string]string{"src": {}, "sink": {{}}}
		want.TaskCounts = map[string]int{"src": 0, "sink": 1}
		want.TargetStates = map[string]TargetState{"src": TargetStopped, "sink": TargetPaused}
		checkSnap(t, s.Snapshot(), want)
		must(t, other.Sync(c))
		checkSnap(t, other.Snapshot(), want)
	})
}

// TestStoreRecordFormat writes a scripted sequence and compares the topic,
// read by an independent client, with testdata/config_records.golden: Kafka
// Connect's keys and values, byte for byte, in topic order.
func TestStoreRecordFormat(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		s := b.open(t, StoreOptions{})
		c := storeCtx(t)
		odd := "jdbc:sink/é"
		must(t, s.PutConnectorConfig(c, "datagen-users", map[string]string{
			"connector.class": "datagen", "tasks.max": "2", "kafka.topic": "users", "name": "datagen-users",
		}, ""))
		must(t, s.PutConnectorConfig(c, odd, map[string]string{
			"connection.url":      "jdbc:postgresql://db/x?a=1&b=<2>",
			"connection.password": "p\"w\\d\n\t\x01",
			"unicode":             "é✓😀\u2028",
			"empty":               "",
		}, TargetPaused))
		must(t, s.PutTaskConfigs(c, "datagen-users", []map[string]string{
			{"task.id": "0", "kafka.topic": "users"},
			{"task.id": "1", "kafka.topic": "users"},
		}))
		must(t, s.PutTaskConfigs(c, odd, []map[string]string{nil}))
		must(t, s.PutTargetState(c, "datagen-users", TargetPaused))
		must(t, s.PutTargetState(c, "datagen-users", TargetStopped))
		must(t, s.PutTaskConfigs(c, "datagen-users", nil))
		must(t, s.PutTargetState(c, "datagen-users", TargetStarted))
		must(t, s.PutRestartRequest(c, RestartRequest{Connector: "datagen-users"}))
		must(t, s.PutRestartRequest(c, RestartRequest{Connector: "datagen-users", IncludeTasks: true, OnlyFailed: true}))
		must(t, s.PutRestartRequest(c, RestartRequest{Connector: odd, OnlyFailed: true}))
		must(t, s.PutConnectorConfig(c, "created-stopped", map[string]string{"connector.class": "x"}, TargetStopped))
		must(t, s.RemoveConnectorConfig(c, odd))

		var got bytes.Buffer
		for _, r := range b.raw(t) {
			if r.Partition != 0 {
				t.Errorf("%s on partition %d of the single-partition config topic", r.Key, r.Partition)
			}
			value := string(r.Value)
			if r.Value == nil {
				value = "<tombstone>"
			}
			fmt.Fprintf(&got, "%d\t%s\t%s\n", r.Offset, r.Key, value)
		}
		const golden = "testdata/config_records.golden"
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

		// What was written reads back as meant.
		fresh := b.open(t, StoreOptions{})
		snap := fresh.Snapshot()
		checkSnapshot(t, snap)
		if snap.Contains(odd) || snap.TargetStates[odd] != "" {
			t.Errorf("removed connector still there: %v, target %q", snap.Connectors[odd], snap.TargetStates[odd])
		}
		if snap.TargetStates["datagen-users"] != TargetStarted || snap.TargetStates["created-stopped"] != TargetStopped {
			t.Errorf("target states = %v", snap.TargetStates)
		}
		if tasks, ok := snap.Tasks["datagen-users"]; !ok || len(tasks) != 0 {
			t.Errorf("tasks of the stopped connector = %v (present %v), want an empty committed set", tasks, ok)
		}
	})
}

// TestStoreTaskConfigsAppliedOnCommit: task records wait for the commit
// record that counts them; until then readers keep the previous set.
func TestStoreTaskConfigsAppliedOnCommit(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		changes := newChangeLog()
		s := b.open(t, StoreOptions{Listener: changes.listen})
		c := storeCtx(t)
		must(t, s.PutConnectorConfig(c, "c", map[string]string{"connector.class": "x"}, ""))
		must(t, s.PutTaskConfigs(c, "c", []map[string]string{{"v": "1"}, {"v": "1"}}))
		checkChanges(t, changes,
			Change{Kind: ChangeConnectorConfig, Connector: "c"},
			Change{Kind: ChangeTaskConfigs, Connector: "c", Tasks: []int{0, 1}})
		v1 := []map[string]string{{"v": "1"}, {"v": "1"}}

		// A leader writes a new set of three; before its commit nothing
		// changes.
		b.inject(t,
			rec("task-c-0", `{"properties":{"v":"2"}}`),
			rec("task-c-2", `{"properties":{"v":"2"}}`),
			rec("task-c-1", `{"properties":{"v":"2"}}`))
		must(t, s.Sync(c))
		snap := s.Snapshot()
		if !reflect.DeepEqual(snap.Tasks["c"], v1) || snap.TaskCounts["c"] != 2 {
			t.Errorf("uncommitted task configs applied: %v (count %d)", snap.Tasks["c"], snap.TaskCounts["c"])
		}
		checkChanges(t, changes)

		b.inject(t, rec("commit-c", `{"tasks":3}`))
		must(t, s.Sync(c))
		snap = s.Snapshot()
		if want := []map[string]string{{"v": "2"}, {"v": "2"}, {"v": "2"}}; !reflect.DeepEqual(snap.Tasks["c"], want) || snap.TaskCounts["c"] != 3 {
			t.Errorf("after commit: %v (count %d), want %v", snap.Tasks["c"], snap.TaskCounts["c"], want)
		}
		checkChanges(t, changes, Change{Kind: ChangeTaskConfigs, Connector: "c", Tasks: []int{0, 1, 2}})

		// Fewer tasks: records beyond the commit's count (left over from
		// an older set, as compaction leaves them) are ignored.
		b.inject(t,
			rec("task-c-2", `{"properties":{"v":"old"}}`),
			rec("task-c-0", `{"properties":{"v":"3"}}`),
			rec("commit-c", `{"tasks":1}`))
		must(t, s.Sync(c))
		snap = s.Snapshot()
		if want := []map[string]string{{"v": "3"}}; !reflect.DeepEqual(snap.Tasks["c"], want) || snap.TaskCounts["c"] != 1 {
			t.Errorf("after shrinking: %v (count %d), want %v", snap.Tasks["c"], snap.TaskCounts["c"], want)
		}
		checkChanges(t, changes, Change{Kind: ChangeTaskConfigs, Connector: "c", Tasks: []int{0}})
		checkSnapshot(t, snap)

		// Another worker reading the whole topic agrees.
		fresh := b.open(t, StoreOptions{})
		checkSnap(t, fresh.Snapshot(), snap)
	})
}

// TestStoreIncompleteCommit: a commit that finds fewer task records than it
// counts (compaction removed some, or a leader died halfway through a
// write) applies nothing and marks the connector inconsistent until a
// complete set is committed.
func TestStoreIncompleteCommit(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		changes := newChangeLog()
		s := b.open(t, StoreOptions{Listener: changes.listen})
		c := storeCtx(t)
		cfg := map[string]string{"connector.class": "x"}
		must(t, s.PutConnectorConfig(c, "c", cfg, ""))
		must(t, s.PutConnectorConfig(c, "d", cfg, ""))
		must(t, s.PutTaskConfigs(c, "c", []map[string]string{{"v": "1"}, {"v": "1"}}))
		must(t, s.PutTaskConfigs(c, "d", []map[string]string{{"d": "1"}}))
		changes.drain()

		b.inject(t,
			rec("task-c-1", `{"properties":{"v":"2"}}`),
			rec("commit-c", `{"tasks":2}`))
		must(t, s.Sync(c))
		snap := s.Snapshot()
		checkSnapshot(t, snap)
		if !snap.Inconsistent["c"] || len(snap.Inconsistent) != 1 {
			t.Errorf("inconsistent = %v, want only c", snap.Inconsistent)
		}
		if tasks, ok := snap.Tasks["c"]; ok {
			t.Errorf("tasks of an inconsistent connector listed: %v", tasks)
		}
		if snap.TaskCounts["c"] != 2 {
			t.Errorf("task count = %d, want 2 (the last complete commit's)", snap.TaskCounts["c"])
		}
		if !reflect.DeepEqual(snap.Tasks["d"], []map[string]string{{"d": "1"}}) {
			t.Errorf("another connector's tasks changed: %v", snap.Tasks["d"])
		}
		checkChanges(t, changes, Change{Kind: ChangeTaskConfigs, Connector: "c"})

		// A worker starting now agrees.
		fresh := b.open(t, StoreOptions{})
		checkSnap(t, fresh.Snapshot(), snap)

		// The commit used up the records before it: a lone task-c-0
		// followed by a commit of two is still incomplete, and records of
		// another connector do not count.
		b.inject(t,
			rec("task-c-0", `{"properties":{"v":"3"}}`),
			rec("task-d-1", `{"properties":{"v":"3"}}`),
			rec("commit-c", `{"tasks":2}`))
		must(t, s.Sync(c))
		if snap := s.Snapshot(); !snap.Inconsistent["c"] {
			t.Errorf("connector c consistent after another incomplete commit")
		}
		checkChanges(t, changes, Change{Kind: ChangeTaskConfigs, Connector: "c"})

		// The leader regenerates the task configs; that clears it.
		v4 := []map[string]string{{"v": "4"}, {"v": "4"}, {"v": "4"}}
		must(t, s.PutTaskConfigs(c, "c", v4))
		snap = s.Snapshot()
		checkSnapshot(t, snap)
		if len(snap.Inconsistent) != 0 || !reflect.DeepEqual(snap.Tasks["c"], v4) || snap.TaskCounts["c"] != 3 {
			t.Errorf("after a complete commit: inconsistent %v, tasks %v, count %d", snap.Inconsistent, snap.Tasks["c"], snap.TaskCounts["c"])
		}
		checkChanges(t, changes, Change{Kind: ChangeTaskConfigs, Connector: "c", Tasks: []int{0, 1, 2}})
		must(t, fresh.Sync(c))
		checkSnap(t, fresh.Snapshot(), snap)

		// Deleting an inconsistent connector forgets it all: created
		// again, it starts with no tasks and consistent.
		b.inject(t, rec("commit-c", `{"tasks":1}`))
		must(t, s.Sync(c))
		if !s.Snapshot().Inconsistent["c"] {
			t.Fatalf("connector c consistent after a commit without task records")
		}
		must(t, s.RemoveConnectorConfig(c, "c"))
		must(t, s.PutConnectorConfig(c, "c", cfg, ""))
		snap = s.Snapshot()
		checkSnapshot(t, snap)
		_, hasTasks := snap.Tasks["c"]
		_, hasCount := snap.TaskCounts["c"]
		if snap.Inconsistent["c"] || hasTasks || hasCount {
			t.Errorf("recreated connector: inconsistent %v, tasks %v, count present %v", snap.Inconsistent["c"], hasTasks, hasCount)
		}
	})
}

// TestStoreAfterCompaction reads a topic the log cleaner has compacted,
// tombstones dropped, with Kafka Connect's examples: a leader that died
// after writing one task record of a new set leaves readers of the
// compacted topic inconsistent; a shrunk task set stays consistent.
func TestStoreAfterCompaction(t *testing.T) {
	topic := kafkalog.NewMemoryTopic(1)
	s := NewMemoryStore(topic, StoreOptions{})
	defer s.Close()
	c := storeCtx(t)
	cfg := map[string]string{"connector.class": "x"}
	for _, name := range []string{"foo", "bar", "gone"} {
		must(t, s.PutConnectorConfig(c, name, cfg, ""))
	}
	must(t, s.PutTaskConfigs(c, "foo", []map[string]string{{"v": "a"}, {"v": "a"}}))
	must(t, s.PutTaskConfigs(c, "bar", []map[string]string{{"v": "a"}, {"v": "a"}}))
	must(t, s.PutTaskConfigs(c, "bar", []map[string]string{{"v": "b"}}))
	must(t, s.PutTaskConfigs(c, "gone", []map[string]string{{"v": "a"}}))
	must(t, s.PutTargetState(c, "gone", TargetPaused))
	must(t, s.RemoveConnectorConfig(c, "gone"))
	topic.Append(rec("task-foo-0", `{"properties":{"v":"b"}}`)) // the leader dies here
	must(t, s.Sync(c))
	live := s.Snapshot()
	if live.Inconsistent["foo"] || len(live.Tasks["foo"]) != 2 {
		t.Errorf("the store that read the whole topic: inconsistent %v, tasks %v", live.Inconsistent, live.Tasks["foo"])
	}

	topic.Compact(true)
	fresh := NewMemoryStore(topic, StoreOptions{})
	defer fresh.Close()
	snap := fresh.Snapshot()
	checkSnapshot(t, snap)
	if !reflect.DeepEqual(snap.Inconsistent, map[string]bool{"foo": true}) {
		t.Errorf("inconsistent after compaction = %v, want foo", snap.Inconsistent)
	}
	if got := snap.Tasks["bar"]; !reflect.DeepEqual(got, []map[string]string{{"v": "b"}}) {
		t.Errorf("bar after compaction: %v", got)
	}
	if got := snap.ConnectorNames(); !reflect.DeepEqual(got, []string{"bar", "foo"}) {
		t.Errorf("connectors after compaction = %v", got)
	}
	if st, ok := snap.TargetStates["gone"]; ok {
		t.Errorf("removed connector's target state came back: %s", st)
	}
	if snap.Offset != live.Offset {
		t.Errorf("offset after compaction %d, want %d", snap.Offset, live.Offset)
	}
}

func TestStoreTargetStates(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		changes := newChangeLog()
		s := b.open(t, StoreOptions{Listener: changes.listen})
		c := storeCtx(t)
		cfg := map[string]string{"connector.class": "x"}
		state := func(name string) TargetState {
			t.Helper()
			snap := s.Snapshot()
			checkSnapshot(t, snap)
			return snap.TargetStates[name]
		}
		must(t, s.PutConnectorConfig(c, "c", cfg, ""))
		if st := state("c"); st != TargetStarted {
			t.Errorf("a connector without a target state is %q, want STARTED", st)
		}
		for _, want := range []TargetState{TargetPaused, TargetStopped, TargetStopped, TargetStarted, TargetStopped} {
			must(t, s.PutTargetState(c, "c", want))
			if st := state("c"); st != want {
				t.Errorf("target state = %q after writing %q", st, want)
			}
		}
		changes.drain()

		// How other workers write it: older ones without state.v2, or
		// with it in another order; state.v2 wins unless it is not a
		// string.
		for _, tc := range []struct {
			value string
			want  TargetState
		}{
			{`{"state":"PAUSED"}`, TargetPaused},
			{`{"state":"STARTED"}`, TargetStarted},
			{`{"state.v2":"STOPPED","state":"PAUSED"}`, TargetStopped},
			{`{"state":"PAUSED","state.v2":null}`, TargetPaused},
			{`{"state":"STARTED","state.v2":7}`, TargetStarted},
			{`{"state.v2":"STOPPED"}`, TargetStopped},
			{` { "state" : "PAUSED" , "state.v2" : "PAUSED" , "state.v3" : "SLEEPING" } `, TargetPaused},
		} {
			b.inject(t, rec("target-state-c", tc.value))
			must(t, s.Sync(c))
			if st := state("c"); st != tc.want {
				t.Errorf("%s read as %q, want %q", tc.value, st, tc.want)
			}
			checkChanges(t, changes, Change{Kind: ChangeTargetState, Connector: "c"})
		}

		// A target state tombstone for a connector that still exists
		// makes it STARTED again, as in Kafka Connect.
		must(t, s.PutTargetState(c, "c", TargetPaused))
		changes.drain()
		b.inject(t, rec("target-state-c", "<tombstone>"))
		must(t, s.Sync(c))
		if st := state("c"); st != TargetStarted {
			t.Errorf("after a lone tombstone the target state is %q, want STARTED", st)
		}
		checkChanges(t, changes, Change{Kind: ChangeTargetState, Connector: "c"})

		// An initial state is written before the connector, so no worker
		// ever sees it started.
		must(t, s.PutConnectorConfig(c, "d", cfg, TargetStopped))
		checkChanges(t, changes,
			Change{Kind: ChangeTargetState, Connector: "d"},
			Change{Kind: ChangeConnectorConfig, Connector: "d"})
		if st := state("d"); st != TargetStopped {
			t.Errorf("connector created stopped is %q", st)
		}
		// A target state written before a connector is kept when it is
		// created without one.
		b.inject(t, rec("target-state-e", `{"state":"PAUSED","state.v2":"PAUSED"}`))
		must(t, s.PutConnectorConfig(c, "e", cfg, ""))
		if st := state("e"); st != TargetPaused {
			t.Errorf("connector e is %q, want the PAUSED written before it", st)
		}

		// Removing a connector removes its target state; only the
		// connector's removal is announced.
		changes.drain()
		must(t, s.RemoveConnectorConfig(c, "c"))
		if st, ok := s.Snapshot().TargetStates["c"]; ok {
			t.Errorf("removed connector keeps target state %q", st)
		}
		checkChanges(t, changes, Change{Kind: ChangeConnectorRemoved, Connector: "c"})
	})
}

// TestStoreReadsForeignRecords feeds a topic as a Kafka Connect worker
// writes it: other field orders, whitespace, extra fields, and record kinds
// Conflux does not use (session keys, fencing task counts, cluster logger
// levels), which are read past without a warning.
func TestStoreReadsForeignRecords(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		var warned skipWarnings
		changes := newChangeLog()
		s := b.open(t, StoreOptions{Logger: slog.New(&warned), Listener: changes.listen})
		c := storeCtx(t)
		foreign := []kafkalog.Message{
			rec("session-key", `{"key":"c2VjcmV0LWtleS1ieXRlcw==","algorithm":"HmacSHA256","creation-timestamp":1700000000000}`),
			rec("target-state-jdbc-source", `{"state":"PAUSED","state.v2":"STOPPED"}`),
			rec("connector-jdbc-source", `{"properties":{"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector","tasks.max":"2","name":"jdbc-source","connection.password":null}}`),
			rec("task-jdbc-source-1", `{"properties":{"tables":"b","task.class":"io.confluent.connect.jdbc.source.JdbcSourceTask"},"future":{"x":1}}`),
			rec("task-jdbc-source-0", ` { "future" : [1, 2.5, "x"], "properties" : { "task.class" : "io.confluent.connect.jdbc.source.JdbcSourceTask", "tables" : "a" } } `),
			rec("commit-jdbc-source", `{"extra":"x","tasks":2}`),
			rec("tasks-fencing-jdbc-source", `{"task-count":2}`),
			rec("logger-cluster-org.apache.kafka.connect", `{"level":"DEBUG"}`),
			rec("logger-cluster-org.apache.kafka.connect", "<tombstone>"),
			// Created by Connect 0.9, before target states.
			rec("connector-legacy", `{"properties":{"connector.class":"FileStreamSource","tasks.max":"1"}}`),
			rec("task-legacy-0", `{"properties":{"file":"/tmp/in"}}`),
			rec("commit-legacy", `{"tasks":1}`),
			// Dashes and digits in a connector's name.
			rec("connector-my-conn-2", `{"properties":{}}`),
			rec("task-my-conn-2-0", `{"properties":{"k":"v"}}`),
			rec("task-my-conn-2-1", `{"properties":{"k":"w"}}`),
			rec("commit-my-conn-2", `{"tasks":2}`),
			// Values edited by hand: kept as their JSON text.
			rec("connector-hand", `{"properties":{"tasks.max":2,"enabled":true,"nested":{"a":[1,"x"]}}}`),
			rec("target-state-hand", `{"state":"STARTED"}`),
			// Created, then deleted as Kafka Connect deletes: tombstones
			// for the connector and its target state, its task records
			// left in place.
			rec("connector-gone", `{"properties":{"connector.class":"x"}}`),
			rec("task-gone-0", `{"properties":{}}`),
			rec("commit-gone", `{"tasks":1}`),
			rec("connector-gone", "<tombstone>"),
			rec("target-state-gone", "<tombstone>"),
			rec("restart-connector-jdbc-source", `{"only-failed":true,"include-tasks":true}`),
			rec("restart-connector-legacy", `{}`),
			rec("restart-connector-legacy", "<tombstone>"),
			rec("session-key", "<tombstone>"),
			rec("tasks-fencing-jdbc-source", "<tombstone>"),
		}
		b.inject(t, foreign...)
		must(t, s.Sync(c))
		warned.check(t, 0)

		want := emptySnapshot(int64(len(foreign)))
		want.Connectors = map[string]map[string]string{
			"jdbc-source": {"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector", "tasks.max": "2", "name": "jdbc-source"},
			"legacy":      {"connector.class": "FileStreamSource", "tasks.max": "1"},
			"my-conn-2":   {},
			"hand":        {"tasks.max": "2", "enabled": "true", "nested": `{"a":[1,"x"]}`},
		}
		want.Tasks = map[string][]map[string]string{
			"jdbc-source": {
				{"task.class": "io.confluent.connect.jdbc.source.JdbcSourceTask", "tables": "a"},
				{"task.class": "io.confluent.connect.jdbc.source.JdbcSourceTask", "tables": "b"},
			},
			"legacy":    {{"file": "/tmp/in"}},
			"my-conn-2": {{"k": "v"}, {"k": "w"}},
		}
		want.TaskCounts = map[string]int{"jdbc-source": 2, "legacy": 1, "my-conn-2": 2}
		want.TargetStates = map[string]TargetState{"jdbc-source": TargetStopped, "legacy": TargetStarted, "my-conn-2": TargetStarted, "hand": TargetStarted}
		checkSnap(t, s.Snapshot(), want)

		// Restart requests reach the listener, in topic order; a
		// request's tombstone is not one.
		var restarts []RestartRequest
		for _, ch := range changes.drain() {
			if ch.Kind == ChangeRestart {
				restarts = append(restarts, ch.Restart)
			}
		}
		wantRestarts := []RestartRequest{{Connector: "jdbc-source", IncludeTasks: true, OnlyFailed: true}, {Connector: "legacy"}}
		if !reflect.DeepEqual(restarts, wantRestarts) {
			t.Errorf("restart requests = %+v, want %+v", restarts, wantRestarts)
		}

		// A worker opening the topic now reads the same, and announces
		// nothing of what it read while opening.
		var warned2 skipWarnings
		opened := newChangeLog()
		fresh := b.open(t, StoreOptions{Logger: slog.New(&warned2), Listener: opened.listen})
		checkSnap(t, fresh.Snapshot(), want)
		warned2.check(t, 0)
		checkChanges(t, opened)

		// Our own writes replace theirs.
		must(t, s.PutTaskConfigs(c, "jdbc-source", []map[string]string{{"tables": "a,b"}}))
		if got := s.Snapshot().Tasks["jdbc-source"]; !reflect.DeepEqual(got, []map[string]string{{"tables": "a,b"}}) {
			t.Errorf("tasks after our write = %v", got)
		}
	})
}

// TestStoreSkipsMalformedRecords: a record that cannot be used is logged
// and skipped, changing nothing; the store keeps reading.
func TestStoreSkipsMalformedRecords(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		var warned skipWarnings
		changes := newChangeLog()
		s := b.open(t, StoreOptions{Logger: slog.New(&warned), Listener: changes.listen})
		c := storeCtx(t)
		must(t, s.PutConnectorConfig(c, "c", map[string]string{"a": "1"}, ""))
		must(t, s.PutTaskConfigs(c, "c", []map[string]string{{"t": "0"}}))
		must(t, s.PutTargetState(c, "c", TargetPaused))
		// A pending task record that a malformed commit must not use up.
		b.inject(t, rec("task-c-0", `{"properties":{"t":"new"}}`))
		must(t, s.Sync(c))
		before := s.Snapshot()
		changes.drain()

		bad := []kafkalog.Message{
			rec("connector-c", `not json`),
			rec("connector-c", `{"properties":{"a":"2"}} trailing`),
			rec("connector-c", `{"properties":{"a":"2"}`),
			rec("connector-c", `[1,2]`),
			rec("connector-c", `"a string"`),
			rec("connector-c", `42`),
			rec("connector-c", `{"config":{"a":"2"}}`),
			rec("connector-c", `{"properties":"a=2"}`),
			rec("connector-c", `{"properties":[["a","2"]]}`),
			rec("connector-c", ""),
			rec("target-state-c", `{"state":"RUNNING"}`),
			rec("target-state-c", `{"state":"paused"}`),
			rec("target-state-c", `{"state.v2":"HALTED","state":"PAUSED"}`),
			rec("target-state-c", `{}`),
			rec("target-state-c", `{"state":1}`),
			rec("target-state-c", `["STARTED"]`),
			rec("task-c-0", "<tombstone>"),
			rec("task-c-0", `null`),
			rec("task-c-0", `{"properties":null}`),
			rec("task-c-0", `{"properties":["t"]}`),
			rec("task-c", `{"properties":{}}`),
			rec("task-c-x", `{"properties":{}}`),
			rec("task--0", `{"properties":{}}`),
			rec("task-c-01", `{"properties":{}}`),
			rec("task-c-+1", `{"properties":{}}`),
			rec("task-c-99999999999999999999", `{"properties":{}}`),
			rec("commit-c", `{"tasks":"1"}`),
			rec("commit-c", `{"tasks":-1}`),
			rec("commit-c", `{"tasks":1.5}`),
			rec("commit-c", `{"tasks":1e400}`),
			rec("commit-c", `{"tasks":99999999999}`),
			rec("commit-c", `{}`),
			rec("commit-c", `null`),
			rec("commit-c", "<tombstone>"),
			rec("restart-connector-c", `{"include-tasks":"yes"}`),
			rec("restart-connector-c", `{"only-failed":1}`),
			rec("restart-connector-c", `[true]`),
			rec("Connector-c", `{"properties":{}}`),
			rec("session-keys", `{}`),
			rec("\xff\xfe", `{}`),
			rec("c", `{"properties":{}}`),
		}
		b.inject(t, bad...)
		must(t, s.PutConnectorConfig(c, "d", map[string]string{}, "")) // written after them, still read
		warned.check(t, len(bad))
		checkChanges(t, changes, Change{Kind: ChangeConnectorConfig, Connector: "d"})

		want := before
		want.Offset = before.Offset + int64(len(bad)) + 1
		want.Connectors = maps.Clone(before.Connectors)
		want.Connectors["d"] = map[string]string{}
		want.TargetStates = maps.Clone(before.TargetStates)
		want.TargetStates["d"] = TargetStarted
		checkSnap(t, s.Snapshot(), want)

		// The pending task record is still there for a valid commit.
		b.inject(t, rec("commit-c", `{"tasks":1}`))
		must(t, s.Sync(c))
		if got := s.Snapshot().Tasks["c"]; !reflect.DeepEqual(got, []map[string]string{{"t": "new"}}) {
			t.Errorf("tasks after a valid commit = %v", got)
		}

		// A worker reading them from the start agrees.
		var warned2 skipWarnings
		fresh := b.open(t, StoreOptions{Logger: slog.New(&warned2)})
		checkSnap(t, fresh.Snapshot(), s.Snapshot())
		warned2.check(t, len(bad))

		// Records that are not JSON at all do not count towards the
		// config offset, as in Kafka Connect.
		b.inject(t, rec("connector-c", `}{`))
		must(t, s.Sync(c))
		if got := s.Snapshot().Offset; got != want.Offset+1 {
			t.Errorf("offset after a non-JSON record = %d, want %d", got, want.Offset+1)
		}
	})
}

// TestStoreListener: every store on the topic, like every worker of a
// cluster, announces the same changes in topic order, whoever wrote them.
func TestStoreListener(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		c := storeCtx(t)
		third := b.open(t, StoreOptions{})
		cfg := map[string]string{"connector.class": "x"}
		must(t, third.PutConnectorConfig(c, "old", cfg, ""))

		// The listener may look at the store: the change is applied
		// before it is announced.
		listen := func(self *atomic.Pointer[Store], l changeLog) func(Change) {
			return func(ch Change) {
				if s := self.Load(); s != nil {
					snap := s.Snapshot()
					exists := snap.Contains(ch.Connector)
					if (ch.Kind == ChangeConnectorConfig && !exists) || (ch.Kind == ChangeConnectorRemoved && exists) {
						t.Errorf("%s of %s announced before it was applied", ch.Kind, ch.Connector)
					}
				}
				l.listen(ch)
			}
		}
		var pa, pb atomic.Pointer[Store]
		la, lb := newChangeLog(), newChangeLog()
		a := b.open(t, StoreOptions{Listener: listen(&pa, la)})
		pa.Store(a)
		w := b.open(t, StoreOptions{Listener: listen(&pb, lb)})
		pb.Store(w)

		must(t, a.PutConnectorConfig(c, "c", cfg, TargetPaused))
		must(t, w.PutTaskConfigs(c, "c", []map[string]string{{}, {}}))
		must(t, a.PutTargetState(c, "c", TargetStopped))
		must(t, w.PutRestartRequest(c, RestartRequest{Connector: "c", IncludeTasks: true}))
		must(t, third.PutConnectorConfig(c, "c", map[string]string{"connector.class": "y"}, ""))
		b.inject(t, rec("task-c-0", `{"properties":{}}`), rec("commit-c", `{"tasks":1}`))
		must(t, w.PutTaskConfigs(c, "c", nil))
		must(t, a.RemoveConnectorConfig(c, "c"))
		must(t, a.Sync(c))
		must(t, w.Sync(c))

		want := []Change{
			{Kind: ChangeTargetState, Connector: "c"},
			{Kind: ChangeConnectorConfig, Connector: "c"},
			{Kind: ChangeTaskConfigs, Connector: "c", Tasks: []int{0, 1}},
			{Kind: ChangeTargetState, Connector: "c"},
			{Kind: ChangeRestart, Connector: "c", Restart: RestartRequest{Connector: "c", IncludeTasks: true}},
			{Kind: ChangeConnectorConfig, Connector: "c"},
			{Kind: ChangeTaskConfigs, Connector: "c", Tasks: []int{0}},
			{Kind: ChangeTaskConfigs, Connector: "c"}, // zero tasks
			{Kind: ChangeConnectorRemoved, Connector: "c"},
		}
		checkChanges(t, la, want...)
		checkChanges(t, lb, want...)
		if !reflect.DeepEqual(a.Snapshot(), w.Snapshot()) {
			t.Errorf("the two stores disagree:\n  %+v\n  %+v", a.Snapshot(), w.Snapshot())
		}
	})
}

func TestChangeKindString(t *testing.T) {
	for k, want := range map[ChangeKind]string{
		ChangeConnectorConfig:  "connector config",
		ChangeConnectorRemoved: "connector removed",
		ChangeTaskConfigs:      "task configs",
		ChangeTargetState:      "target state",
		ChangeRestart:          "restart request",
		ChangeSessionKey:       "session key",
		0:                      "ChangeKind(0)",
		42:                     "ChangeKind(42)",
	} {
		if got := k.String(); got != want {
			t.Errorf("ChangeKind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

// TestStoreSnapshotIsACopy: a snapshot belongs to the caller; changing it
// changes nothing in the store, and later writes do not change it.
func TestStoreSnapshotIsACopy(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		s := b.open(t, StoreOptions{})
		c := storeCtx(t)
		cfg := map[string]string{"a": "1"}
		task := map[string]string{"t": "0"}
		must(t, s.PutConnectorConfig(c, "c", cfg, TargetPaused))
		must(t, s.PutTaskConfigs(c, "c", []map[string]string{task}))
		// Neither are the caller's maps kept.
		cfg["a"] = "changed"
		task["t"] = "changed"

		want := emptySnapshot(4)
		want.Connectors = map[string]map[string]string{"c": {"a": "1"}}
		want.Tasks = map[string][]map[string]string{"c": {{"t": "0"}}}
		want.TaskCounts = map[string]int{"c": 1}
		want.TargetStates = map[string]TargetState{"c": TargetPaused}

		snap := s.Snapshot()
		checkSnap(t, snap, want)
		snap.Offset = 99
		snap.Connectors["c"]["a"] = "x"
		snap.Connectors["new"] = map[string]string{}
		snap.Tasks["c"][0]["t"] = "x"
		snap.Tasks["c"] = append(snap.Tasks["c"], map[string]string{})
		snap.TaskCounts["c"] = 7
		snap.TargetStates["c"] = TargetStarted
		snap.Inconsistent["c"] = true
		checkSnap(t, s.Snapshot(), want)

		old := s.Snapshot()
		must(t, s.PutConnectorConfig(c, "c", map[string]string{"a": "2"}, ""))
		must(t, s.PutTaskConfigs(c, "c", []map[string]string{{"t": "1"}, {"t": "2"}}))
		must(t, s.PutTargetState(c, "c", TargetStopped))
		must(t, s.PutConnectorConfig(c, "d", nil, ""))
		checkSnap(t, old, want)
	})
}

// TestStoreSyncSeesOtherWrites: after Sync a store has read every write
// another store had completed before it.
func TestStoreSyncSeesOtherWrites(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		writer, reader := b.open(t, StoreOptions{}), b.open(t, StoreOptions{})
		c := storeCtx(t)
		for i := range 5 {
			name := fmt.Sprintf("c%d", i)
			must(t, writer.PutConnectorConfig(c, name, map[string]string{"i": fmt.Sprint(i)}, ""))
			must(t, writer.PutTaskConfigs(c, name, make([]map[string]string, i)))
			must(t, writer.PutTargetState(c, name, TargetPaused))
			must(t, reader.Sync(c))
			checkSnap(t, reader.Snapshot(), writer.Snapshot())
		}
		// Writes by a foreign worker too.
		b.inject(t, rec("connector-java", `{"properties":{}}`))
		must(t, reader.Sync(c))
		if !reader.Snapshot().Contains("java") {
			t.Errorf("Sync missed a record written before it")
		}
		// A write returns once its store has read up to it, records of
		// other workers before it included.
		must(t, writer.PutTaskConfigs(c, "java", []map[string]string{{}}))
		if snap := writer.Snapshot(); !snap.Contains("java") || len(snap.Tasks["java"]) != 1 {
			t.Errorf("writer missed the record before its own: %+v", snap)
		}
	})
}

func TestStoreReopen(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		s := b.open(t, StoreOptions{})
		c := storeCtx(t)
		for i := range 12 {
			name := fmt.Sprintf("conn-%02d", i)
			must(t, s.PutConnectorConfig(c, name, map[string]string{"connector.class": "x", "i": fmt.Sprint(i)}, []TargetState{"", TargetPaused, TargetStopped}[i%3]))
			tasks := make([]map[string]string, i%4)
			for n := range tasks {
				tasks[n] = map[string]string{"task": fmt.Sprint(n)}
			}
			must(t, s.PutTaskConfigs(c, name, tasks))
		}
		must(t, s.PutTaskConfigs(c, "conn-05", []map[string]string{{"again": "yes"}}))
		must(t, s.PutTargetState(c, "conn-06", TargetStarted))
		must(t, s.RemoveConnectorConfig(c, "conn-07"))
		must(t, s.PutRestartRequest(c, RestartRequest{Connector: "conn-08", IncludeTasks: true}))
		b.inject(t, rec("task-conn-09-0", `{"properties":{}}`), rec("commit-conn-09", `{"tasks":2}`))
		must(t, s.Sync(c))
		want := s.Snapshot()
		if !want.Inconsistent["conn-09"] || want.Contains("conn-07") || len(want.Connectors) != 11 {
			t.Fatalf("unexpected content before reopening: %+v", want)
		}
		must(t, s.Close())
		must(t, s.Close()) // idempotent
		if err := s.PutTargetState(c, "conn-01", TargetStarted); !errors.Is(err, kafkalog.ErrClosed) {
			t.Errorf("write after Close: %v, want ErrClosed", err)
		}
		if err := s.Sync(c); !errors.Is(err, kafkalog.ErrClosed) {
			t.Errorf("Sync after Close: %v, want ErrClosed", err)
		}
		checkSnap(t, s.Snapshot(), want) // still readable

		fresh := b.open(t, StoreOptions{})
		checkSnap(t, fresh.Snapshot(), want)
	})
}

// TestStoreBrokerRestart restarts the backend under an open store while
// configs are being written: every write must succeed (retried through the
// outage), and the open store must keep reading afterwards.
func TestStoreBrokerRestart(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		changes := newChangeLog()
		s := b.open(t, StoreOptions{Listener: changes.listen})
		c := storeCtx(t)
		const rounds = 24
		started := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := range rounds {
				if i == 6 {
					close(started) // restart once writing is well under way
				}
				name := fmt.Sprintf("conn-%d", i%4)
				if err := s.PutConnectorConfig(c, name, map[string]string{"i": fmt.Sprint(i)}, ""); err != nil {
					t.Errorf("put config %d: %v", i, err)
				}
				if err := s.PutTaskConfigs(c, name, []map[string]string{{"i": fmt.Sprint(i)}, {"i": fmt.Sprint(i)}}); err != nil {
					t.Errorf("put tasks %d: %v", i, err)
				}
				if err := s.PutTargetState(c, name, []TargetState{TargetStarted, TargetPaused, TargetStopped}[i%3]); err != nil {
					t.Errorf("put target state %d: %v", i, err)
				}
			}
		})
		<-started
		b.restart(t)
		wg.Wait()

		snap := s.Snapshot()
		checkSnapshot(t, snap)
		for n := range 4 {
			name, last := fmt.Sprintf("conn-%d", n), rounds-4+n
			if got := snap.Connectors[name]["i"]; got != fmt.Sprint(last) {
				t.Errorf("%s config i=%s, want %d", name, got, last)
			}
			if got := snap.TargetStates[name]; got != []TargetState{TargetStarted, TargetPaused, TargetStopped}[last%3] {
				t.Errorf("%s target state %s", name, got)
			}
			if tasks := snap.Tasks[name]; len(tasks) != 2 || tasks[1]["i"] != fmt.Sprint(last) {
				t.Errorf("%s tasks = %v (inconsistent %v)", name, tasks, snap.Inconsistent[name])
			}
		}
		if len(changes.drain()) < rounds*3 {
			t.Errorf("fewer changes announced than writes made")
		}

		// The open store still follows the topic: another worker's write
		// reaches its listener.
		other := b.open(t, StoreOptions{})
		checkSnap(t, other.Snapshot(), snap)
		must(t, other.PutRestartRequest(c, RestartRequest{Connector: "conn-0", OnlyFailed: true}))
		must(t, s.Sync(c))
		checkChanges(t, changes, Change{Kind: ChangeRestart, Connector: "conn-0", Restart: RestartRequest{Connector: "conn-0", OnlyFailed: true}})
		must(t, s.PutConnectorConfig(c, "after", nil, ""))
		must(t, other.Sync(c))
		checkSnap(t, other.Snapshot(), s.Snapshot())
	})
}

// TestStoreConcurrentUse writes from several goroutines through two stores
// while others take snapshots; both stores end up with the same content.
func TestStoreConcurrentUse(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		var announced atomic.Int64
		count := func(Change) { announced.Add(1) }
		s1, s2 := b.open(t, StoreOptions{Listener: count}), b.open(t, StoreOptions{Listener: count})
		c := storeCtx(t)
		const writers, rounds = 4, 8
		var wg sync.WaitGroup
		for w := range writers {
			s := []*Store{s1, s2}[w%2]
			wg.Go(func() {
				name := fmt.Sprintf("c%d", w)
				for i := range rounds {
					v := fmt.Sprint(i)
					if err := s.PutConnectorConfig(c, name, map[string]string{"v": v}, ""); err != nil {
						t.Errorf("put config: %v", err)
						return
					}
					if err := s.PutTaskConfigs(c, name, []map[string]string{{"v": v}}); err != nil {
						t.Errorf("put tasks: %v", err)
						return
					}
					snap := s.Snapshot()
					checkSnapshot(t, snap)
					if got := snap.Tasks[name]; len(got) != 1 || got[0]["v"] != v {
						t.Errorf("%s: tasks %v after writing v=%s", name, got, v)
					}
				}
			})
		}
		wg.Wait()
		must(t, s1.Sync(c))
		must(t, s2.Sync(c))
		a, z := s1.Snapshot(), s2.Snapshot()
		checkSnap(t, z, a)
		if len(a.Connectors) != writers {
			t.Errorf("%d connectors, want %d", len(a.Connectors), writers)
		}
		if n := announced.Load(); n != 2*writers*rounds*2 {
			t.Errorf("%d changes announced by the two stores, want %d", n, 2*writers*rounds*2)
		}
	})
}

func TestStoreInvalidWrites(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		s := b.open(t, StoreOptions{})
		c := storeCtx(t)
		cfg := map[string]string{"connector.class": "x"}
		for name, err := range map[string]error{
			"config of no one":       s.PutConnectorConfig(c, "", cfg, ""),
			"unknown initial state":  s.PutConnectorConfig(c, "c", cfg, "RUNNING"),
			"lowercase state":        s.PutConnectorConfig(c, "c", cfg, "paused"),
			"remove no one":          s.RemoveConnectorConfig(c, ""),
			"tasks of no one":        s.PutTaskConfigs(c, "", []map[string]string{{}}),
			"target of no one":       s.PutTargetState(c, "", TargetPaused),
			"empty target state":     s.PutTargetState(c, "c", ""),
			"status as target state": s.PutTargetState(c, "c", "RESTARTING"),
			"restart no one":         s.PutRestartRequest(c, RestartRequest{IncludeTasks: true}),
		} {
			if !errors.Is(err, ErrInvalidStoreWrite) {
				t.Errorf("%s: %v, want ErrInvalidStoreWrite", name, err)
			}
		}
		if recs := b.raw(t); len(recs) != 0 {
			t.Errorf("invalid writes reached the topic: %v", recs)
		}
		checkSnap(t, s.Snapshot(), emptySnapshot(-1))
	})
}

// TestOpenStoreTopic checks the Kafka-only part: the topic is created
// compacted with one partition, and an existing topic with more partitions
// or another cleanup policy is refused.
func TestOpenStoreTopic(t *testing.T) {
	b := logtest.StartBroker(t)
	c := storeCtx(t)
	s, err := OpenStore(c, StoreConfig{
		Brokers:      []string{b.Addr()},
		Topic:        "my-configs",
		TopicConfigs: map[string]string{"cleanup.policy": "delete", "segment.ms": "60000"},
		ClientID:     "configs-test",
	})
	must(t, err)
	defer s.Close()
	must(t, s.PutConnectorConfig(c, "c", nil, ""))
	if recs := logtest.ReadAll(t, b.Addr(), "my-configs"); len(recs) != 1 || recs[0].Partition != 0 || string(recs[0].Key) != "connector-c" {
		t.Errorf("topic my-configs holds %v", recs)
	}
	// Opening it again works (so it was created compacted) and reads it.
	again, err := OpenStore(c, StoreConfig{Brokers: []string{b.Addr()}, Topic: "my-configs"})
	must(t, err)
	defer again.Close()
	if !again.Snapshot().Contains("c") {
		t.Errorf("reopened store misses connector c")
	}

	logtest.CreateTopic(t, b.Addr(), DefaultConfigTopic, 3, map[string]string{"cleanup.policy": "compact"})
	_, err = OpenStore(c, StoreConfig{Brokers: []string{b.Addr()}})
	if !errors.Is(err, ErrConfigTopicPartitions) {
		t.Fatalf("open on a 3-partition topic: %v, want ErrConfigTopicPartitions", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "'connect-configs'") || !strings.Contains(msg, "config.storage.topic") || !strings.Contains(msg, "found 3 partitions") {
		t.Errorf("error message %q does not name the topic, the setting and the count", msg)
	}

	logtest.CreateTopic(t, b.Addr(), "deleting", 1, map[string]string{"cleanup.policy": "delete"})
	if _, err := OpenStore(c, StoreConfig{Brokers: []string{b.Addr()}, Topic: "deleting"}); !errors.Is(err, kafkalog.ErrNotCompacted) {
		t.Errorf("open on a non-compacted topic: %v, want ErrNotCompacted", err)
	}
}
