package runtime_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kgo"

	"conflux/connectors"
	"conflux/internal/kafkalog"
	"conflux/runtime"
)

var orderSchema = connectors.StructSchema().Name("order").
	Field("id", connectors.Int64Schema).
	Field("name", connectors.StringSchema).MustBuild()

func orderRecord(topic string, seq int64) *connectors.Record {
	rec := &connectors.Record{Topic: topic, KeySchema: connectors.StringSchema, Key: fmt.Sprintf("key-%d", seq%10),
		ValueSchema: orderSchema, Value: connectors.NewStruct(orderSchema).Put("id", seq).Put("name", fmt.Sprintf("value-%d", seq))}
	rec.Headers.Add("trace", fmt.Sprintf("t-%d", seq), connectors.StringSchema)
	return rec
}

// TestWorkerSourceRecords runs source connectors with different converter
// settings and partitioning and checks, with an independent client, what
// landed in Kafka.
func TestWorkerSourceRecords(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	const total = 40
	for _, topic := range []string{"envelope", "plain", "text", "pinned"} {
		createTopic(t, c.addr, topic, 3)
	}
	w := c.startWorker(t)

	// Worker converters (JsonConverter, schemas.enable=true) for values,
	// StringConverter for keys so that key bytes are the key's text.
	envelope, envelopeID := newSourceProbe(t, "envelope", total)
	envelope.gen = func(seq int64) *connectors.Record { return orderRecord("envelope", seq) }
	createConnector(t, w, "envelope", map[string]string{"connector.class": probeSourceClass, "probe": envelopeID,
		"key.converter": stringConverter})

	// The worker's JsonConverter with schemas.enable turned off for this
	// connector's values only; keys keep the worker's envelope.
	plain, plainID := newSourceProbe(t, "plain", total)
	plain.gen = func(seq int64) *connectors.Record { return orderRecord("plain", seq) }
	createConnector(t, w, "plain", map[string]string{"connector.class": probeSourceClass, "probe": plainID,
		"value.converter.schemas.enable": "false"})

	// StringConverter values, no keys: keyless records stick to one
	// partition.
	text, textID := newSourceProbe(t, "text", total)
	text.gen = func(seq int64) *connectors.Record {
		return &connectors.Record{Topic: "text", ValueSchema: connectors.StringSchema, Value: fmt.Sprintf("value-%d", seq)}
	}
	createConnector(t, w, "text", map[string]string{"connector.class": probeSourceClass, "probe": textID,
		"value.converter": stringConverter})

	// An explicit partition beats the key.
	pinned, pinnedID := newSourceProbe(t, "pinned", total)
	pinned.gen = func(seq int64) *connectors.Record {
		rec := orderRecord("pinned", seq)
		rec.KafkaPartition = connectors.Partition(int32(seq % 3))
		return rec
	}
	createConnector(t, w, "pinned", map[string]string{"connector.class": probeSourceClass, "probe": pinnedID,
		"key.converter": stringConverter, "value.converter": stringConverter})

	for _, name := range []string{"envelope", "plain", "text", "pinned"} {
		waitStates(t, w, name, "RUNNING RUNNING")
	}
	readAll := func(topic string) []*kgo.Record {
		t.Helper()
		var recs []*kgo.Record
		eventually(t, fmt.Sprintf("%d records in %s", total, topic), func() error {
			recs = readTopic(t, c.addr, topic)
			if len(recs) < total {
				return fmt.Errorf("%d records", len(recs))
			}
			return nil
		})
		if len(recs) != total {
			t.Errorf("%s holds %d records, want exactly %d", topic, len(recs), total)
		}
		return recs
	}
	// Each partition must hold its records in the order polled.
	checkOrder := func(topic string, recs []*kgo.Record) {
		t.Helper()
		last := map[int32]int64{}
		seen := map[int64]bool{}
		for _, r := range recs {
			seq := seqOf(t, r.Value)
			if prev, ok := last[r.Partition]; ok && seq <= prev {
				t.Errorf("%s-%d: record %d after %d", topic, r.Partition, seq, prev)
			}
			last[r.Partition] = seq
			if seen[seq] {
				t.Errorf("%s: record %d written twice", topic, seq)
			}
			seen[seq] = true
		}
	}

	recs := readAll("envelope")
	checkOrder("envelope", recs)
	for _, r := range recs {
		seq := seqOf(t, r.Value)
		if want := fmt.Sprintf("key-%d", seq%10); string(r.Key) != want {
			t.Errorf("envelope record %d: key %q, want %q", seq, r.Key, want)
		}
		if want := kafkalog.PartitionFor(r.Key, 3); r.Partition != want {
			t.Errorf("envelope key %s on partition %d; Kafka's Java producer would use %d", r.Key, r.Partition, want)
		}
		want := fmt.Sprintf(`{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},`+
			`{"type":"string","optional":false,"field":"name"}],"optional":false,"name":"order"},"payload":{"id":%d,"name":"value-%d"}}`, seq, seq)
		if string(r.Value) != want {
			t.Errorf("envelope record %d:\n got %s\nwant %s", seq, r.Value, want)
		}
		if len(r.Headers) != 1 || r.Headers[0].Key != "trace" || string(r.Headers[0].Value) != fmt.Sprintf("t-%d", seq) {
			t.Errorf("envelope record %d: headers %v, want trace=t-%d", seq, r.Headers, seq)
		}
	}

	recs = readAll("plain")
	checkOrder("plain", recs)
	for _, r := range recs {
		seq := seqOf(t, r.Value)
		if want := fmt.Sprintf(`{"id":%d,"name":"value-%d"}`, seq, seq); string(r.Value) != want {
			t.Errorf("plain record %d: value %s, want %s", seq, r.Value, want)
		}
		if want := fmt.Sprintf(`{"schema":{"type":"string","optional":false},"payload":"key-%d"}`, seq%10); string(r.Key) != want {
			t.Errorf("plain record %d: key %s, want the worker's envelope %s", seq, r.Key, want)
		}
		if want := kafkalog.PartitionFor(r.Key, 3); r.Partition != want {
			t.Errorf("plain key %s on partition %d, want %d (murmur2 of the converted key)", r.Key, r.Partition, want)
		}
	}

	recs = readAll("text")
	checkOrder("text", recs)
	partitions := map[int32]int{}
	textBytes := 0
	for _, r := range recs {
		partitions[r.Partition]++
		textBytes += len(r.Value)
		if r.Key != nil {
			t.Errorf("text record has key %q, want none", r.Key)
		}
		if want := fmt.Sprintf("value-%d", seqOf(t, r.Value)); string(r.Value) != want {
			t.Errorf("text record: value %q, want the bare string %q", r.Value, want)
		}
	}
	if len(partitions) != 1 {
		t.Errorf("keyless records spread over partitions %v; %d records should stick to one", partitions, total)
	}

	recs = readAll("pinned")
	checkOrder("pinned", recs)
	for _, r := range recs {
		seq := seqOf(t, r.Value)
		if r.Partition != int32(seq%3) {
			t.Errorf("pinned record %d on partition %d, want its explicit partition %d", seq, r.Partition, seq%3)
		}
		if want := fmt.Sprintf("Struct{id=%d,name=value-%d}", seq, seq); string(r.Value) != want {
			t.Errorf("pinned record %d: StringConverter value %q, want %q", seq, r.Value, want)
		}
	}

	// Every record acknowledged is counted, per connector and task.
	eventually(t, "source metrics", func() error {
		for _, name := range []string{"envelope", "plain", "text", "pinned"} {
			if got := counterValue(t, w.metrics, "conflux_source_record_write_total", name, "0"); got != total {
				return fmt.Errorf("conflux_source_record_write_total{connector=%q,task=\"0\"} = %v, want %d", name, got, total)
			}
			if got := counterValue(t, w.metrics, "conflux_source_record_poll_total", name, "0"); got != total {
				return fmt.Errorf("conflux_source_record_poll_total{connector=%q,task=\"0\"} = %v, want %d", name, got, total)
			}
		}
		if got := counterValue(t, w.metrics, "conflux_source_record_write_bytes_total", "text", "0"); got != float64(textBytes) {
			return fmt.Errorf("conflux_source_record_write_bytes_total{connector=\"text\"} = %v, want %d, the values' bytes", got, textBytes)
		}
		return nil
	})

	// The topics a connector wrote to are tracked.
	eventually(t, "topic tracking", func() error {
		topics, err := w.ConnectorTopics(ctxT(t), "envelope")
		if err != nil || !slices.Equal(topics, []string{"envelope"}) {
			return fmt.Errorf("topics %v, %v", topics, err)
		}
		return nil
	})
}

// counterValue reads a counter of the worker's Prometheus registry by its
// connector and task labels; -1 when absent.
func counterValue(t *testing.T, reg interface {
	Gather() ([]*dto.MetricFamily, error)
}, name, connector, task string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["connector"] == connector && labels["task"] == task {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

// TestWorkerSourceOffsetsOnlyForAcknowledgedRecords makes Kafka refuse one
// record (larger than the connector's producer.override.max.request.size):
// the task fails, and the committed offset is the last record before it,
// since nothing after an unacknowledged record may be committed.
func TestWorkerSourceOffsetsOnlyForAcknowledgedRecords(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	createTopic(t, c.addr, "acks", 1)
	w := c.startWorker(t)
	const bad = 25
	p, id := newSourceProbe(t, "acks", 60)
	p.gen = func(seq int64) *connectors.Record {
		v := fmt.Sprintf("value-%d", seq)
		if seq == bad {
			v += string(make([]byte, 4096))
		}
		return &connectors.Record{Topic: "acks", ValueSchema: connectors.StringSchema, Value: v}
	}
	createConnector(t, w, "acks", map[string]string{"connector.class": probeSourceClass, "probe": id,
		"value.converter": stringConverter, "producer.override.max.request.size": "1024"})
	st := waitStates(t, w, "acks", "RUNNING FAILED")
	if st.Tasks[0].Trace == "" {
		t.Error("the failed task has no trace")
	}
	offs, err := w.ConnectorOffsets(ctxT(t), "acks")
	if err != nil {
		t.Fatal(err)
	}
	want := runtime.ConnectorOffsets{Offsets: []runtime.PartitionOffset{{Partition: sourcePartition, Offset: map[string]any{"seq": int64(bad - 1)}}}}
	if fmt.Sprint(offs) != fmt.Sprint(want) {
		t.Errorf("committed offsets %v, want %v: the offset of the refused record or later ones was committed", offs, want)
	}
	// Records after the refused one may have been written (they were in
	// flight); they come again when the task restarts from the committed
	// offset, which at-least-once allows.
	recs := readTopic(t, c.addr, "acks")
	if len(recs) < bad {
		t.Fatalf("%d records in the topic, want the %d before the refused one at least", len(recs), bad)
	}
	for i, r := range recs {
		seq := seqOf(t, r.Value)
		if i < bad && seq != int64(i) || seq == bad {
			t.Fatalf("record %d in the topic is number %d", i, seq)
		}
	}
}

// checkSeqs checks a topic holds records 0..n-1 exactly once, in order.
func checkSeqs(t *testing.T, recs []*kgo.Record, n int) {
	t.Helper()
	if len(recs) != n {
		t.Errorf("%d records, want %d", len(recs), n)
	}
	for i, r := range recs {
		if seq := seqOf(t, r.Value); seq != int64(i) {
			t.Fatalf("record %d is number %d: lost or duplicated records", i, seq)
		}
	}
}

// TestWorkerSourceResumesAfterRestart stops the worker once offsets are
// committed; the task of the next worker starts from the committed offset
// and the topic ends up with every record exactly once.
func TestWorkerSourceResumesAfterRestart(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	createTopic(t, c.addr, "resume", 1)
	w := c.startWorker(t)
	p, id := newSourceProbe(t, "resume", 30)
	createConnector(t, w, "resume", map[string]string{"connector.class": probeSourceClass, "probe": id,
		"value.converter": stringConverter})
	waitStates(t, w, "resume", "RUNNING RUNNING")
	committed := func(h interface {
		ConnectorOffsets(ctx context.Context, name string) (runtime.ConnectorOffsets, error)
	}, seq int64) func() error {
		return func() error {
			offs, err := h.ConnectorOffsets(ctxT(t), "resume")
			if err != nil {
				return err
			}
			if len(offs.Offsets) != 1 || offs.Offsets[0].Offset["seq"] != seq {
				return fmt.Errorf("offsets %v, want seq %d", offs.Offsets, seq)
			}
			return nil
		}
	}
	eventually(t, "offset 29 to be committed", committed(w, 29))
	w.stop(t)

	p.total.Store(50)
	w2 := c.startWorker(t)
	waitStates(t, w2, "resume", "RUNNING RUNNING")
	eventually(t, "offset 49 to be committed", committed(w2, 49))
	starts := p.startsSeen()
	if len(starts) != 2 || starts[0].offset != nil || fmt.Sprint(starts[1].offset) != "map[seq:29]" {
		t.Errorf("task starts saw offsets %v; want none, then seq 29", starts)
	}
	checkSeqs(t, readTopic(t, c.addr, "resume"), 50)
}

// TestWorkerSourceRestartFailedTask fails a source task's Poll: the task
// is FAILED with the error in its trace, stays so, and RestartTask starts
// it again from the committed offset.
func TestWorkerSourceRestartFailedTask(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	createTopic(t, c.addr, "flaky", 1)
	w := c.startWorker(t)
	p, id := newSourceProbe(t, "flaky", 70)
	p.failAt.Store(20)
	createConnector(t, w, "flaky", map[string]string{"connector.class": probeSourceClass, "probe": id,
		"value.converter": stringConverter})
	st := waitStates(t, w, "flaky", "RUNNING FAILED")
	if tr := st.Tasks[0].Trace; !strings.Contains(tr, "probe source cannot read record 20") {
		t.Errorf("trace %q does not say why the task failed", tr)
	}
	offs, err := w.ConnectorOffsets(ctxT(t), "flaky")
	if err != nil || len(offs.Offsets) != 1 || offs.Offsets[0].Offset["seq"] != int64(19) {
		t.Fatalf("offsets of the failed task: %v, %v; want seq 19", offs, err)
	}

	p.failAt.Store(-1)
	if err := w.RestartTask(ctxT(t), "flaky", 0); err != nil {
		t.Fatal(err)
	}
	waitStates(t, w, "flaky", "RUNNING RUNNING")
	eventually(t, "all records", func() error {
		if n := len(readTopic(t, c.addr, "flaky")); n < 70 {
			return fmt.Errorf("%d records", n)
		}
		return nil
	})
	checkSeqs(t, readTopic(t, c.addr, "flaky"), 70)
	if starts := p.startsSeen(); len(starts) != 2 || fmt.Sprint(starts[1].offset) != "map[seq:19]" {
		t.Errorf("task starts saw offsets %v; the restarted task should resume after seq 19", starts)
	}
}

// TestWorkerSourceReusesRecordMemory sends enough JsonConverter records
// that the memory of acknowledged ones is reused many times over (see
// recordPipeline.wire), some of them larger than a chunk, and checks with
// an independent client that every record arrived exactly as converted:
// memory handed back too early would show as one record's bytes inside
// another.
func TestWorkerSourceReusesRecordMemory(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	const total = 20_000
	createTopic(t, c.addr, "reused", 3)
	w := c.startWorker(t)
	name := func(seq int64) string {
		size := 500
		if seq%1000 == 0 {
			size = 100_000 // larger than a chunk of the arena
		}
		return fmt.Sprintf("value-%d-%s", seq, strings.Repeat(string(rune('a'+seq%26)), size))
	}
	probe, id := newSourceProbe(t, "reused", total)
	probe.gen = func(seq int64) *connectors.Record {
		return &connectors.Record{Topic: "reused", KeySchema: connectors.StringSchema, Key: fmt.Sprintf("key-%d", seq%10),
			ValueSchema: orderSchema, Value: connectors.NewStruct(orderSchema).Put("id", seq).Put("name", name(seq))}
	}
	createConnector(t, w, "reused", map[string]string{"connector.class": probeSourceClass, "probe": id,
		"value.converter.schemas.enable": "false"})
	var recs []*kgo.Record
	eventually(t, fmt.Sprintf("%d records", total), func() error {
		recs = readTopic(t, c.addr, "reused")
		if len(recs) < total {
			return fmt.Errorf("%d records", len(recs))
		}
		return nil
	})
	seen := map[int64]bool{}
	for _, r := range recs {
		seq := seqOf(t, r.Value)
		if want := fmt.Sprintf(`{"id":%d,"name":%q}`, seq, name(seq)); string(r.Value) != want {
			t.Fatalf("record %d arrived changed:\n got %.200s…\nwant %.200s…", seq, r.Value, want)
		}
		if want := fmt.Sprintf(`{"schema":{"type":"string","optional":false},"payload":"key-%d"}`, seq%10); string(r.Key) != want {
			t.Fatalf("record %d: key %s, want %s", seq, r.Key, want)
		}
		seen[seq] = true
	}
	if len(seen) != total || len(recs) != total {
		t.Fatalf("%d records, %d distinct, want %d", len(recs), len(seen), total)
	}
}
