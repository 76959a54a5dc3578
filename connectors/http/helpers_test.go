package http

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	nethttp "net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"conflux/connectors"
)

// taskContext stands in for the runtime's SinkTaskContext; its reporter
// keeps what is reported, as the runtime's hands it to the dead letter
// queue.
type taskContext struct {
	reporter *reporter // nil: the runtime gives none
}

func (c *taskContext) Config() map[string]string                        { return nil }
func (c *taskContext) Assignment() []connectors.TopicPartition          { return nil }
func (c *taskContext) ResetOffsets(map[connectors.TopicPartition]int64) {}
func (c *taskContext) Pause(...connectors.TopicPartition)               {}
func (c *taskContext) Resume(...connectors.TopicPartition)              {}
func (c *taskContext) RequestCommit()                                   {}
func (c *taskContext) ErrantRecordReporter() connectors.ErrantRecordReporter {
	if c.reporter == nil {
		return nil
	}
	return c.reporter
}

type reported struct {
	rec *connectors.Record
	err error
}

type reporter struct {
	mu   sync.Mutex
	recs []reported
}

func (r *reporter) Report(_ context.Context, rec *connectors.Record, err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, reported{rec, err})
	return nil
}

func (r *reporter) all() []reported {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]reported(nil), r.recs...)
}

// endpoint is an httptest server that keeps the records of the requests
// it accepts, per partition, in arrival order. fail, if set, decides an
// answer before the records are kept: a status other than 0 is sent
// instead of 200.
type endpoint struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests int
	got      map[int][]int // partition → record numbers
	fail     func(n int, r *nethttp.Request, recs []testValue) (status int, header map[string]string)
}

type testValue struct {
	P   int  `json:"p"`
	N   int  `json:"n"`
	Bad bool `json:"bad,omitempty"`
}

func newEndpoint(t *testing.T) *endpoint {
	e := &endpoint{got: make(map[int][]int)}
	e.srv = httptest.NewServer(nethttp.HandlerFunc(e.serve))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) serve(w nethttp.ResponseWriter, r *nethttp.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var recs []testValue
	if err := json.Unmarshal(data, &recs); err != nil {
		var one testValue
		if err := json.Unmarshal(data, &one); err != nil {
			nethttp.Error(w, "bad body: "+err.Error(), 400)
			return
		}
		recs = []testValue{one}
	}
	e.mu.Lock()
	e.requests++
	n, fail := e.requests, e.fail
	e.mu.Unlock()
	if fail != nil {
		if status, header := fail(n, r, recs); status != 0 {
			for k, v := range header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(status)
			fmt.Fprintf(w, "failure %d", status)
			return
		}
	}
	e.mu.Lock()
	for _, v := range recs {
		e.got[v.P] = append(e.got[v.P], v.N)
	}
	e.mu.Unlock()
}

func (e *endpoint) received() map[int][]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[int][]int, len(e.got))
	for p, ns := range e.got {
		out[p] = append([]int(nil), ns...)
	}
	return out
}

func (e *endpoint) requestCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests
}

// startSink starts a task sending to url, config over test defaults.
func startSink(t testing.TB, tctx connectors.SinkTaskContext, url string, config map[string]string) *SinkTask {
	t.Helper()
	cfg := map[string]string{KeyURL: url, KeyRetryBackoff: "5", KeyRetryBackoffMax: "50"}
	maps.Copy(cfg, config)
	task := &SinkTask{}
	if err := task.Start(context.Background(), tctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { task.Stop() })
	return task
}

// records returns n records per partition, interleaved, numbered from
// first.
func records(partitions, first, n int) []*connectors.Record {
	var out []*connectors.Record
	for i := first; i < first+n; i++ {
		for p := range partitions {
			out = append(out, &connectors.Record{Topic: "events", KafkaPartition: connectors.Partition(int32(p)),
				KafkaOffset: int64(i), Key: fmt.Sprintf("k%d", i), Value: map[string]any{"p": int64(p), "n": int64(i)}})
		}
	}
	return out
}

// byPartition splits records per partition, as the runtime's Put batches
// come.
func byPartition(recs []*connectors.Record) map[int32][]*connectors.Record {
	out := map[int32][]*connectors.Record{}
	for _, r := range recs {
		out[*r.KafkaPartition] = append(out[*r.KafkaPartition], r)
	}
	return out
}

// putAll puts records in batches of up to size records of one partition.
func putAll(t testing.TB, task *SinkTask, recs []*connectors.Record, size int) {
	t.Helper()
	parts := byPartition(recs)
	for len(parts) > 0 {
		for p, rs := range parts {
			k := min(size, len(rs))
			if err := task.Put(context.Background(), rs[:k]); err != nil {
				t.Fatal(err)
			}
			if parts[p] = rs[k:]; len(parts[p]) == 0 {
				delete(parts, p)
			}
		}
	}
}

// waitCommittable runs PreCommit until every partition may be committed
// up to want, as the runtime would every offset.flush.interval.ms.
func waitCommittable(t testing.TB, task *SinkTask, want map[connectors.TopicPartition]int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		safe, err := task.PreCommit(context.Background(), want)
		if err != nil {
			t.Fatal(err)
		}
		if maps.Equal(safe, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("committable offsets %v, want %v", safe, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func upTo(partitions int, off int64) map[connectors.TopicPartition]int64 {
	out := map[connectors.TopicPartition]int64{}
	for p := range partitions {
		out[connectors.TopicPartition{Topic: "events", Partition: int32(p)}] = off
	}
	return out
}
