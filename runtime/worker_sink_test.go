package runtime_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"conflux/connectors"
)

// jsonRecords makes n records for partitions 0..parts-1 in turn, with keys
// k-<i>, JSON values {"n":<i>} and a header h=v-<i>.
func jsonRecords(topic string, from, n int, parts int32) []*kgo.Record {
	out := make([]*kgo.Record, 0, n)
	for i := from; i < from+n; i++ {
		out = append(out, &kgo.Record{Topic: topic, Partition: int32(i) % parts, Key: fmt.Appendf(nil, "k-%d", i),
			Value: fmt.Appendf(nil, `{"n":%d}`, i), Headers: []kgo.RecordHeader{{Key: "h", Value: fmt.Appendf(nil, "v-%d", i)}}})
	}
	return out
}

// checkPerPartitionOrder checks each partition's records came in offset
// order without gaps, starting at from[partition] (0 if absent).
func checkPerPartitionOrder(t *testing.T, recs []gotRecord, from map[int32]int64) {
	t.Helper()
	next := maps.Clone(from)
	if next == nil {
		next = map[int32]int64{}
	}
	for _, r := range recs {
		if r.offset != next[r.partition] {
			t.Errorf("%s-%d: record at offset %d, want %d", r.topic, r.partition, r.offset, next[r.partition])
		}
		next[r.partition] = r.offset + 1
	}
}

// TestWorkerSinkDelivery consumes a topic through a sink connector: the
// records reach Put converted, in order within each partition; the group
// connect-<name> commits what PreCommit allows; after the worker restarts,
// consumption resumes from the committed offsets, so only records past the
// last commit come twice.
func TestWorkerSinkDelivery(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	createTopic(t, c.addr, "in", 3)
	const first = 60
	produce(t, c.addr, jsonRecords("in", 0, first, 3)...)
	w := c.startWorker(t)

	p, id := newSinkProbe(t)
	p0 := connectors.TopicPartition{Topic: "in", Partition: 0}
	p.mu.Lock()
	p.holdBack[p0] = 5 // the task has written partition 0 only up to offset 5
	p.mu.Unlock()
	createConnector(t, w, "sink", map[string]string{"connector.class": probeSinkClass, "probe": id, "topics": "in",
		"key.converter": stringConverter, "value.converter.schemas.enable": "false"})
	waitStates(t, w, "sink", "RUNNING RUNNING")

	recs := p.waitRecords(t, first)
	checkPerPartitionOrder(t, recs, nil)
	for _, r := range recs {
		v, ok := r.value.(map[string]any)
		if !ok {
			t.Fatalf("value %#v is a %T, want a schemaless map", r.value, r.value)
		}
		n, _ := v["n"].(int64)
		if r.key != fmt.Sprintf("k-%d", n) || int32(n)%3 != r.partition || int64(n)/3 != r.offset {
			t.Errorf("record %s-%d@%d: key %v, value %v", r.topic, r.partition, r.offset, r.key, v)
		}
		if h, ok := r.headers.Last("h"); !ok || h.Value != fmt.Sprintf("v-%d", n) {
			t.Errorf("record %d: header h = %v, want v-%d", n, h.Value, n)
		}
	}

	// Offsets are committed as PreCommit said: everything on partitions 1
	// and 2, only up to 5 on partition 0.
	want := map[int32]int64{0: 5, 1: first / 3, 2: first / 3}
	eventually(t, "the group to commit what PreCommit allowed", func() error {
		if got := groupOffsets(t, c.addr, "connect-sink", "in"); !maps.Equal(got, want) {
			return fmt.Errorf("committed %v, want %v", got, want)
		}
		return nil
	})
	var readBytes int
	for _, r := range jsonRecords("in", 0, first, 3) {
		readBytes += len(r.Key) + len(r.Value)
	}
	eventually(t, "sink metrics", func() error {
		if got := counterValue(t, w.metrics, "conflux_sink_record_send_total", "sink", "0"); got != first {
			return fmt.Errorf("conflux_sink_record_send_total{connector=\"sink\",task=\"0\"} = %v, want %d", got, first)
		}
		if got := counterValue(t, w.metrics, "conflux_sink_record_read_total", "sink", "0"); got != first {
			return fmt.Errorf("conflux_sink_record_read_total = %v, want %d", got, first)
		}
		if got := counterValue(t, w.metrics, "conflux_sink_record_read_bytes_total", "sink", "0"); got != float64(readBytes) {
			return fmt.Errorf("conflux_sink_record_read_bytes_total = %v, want %d (keys and values)", got, readBytes)
		}
		return nil
	})

	// Stop the worker; the last commit on the way out still follows
	// PreCommit.
	w.stop(t)
	if got := groupOffsets(t, c.addr, "connect-sink", "in"); !maps.Equal(got, want) {
		t.Errorf("committed at shutdown %v, want %v", got, want)
	}
	before := len(p.received())
	p.mu.Lock()
	delete(p.holdBack, p0)
	p.mu.Unlock()
	const more = 30
	produce(t, c.addr, jsonRecords("in", first, more, 3)...)

	w2 := c.startWorker(t)
	// Partition 0 comes again from offset 5: 15 duplicates, no loss.
	recs = p.waitRecords(t, before+15+more)
	again := recs[before:]
	checkPerPartitionOrder(t, again, map[int32]int64{0: 5, 1: first / 3, 2: first / 3})
	if len(again) != 15+more {
		t.Errorf("after the restart the sink received %d records, want %d", len(again), 15+more)
	}
	end := map[int32]int64{0: (first + more) / 3, 1: (first + more) / 3, 2: (first + more) / 3}
	eventually(t, "the group to commit everything", func() error {
		if got := groupOffsets(t, c.addr, "connect-sink", "in"); !maps.Equal(got, end) {
			return fmt.Errorf("committed %v, want %v", got, end)
		}
		return nil
	})
	if got := endOffsets(t, c.addr, "in"); !maps.Equal(got, end) {
		t.Errorf("end offsets %v, want %v", got, end)
	}
	waitStates(t, w2, "sink", "RUNNING RUNNING")
}

// TestWorkerSinkRecordsLargerThanTheFetchSize sends records of 600 KB,
// more than the 256 KiB a sink task fetches from a partition at a time:
// each arrives whole and in order.
func TestWorkerSinkRecordsLargerThanTheFetchSize(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	createTopic(t, c.addr, "big", 1)
	const n, size = 4, 600_000
	values := make([]string, n)
	var recs []*kgo.Record
	raw := make([]byte, size*3/4)
	for i := range values {
		rand.Read(raw)
		values[i] = base64.StdEncoding.EncodeToString(raw) // incompressible, printable
		recs = append(recs, &kgo.Record{Topic: "big", Key: fmt.Appendf(nil, "k-%d", i), Value: []byte(values[i])})
	}
	produce(t, c.addr, recs...)
	w := c.startWorker(t)
	p, id := newSinkProbe(t)
	createConnector(t, w, "bigsink", map[string]string{"connector.class": probeSinkClass, "probe": id, "topics": "big",
		"key.converter": stringConverter, "value.converter": stringConverter})
	got := p.waitRecords(t, n)
	checkPerPartitionOrder(t, got, nil)
	for i, r := range got {
		if v, _ := r.value.(string); v != values[i] {
			t.Errorf("record %d: value of %d bytes, want the %d bytes produced", i, len(v), len(values[i]))
		}
	}
}
