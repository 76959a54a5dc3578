package runtime_test

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"conflux/runtime"
	"conflux/runtime/tolerance"
)

// TestWorkerSinkConverterErrorFailsTask sends plain text to a sink whose
// JsonConverter cannot read it, with errors.tolerance=none: the task fails
// with a trace in the status topic and the REST status, and nothing at or
// past the bad record is delivered or committed. The operator then stops
// the connector, moves its offset past the bad record (PATCH offsets) and
// resumes it.
func TestWorkerSinkConverterErrorFailsTask(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	createTopic(t, c.addr, "events", 1)
	produce(t, c.addr,
		&kgo.Record{Topic: "events", Value: []byte(`{"n":0}`)},
		&kgo.Record{Topic: "events", Value: []byte(`{"n":1}`)},
		&kgo.Record{Topic: "events", Value: []byte(`not json`)},
		&kgo.Record{Topic: "events", Value: []byte(`{"n":3}`)},
	)
	w := c.startWorker(t)
	p, id := newSinkProbe(t)
	createConnector(t, w, "strict", map[string]string{"connector.class": probeSinkClass, "probe": id, "topics": "events",
		"value.converter.schemas.enable": "false", "errors.tolerance": "none"})
	st := waitStates(t, w, "strict", "RUNNING FAILED")
	if st.Tasks[0].Trace == "" || st.Tasks[0].WorkerID != w.ID() {
		t.Errorf("failed task status %+v: want a trace and worker %s", st.Tasks[0], w.ID())
	}

	// Another reader of the status topic sees the failure and its trace.
	rec := statusRecord(t, c, "status-task-strict-0")
	if rec["state"] != "FAILED" || rec["trace"] == nil || rec["trace"] == "" || rec["worker_id"] != w.ID() {
		t.Errorf("status-task-strict-0 in the status topic = %v; want FAILED with a trace, by %s", rec, w.ID())
	}
	// So does a REST client.
	var status struct {
		Tasks []struct {
			State, Trace string
		}
	}
	if code := restGet(t, w, c.reg, "/connectors/strict/status", &status); code != 200 || len(status.Tasks) != 1 ||
		status.Tasks[0].State != "FAILED" || status.Tasks[0].Trace == "" {
		t.Errorf("GET /connectors/strict/status: %d %+v", code, status)
	}
	for _, r := range p.received() {
		if r.offset >= 2 {
			t.Errorf("record at offset %d was delivered although the task failed at offset 2", r.offset)
		}
	}
	if got := groupOffsets(t, c.addr, "connect-strict", "events"); got[0] > 2 {
		t.Errorf("committed offset %d is past the record that failed", got[0])
	}

	// Skip the bad record: stop, move the offset to 3, resume.
	if err := w.SetTargetState(ctxT(t), "strict", runtime.TargetStopped); err != nil {
		t.Fatal(err)
	}
	waitStates(t, w, "strict", "STOPPED")
	msg, err := w.AlterConnectorOffsets(ctxT(t), "strict", runtime.ConnectorOffsets{Offsets: []runtime.PartitionOffset{{
		Partition: map[string]any{"kafka_topic": "events", "kafka_partition": 0},
		Offset:    map[string]any{"kafka_offset": 3},
	}}})
	if err != nil || msg != runtime.AlteredOffsetsMessage {
		t.Fatalf("alter offsets: %q, %v", msg, err)
	}
	if got := groupOffsets(t, c.addr, "connect-strict", "events"); got[0] != 3 {
		t.Errorf("committed offset after PATCH: %v, want 3", got)
	}
	if err := w.SetTargetState(ctxT(t), "strict", runtime.TargetStarted); err != nil {
		t.Fatal(err)
	}
	waitStates(t, w, "strict", "RUNNING RUNNING")
	eventually(t, "the record after the bad one", func() error {
		for _, r := range p.received() {
			if r.offset == 3 {
				return nil
			}
		}
		return fmt.Errorf("received %v", p.received())
	})
	for _, r := range p.received() {
		if r.offset == 2 {
			t.Errorf("the unreadable record was delivered: %+v", r)
		}
	}
}

// TestWorkerSinkDeadLetterQueue runs a sink with errors.tolerance=all and a
// dead letter queue: unreadable records go to the queue with the
// __connect.errors.* context headers and are logged, the others are
// delivered, the task stays RUNNING and its offsets move past them all.
func TestWorkerSinkDeadLetterQueue(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	createTopic(t, c.addr, "mixed", 2)
	var recs []*kgo.Record
	bad := map[string]bool{}
	for i := range 20 {
		r := &kgo.Record{Topic: "mixed", Partition: int32(i % 2), Key: fmt.Appendf(nil, "k-%d", i), Value: fmt.Appendf(nil, `{"n":%d}`, i),
			Headers: []kgo.RecordHeader{{Key: "origin", Value: []byte("test")}}}
		if i%3 == 0 {
			r.Value = fmt.Appendf(nil, "not json %d", i)
			bad[string(r.Value)] = true
		}
		recs = append(recs, r)
	}
	produce(t, c.addr, recs...)
	w := c.startWorker(t)
	p, id := newSinkProbe(t)
	createConnector(t, w, "tolerant", map[string]string{"connector.class": probeSinkClass, "probe": id, "topics": "mixed",
		"key.converter": stringConverter, "value.converter.schemas.enable": "false",
		"errors.tolerance": "all", "errors.log.enable": "true",
		"errors.deadletterqueue.topic.name":               "mixed-dlq",
		"errors.deadletterqueue.topic.replication.factor": "1",
		"errors.deadletterqueue.context.headers.enable":   "true",
	})
	good := p.waitRecords(t, 20-len(bad))
	for _, r := range good {
		if v, ok := r.value.(map[string]any); !ok || v["n"].(int64)%3 == 0 {
			t.Errorf("delivered %+v", r)
		}
	}
	eventually(t, "the offsets to move past every record", func() error {
		if got, want := groupOffsets(t, c.addr, "connect-tolerant", "mixed"), map[int32]int64{0: 10, 1: 10}; !maps.Equal(got, want) {
			return fmt.Errorf("committed %v, want %v", got, want)
		}
		return nil
	})

	var dlq []*kgo.Record
	eventually(t, "the bad records in the dead letter queue", func() error {
		if dlq = readTopic(t, c.addr, "mixed-dlq"); len(dlq) < len(bad) {
			return fmt.Errorf("%d records", len(dlq))
		}
		return nil
	})
	if len(dlq) != len(bad) {
		t.Errorf("the dead letter queue holds %d records, want %d", len(dlq), len(bad))
	}
	for _, r := range dlq {
		if !bad[string(r.Value)] {
			t.Errorf("dead letter queue record %q is not one of the bad ones", r.Value)
			continue
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(string(r.Value), "not json "))
		if string(r.Key) != fmt.Sprintf("k-%d", n) {
			t.Errorf("dead letter queue record %d: key %q, want the original", n, r.Key)
		}
		h := map[string]string{}
		for _, kv := range r.Headers {
			h[kv.Key] = string(kv.Value)
		}
		for k, want := range map[string]string{
			"origin":                      "test",
			tolerance.HeaderTopic:         "mixed",
			tolerance.HeaderPartition:     strconv.Itoa(n % 2),
			tolerance.HeaderOffset:        strconv.Itoa(n / 2),
			tolerance.HeaderConnectorName: "tolerant",
			tolerance.HeaderTaskID:        "0",
			tolerance.HeaderStage:         "VALUE_CONVERTER",
		} {
			if h[k] != want {
				t.Errorf("dead letter queue record %d: header %s = %q, want %q", n, k, h[k], want)
			}
		}
		// Kafka Connect names the converter's class here; Conflux names
		// the Go type (the pipeline passes the converter, not its class).
		for _, k := range []string{tolerance.HeaderClassName, tolerance.HeaderExceptionClassName, tolerance.HeaderExceptionMessage, tolerance.HeaderExceptionTrace} {
			if h[k] == "" {
				t.Errorf("dead letter queue record %d: header %s is missing", n, k)
			}
		}
	}
	waitStates(t, w, "tolerant", "RUNNING RUNNING")
	logs := c.logs.String()
	if missing := missingFrom(logs, "Error encountered in task tolerant-0. Executing stage 'VALUE_CONVERTER'",
		"where consumed record is {topic='mixed'"); len(missing) > 0 {
		t.Errorf("errors.log.enable: the logs lack %q", missing)
	}
	if strings.Contains(logs, "not json") {
		t.Error("the logs show record values although errors.log.include.messages is false")
	}
	if got := counterValue(t, w.metrics, "conflux_task_records_skipped_total", "tolerant", "0"); got != float64(len(bad)) {
		t.Errorf("conflux_task_records_skipped_total = %v, want %d", got, len(bad))
	}
	if got := counterValue(t, w.metrics, "conflux_deadletterqueue_produce_requests_total", "tolerant", "0"); got != float64(len(bad)) {
		t.Errorf("conflux_deadletterqueue_produce_requests_total = %v, want %d", got, len(bad))
	}
}

// TestWorkerSinkRestartFailedTask fails a sink task in Put; after the
// destination recovers, RestartConnector with includeTasks and onlyFailed
// restarts just the task, which resumes from the committed offsets.
func TestWorkerSinkRestartFailedTask(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	createTopic(t, c.addr, "orders", 1)
	produce(t, c.addr, jsonRecords("orders", 0, 10, 1)...)
	w := c.startWorker(t)
	p, id := newSinkProbe(t)
	createConnector(t, w, "orders", map[string]string{"connector.class": probeSinkClass, "probe": id, "topics": "orders",
		"key.converter": stringConverter, "value.converter.schemas.enable": "false"})
	p.waitRecords(t, 10)
	eventually(t, "offset 10 committed", func() error {
		if got := groupOffsets(t, c.addr, "connect-orders", "orders"); got[0] != 10 {
			return fmt.Errorf("committed %v", got)
		}
		return nil
	})

	p.failPut.Store(true)
	produce(t, c.addr, jsonRecords("orders", 10, 10, 1)...)
	st := waitStates(t, w, "orders", "RUNNING FAILED")
	if !strings.Contains(st.Tasks[0].Trace, "the destination refuses writes") {
		t.Errorf("trace %q does not give the cause", st.Tasks[0].Trace)
	}
	if got := groupOffsets(t, c.addr, "connect-orders", "orders"); got[0] != 10 {
		t.Errorf("committed %v after the failed put, want 10", got)
	}

	p.failPut.Store(false)
	plan, err := w.RestartConnector(ctxT(t), "orders", true, true)
	if err != nil {
		t.Fatal(err)
	}
	if plan == nil || states(*plan) != "RUNNING RESTARTING" {
		t.Errorf("restart plan %+v, want the connector left RUNNING and the task RESTARTING", plan)
	}
	waitStates(t, w, "orders", "RUNNING RUNNING")
	recs := p.waitRecords(t, 20)
	checkPerPartitionOrder(t, recs, nil)
	if len(recs) != 20 {
		t.Errorf("%d records delivered, want 20: the restarted task should resume at offset 10", len(recs))
	}
	eventually(t, "offset 20 committed", func() error {
		if got := groupOffsets(t, c.addr, "connect-orders", "orders"); got[0] != 20 {
			return fmt.Errorf("committed %v", got)
		}
		return nil
	})
}
