package runtime_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"conflux/runtime"
)

// pauseWindow is how long a paused connector is watched for records it
// must not move.
const pauseWindow = 500 * time.Millisecond

// setTarget changes a connector's target state and waits for the status
// to follow.
func setTarget(t *testing.T, w *testWorker, name string, target runtime.TargetState, want string) {
	t.Helper()
	if err := w.SetTargetState(ctxT(t), name, target); err != nil {
		t.Fatalf("%s %s: %v", target, name, err)
	}
	waitStates(t, w, name, want)
}

// offsetsJSON returns GET /connectors/{name}/offsets as the REST API
// answers it.
func offsetsJSON(t *testing.T, w *testWorker, c *testCluster, name string) string {
	t.Helper()
	var body any
	if code := restGet(t, w, c.reg, "/connectors/"+name+"/offsets", &body); code != 200 {
		t.Fatalf("GET /connectors/%s/offsets: %d %v", name, code, body)
	}
	b, _ := json.Marshal(body)
	return string(b)
}

// TestWorkerSinkTargetStates pauses, resumes and stops a sink connector
// and drives its offsets through the KIP-875 operations while it is
// stopped.
func TestWorkerSinkTargetStates(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	createTopic(t, c.addr, "stream", 1)
	text := func(from, n int) []*kgo.Record {
		var out []*kgo.Record
		for i := from; i < from+n; i++ {
			out = append(out, &kgo.Record{Topic: "stream", Value: fmt.Appendf(nil, "value-%d", i)})
		}
		return out
	}
	produce(t, c.addr, text(0, 5)...)
	w := c.startWorker(t)
	p, id := newSinkProbe(t)
	createConnector(t, w, "pausable", map[string]string{"connector.class": probeSinkClass, "probe": id, "topics": "stream",
		"key.converter": stringConverter, "value.converter": stringConverter})
	p.waitRecords(t, 5)

	setTarget(t, w, "pausable", runtime.TargetPaused, "PAUSED PAUSED")
	produce(t, c.addr, text(5, 5)...)
	consistently(t, pauseWindow, "a paused sink", func() error {
		if n := p.count(); n != 5 {
			return fmt.Errorf("%d records delivered while paused", n)
		}
		return nil
	})
	setTarget(t, w, "pausable", runtime.TargetStarted, "RUNNING RUNNING")
	recs := p.waitRecords(t, 10)
	checkPerPartitionOrder(t, recs, nil)

	// Offsets may only change while the connector is stopped.
	_, err := w.AlterConnectorOffsets(ctxT(t), "pausable", runtime.ConnectorOffsets{Offsets: []runtime.PartitionOffset{{
		Partition: map[string]any{"kafka_topic": "stream", "kafka_partition": 0}, Offset: map[string]any{"kafka_offset": 1}}}})
	if !errors.Is(err, runtime.ErrBadRequest) {
		t.Errorf("altering the offsets of a running connector: %v, want ErrBadRequest", err)
	}
	if _, err := w.ResetConnectorOffsets(ctxT(t), "pausable"); !errors.Is(err, runtime.ErrBadRequest) {
		t.Errorf("resetting the offsets of a running connector: %v, want ErrBadRequest", err)
	}

	setTarget(t, w, "pausable", runtime.TargetStopped, "STOPPED")
	if info, err := w.ConnectorInfo(ctxT(t), "pausable"); err != nil || len(info.Tasks) != 0 {
		t.Errorf("stopped connector info: %+v, %v; want no tasks", info, err)
	}
	// The status says STOPPED once the task configs are gone; the task
	// itself may still be committing its last offsets and leaving the
	// group, so offset changes are retried, as Kafka Connect tells users to.
	eventually(t, "the stopped sink's final offsets", func() error {
		if got, want := offsetsJSON(t, w, c, "pausable"),
			`{"offsets":[{"offset":{"kafka_offset":10},"partition":{"kafka_partition":0,"kafka_topic":"stream"}}]}`; got != want {
			return fmt.Errorf("GET offsets of the stopped sink:\n got %s\nwant %s", got, want)
		}
		return nil
	})

	// PATCH: back to offset 7; the records from there come again.
	eventually(t, "PATCH offsets", func() error {
		msg, err := w.AlterConnectorOffsets(ctxT(t), "pausable", runtime.ConnectorOffsets{Offsets: []runtime.PartitionOffset{{
			Partition: map[string]any{"kafka_topic": "stream", "kafka_partition": 0}, Offset: map[string]any{"kafka_offset": 7}}}})
		if err != nil || msg != runtime.AlteredOffsetsMessage {
			return fmt.Errorf("alter offsets: %q, %w", msg, err)
		}
		return nil
	})
	if got := groupOffsets(t, c.addr, "connect-pausable", "stream"); got[0] != 7 {
		t.Errorf("group offsets after PATCH: %v, want 7", got)
	}
	if got, want := offsetsJSON(t, w, c, "pausable"),
		`{"offsets":[{"offset":{"kafka_offset":7},"partition":{"kafka_partition":0,"kafka_topic":"stream"}}]}`; got != want {
		t.Errorf("GET offsets after PATCH:\n got %s\nwant %s", got, want)
	}
	setTarget(t, w, "pausable", runtime.TargetStarted, "RUNNING RUNNING")
	recs = p.waitRecords(t, 13)
	checkPerPartitionOrder(t, recs[10:], map[int32]int64{0: 7})

	// DELETE: the group's offsets go, and the sink starts over from the
	// earliest record.
	setTarget(t, w, "pausable", runtime.TargetStopped, "STOPPED")
	eventually(t, "DELETE offsets", func() error {
		if msg, err := w.ResetConnectorOffsets(ctxT(t), "pausable"); err != nil || msg != runtime.ResetOffsetsMessage {
			return fmt.Errorf("reset offsets: %q, %w", msg, err)
		}
		return nil
	})
	if got := groupOffsets(t, c.addr, "connect-pausable", "stream"); len(got) != 0 {
		t.Errorf("group offsets after DELETE: %v, want none", got)
	}
	if got, want := offsetsJSON(t, w, c, "pausable"), `{"offsets":[]}`; got != want {
		t.Errorf("GET offsets after DELETE: %s, want %s", got, want)
	}
	setTarget(t, w, "pausable", runtime.TargetStarted, "RUNNING RUNNING")
	recs = p.waitRecords(t, 23)
	checkPerPartitionOrder(t, recs[13:], nil)
}

// TestWorkerSourceTargetStates does the same with a source connector,
// whose offsets live in the offsets topic.
func TestWorkerSourceTargetStates(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	createTopic(t, c.addr, "src", 1)
	w := c.startWorker(t)
	p, id := newSourceProbe(t, "src", 20)
	createConnector(t, w, "source", map[string]string{"connector.class": probeSourceClass, "probe": id,
		"value.converter": stringConverter})
	topicHolds := func(n int) {
		t.Helper()
		eventually(t, fmt.Sprintf("%d records in src", n), func() error {
			if got := len(readTopic(t, c.addr, "src")); got != n {
				return fmt.Errorf("%d records", got)
			}
			return nil
		})
	}
	topicHolds(20)

	setTarget(t, w, "source", runtime.TargetPaused, "PAUSED PAUSED")
	p.mu.Lock()
	polled := p.produced
	p.mu.Unlock()
	p.total.Store(40)
	consistently(t, pauseWindow, "a paused source", func() error {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.produced != polled {
			return fmt.Errorf("polled %d records while paused", p.produced-polled)
		}
		return nil
	})
	setTarget(t, w, "source", runtime.TargetStarted, "RUNNING RUNNING")
	topicHolds(40)

	setTarget(t, w, "source", runtime.TargetStopped, "STOPPED")
	// The task may still be flushing its last offsets when the status says
	// STOPPED; PATCH and DELETE wait for it, GET shows what is committed.
	eventually(t, "the stopped source's final offsets", func() error {
		if got, want := offsetsJSON(t, w, c, "source"), `{"offsets":[{"offset":{"seq":39},"partition":{"source":"probe"}}]}`; got != want {
			return fmt.Errorf("GET offsets of the stopped source:\n got %s\nwant %s", got, want)
		}
		return nil
	})
	// PATCH: skip ahead to 99; the task resumes after it.
	msg, err := w.AlterConnectorOffsets(ctxT(t), "source", runtime.ConnectorOffsets{Offsets: []runtime.PartitionOffset{{
		Partition: map[string]any{"source": "probe"}, Offset: map[string]any{"seq": 99}}}})
	if err != nil || msg != runtime.AlteredOffsetsMessage {
		t.Fatalf("alter offsets: %q, %v", msg, err)
	}
	if got, want := offsetsJSON(t, w, c, "source"), `{"offsets":[{"offset":{"seq":99},"partition":{"source":"probe"}}]}`; got != want {
		t.Errorf("GET offsets after PATCH:\n got %s\nwant %s", got, want)
	}
	p.total.Store(105)
	afterPatch := len(p.startsSeen())
	setTarget(t, w, "source", runtime.TargetStarted, "RUNNING RUNNING")
	topicHolds(45)
	recs := readTopic(t, c.addr, "src")
	for i, r := range recs[40:] {
		if seq := seqOf(t, r.Value); seq != int64(100+i) {
			t.Fatalf("after PATCH to 99 record %d is number %d, want %d", 40+i, seq, 100+i)
		}
	}

	// DELETE: no offset at all; the task starts from scratch.
	setTarget(t, w, "source", runtime.TargetStopped, "STOPPED")
	if msg, err := w.ResetConnectorOffsets(ctxT(t), "source"); err != nil || msg != runtime.ResetOffsetsMessage {
		t.Fatalf("reset offsets: %q, %v", msg, err)
	}
	if got, want := offsetsJSON(t, w, c, "source"), `{"offsets":[]}`; got != want {
		t.Errorf("GET offsets after DELETE: %s, want %s", got, want)
	}
	afterDelete := len(p.startsSeen())
	setTarget(t, w, "source", runtime.TargetStarted, "RUNNING RUNNING")
	topicHolds(45 + 105)
	// Pause and resume keep the task; each resume from STOPPED starts a
	// new one, from the offset as changed. (A resume soon after a stop may
	// start the task twice: once from the worker's previous assignment,
	// again when the rebalance the stop caused revokes and reassigns it;
	// the second start then resumes from the first one's offsets.)
	starts := p.startsSeen()
	if len(starts) == 0 || starts[0].offset != nil {
		t.Errorf("the first task start saw offsets %v, want none", starts)
	}
	if len(starts) <= afterDelete || fmt.Sprint(starts[afterPatch].offset) != "map[seq:99]" {
		t.Errorf("after PATCH the task started from %v, want seq 99", starts[afterPatch:])
	}
	if len(starts) <= afterDelete || starts[afterDelete].offset != nil {
		t.Errorf("after DELETE the task started from %v, want none", starts[afterDelete:])
	}
}
