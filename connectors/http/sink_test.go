package http

import (
	"context"
	"errors"
	"math/rand/v2"
	nethttp "net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"conflux/connectors"
)

// checkInOrder fails unless each of partitions received 0..n-1 once, in
// order.
func checkInOrder(t *testing.T, got map[int][]int, partitions, n int) {
	t.Helper()
	for p := range partitions {
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		if !slices.Equal(got[p], want) {
			t.Errorf("partition %d received %d records, not 0..%d in order (first: %v)", p, len(got[p]), n-1, got[p][:min(10, len(got[p]))])
		}
	}
}

// TestOrderPerPartitionThroughFailures sends four partitions in parallel
// to an endpoint that fails a fifth of the requests with 500 or 502: every record arrives, once and in order within
// its partition, and offsets become committable only once they have.
func TestOrderPerPartitionThroughFailures(t *testing.T) {
	e := newEndpoint(t)
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	e.fail = func(int, *nethttp.Request, []testValue) (int, map[string]string) {
		mu.Lock()
		defer mu.Unlock()
		switch x := rng.IntN(10); {
		case x == 0:
			return 500, nil
		case x == 1:
			return 502, nil
		}
		return 0, nil
	}
	task := startSink(t, &taskContext{}, e.srv.URL, map[string]string{KeyBatchMaxRecords: "50", KeyMaxInFlight: "4", KeyMaxRetries: "-1"})
	const partitions, n = 4, 2000
	putAll(t, task, records(partitions, 0, n), 120)
	waitCommittable(t, task, upTo(partitions, n))
	checkInOrder(t, e.received(), partitions, n)
}

// TestDroppedConnections closes some connections without an answer: the
// requests are retried as network errors.
func TestDroppedConnections(t *testing.T) {
	e := newEndpoint(t)
	var mu sync.Mutex
	dropped := 0
	inner := e.srv.Config.Handler
	e.srv.Config.Handler = nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		mu.Lock()
		drop := dropped < 5
		dropped++
		mu.Unlock()
		if drop {
			conn, _, err := w.(nethttp.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		inner.ServeHTTP(w, r)
	})
	task := startSink(t, &taskContext{}, e.srv.URL, map[string]string{KeyBatchMaxRecords: "10", KeyMaxInFlight: "2"})
	putAll(t, task, records(2, 0, 100), 100)
	waitCommittable(t, task, upTo(2, 100))
	checkInOrder(t, e.received(), 2, 100)
}

// TestRetryAfterHoldsEveryRequest rate-limits for about three seconds
// with Retry-After: 1. Once the first 429 is in, the task sends one
// request per window (the probe), however many partitions wait; then
// everything arrives.
func TestRetryAfterHoldsEveryRequest(t *testing.T) {
	e := newEndpoint(t)
	var mu sync.Mutex
	var limitedSince time.Time
	var during []time.Time
	e.fail = func(int, *nethttp.Request, []testValue) (int, map[string]string) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if limitedSince.IsZero() {
			limitedSince = now
		}
		if now.Sub(limitedSince) < 2500*time.Millisecond {
			during = append(during, now)
			return 429, map[string]string{"Retry-After": "1"}
		}
		return 0, nil
	}
	const partitions, inFlight = 8, 4
	task := startSink(t, &taskContext{}, e.srv.URL, map[string]string{KeyBatchMaxRecords: "20", KeyMaxInFlight: "4", KeyMaxRetries: "-1"})
	putAll(t, task, records(partitions, 0, 100), 100)
	waitCommittable(t, task, upTo(partitions, 100))
	checkInOrder(t, e.received(), partitions, 100)
	mu.Lock()
	defer mu.Unlock()
	// The first window may see the requests already in flight; each
	// later window one probe.
	windows := map[int]int{}
	for _, at := range during {
		windows[int(at.Sub(limitedSince)/time.Second)]++
	}
	t.Logf("requests while rate-limited, per 1s window: %v", windows)
	if windows[0] > inFlight {
		t.Errorf("%d requests in the first window, want at most %d (those in flight)", windows[0], inFlight)
	}
	for w, n := range windows {
		if w > 0 && n > 1 {
			t.Errorf("%d requests in window %d, want 1", n, w)
		}
	}
}

// TestRequestTimeout answers the first request never: it times out after
// http.request.timeout.ms and is retried.
func TestRequestTimeout(t *testing.T) {
	e := newEndpoint(t)
	e.fail = func(n int, r *nethttp.Request, _ []testValue) (int, map[string]string) {
		if n == 1 {
			<-r.Context().Done() // the client gives up
			return 500, nil
		}
		return 0, nil
	}
	task := startSink(t, &taskContext{}, e.srv.URL, map[string]string{KeyRequestTimeout: "200"})
	start := time.Now()
	putAll(t, task, records(1, 0, 10), 10)
	waitCommittable(t, task, upTo(1, 10))
	checkInOrder(t, e.received(), 1, 10)
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("delivered after %v, before the timeout", d)
	}
	if n := e.requestCount(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// TestRejectedRecordsTakeTheErrorPath answers 400 to any request holding
// a bad record: the batch is resent record by record, the bad records go
// to the errant record reporter with the endpoint's answer, the others
// arrive in order, and offsets move past all of them.
func TestRejectedRecordsTakeTheErrorPath(t *testing.T) {
	e := newEndpoint(t)
	e.fail = func(_ int, _ *nethttp.Request, recs []testValue) (int, map[string]string) {
		for _, r := range recs {
			if r.Bad {
				return 400, nil
			}
		}
		return 0, nil
	}
	rep := &reporter{}
	task := startSink(t, &taskContext{reporter: rep}, e.srv.URL, map[string]string{KeyBatchMaxRecords: "25"})
	recs := records(1, 0, 100)
	for _, r := range recs {
		if r.KafkaOffset%17 == 3 {
			r.Value.(map[string]any)["bad"] = true
		}
	}
	putAll(t, task, recs, 100)
	waitCommittable(t, task, upTo(1, 100))
	var bad []int64
	for _, r := range rep.all() {
		bad = append(bad, r.rec.KafkaOffset)
		if !errors.Is(r.err, ErrRejected) || !strings.Contains(r.err.Error(), "400") {
			t.Errorf("reported error %v, want ErrRejected with the status", r.err)
		}
	}
	if !slices.Equal(bad, []int64{3, 20, 37, 54, 71, 88}) {
		t.Errorf("reported offsets %v", bad)
	}
	got := e.received()[0]
	if len(got) != 94 || !slices.IsSorted(got) {
		t.Errorf("received %d records (sorted: %v), want the 94 good ones in order", len(got), slices.IsSorted(got))
	}
}

// TestRetriesExhausted fails the task under errors.tolerance=none when
// the endpoint keeps failing, and commits nothing past the records; with
// errors.tolerance=all and a reporter the records are reported instead.
func TestRetriesExhausted(t *testing.T) {
	e := newEndpoint(t)
	e.fail = func(int, *nethttp.Request, []testValue) (int, map[string]string) { return 503, nil }
	task := startSink(t, &taskContext{}, e.srv.URL, map[string]string{KeyMaxRetries: "2"})
	if err := task.Put(context.Background(), records(1, 0, 5)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		safe, err := task.PreCommit(context.Background(), upTo(1, 5))
		if err != nil {
			if !errors.Is(err, ErrRetriesExhausted) {
				t.Errorf("PreCommit error %v, want ErrRetriesExhausted", err)
			}
			break
		}
		if safe[connectors.TopicPartition{Topic: "events", Partition: 0}] != 0 {
			t.Fatalf("offsets %v committable while the endpoint fails", safe)
		}
		if time.Now().After(deadline) {
			t.Fatal("no failure after the retries")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := task.Put(context.Background(), records(1, 5, 1)); !errors.Is(err, ErrRetriesExhausted) {
		t.Errorf("Put after the failure = %v, want it to fail the task", err)
	}
	if n := e.requestCount(); n != 3 {
		t.Errorf("%d requests, want 1 + 2 retries", n)
	}

	rep := &reporter{}
	task = startSink(t, &taskContext{reporter: rep}, e.srv.URL, map[string]string{KeyMaxRetries: "1"})
	if err := task.Put(context.Background(), records(1, 0, 5)); err != nil {
		t.Fatal(err)
	}
	waitCommittable(t, task, upTo(1, 5))
	if got := rep.all(); len(got) != 5 || !errors.Is(got[0].err, ErrRetriesExhausted) {
		t.Errorf("reported %d records (%v), want 5 with ErrRetriesExhausted", len(got), got)
	}
}

// TestNullValuesAndURLTemplate routes records by topic and key, and
// handles tombstones per behavior.on.null.values.
func TestNullValuesAndURLTemplate(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := newEndpoint(t)
	inner := srv.srv.Config.Handler
	srv.srv.Config.Handler = nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.EscapedPath())
		mu.Unlock()
		if r.Method == "DELETE" {
			return
		}
		inner.ServeHTTP(w, r)
	})
	tombstone := func(off int64, key any) *connectors.Record {
		return &connectors.Record{Topic: "events", KafkaPartition: connectors.Partition(0), KafkaOffset: off, Key: key}
	}
	for _, c := range []struct {
		behavior string
		want     []string
		reported int
	}{
		{"ignore", []string{"PUT /t/events/k/a%2Fb"}, 1},
		{"delete", []string{"PUT /t/events/k/a%2Fb", "DELETE /t/events/k/gone"}, 1},
		{"fail", []string{"PUT /t/events/k/a%2Fb"}, 2},
	} {
		t.Run(c.behavior, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			rep := &reporter{}
			task := startSink(t, &taskContext{reporter: rep}, srv.srv.URL+"/t/${topic}/k/${key}",
				map[string]string{KeyNullValues: c.behavior, KeyMethod: "put", KeyBodyFormat: formatSingle})
			recs := []*connectors.Record{
				{Topic: "events", KafkaPartition: connectors.Partition(0), KafkaOffset: 0, Key: "a/b", Value: map[string]any{"n": int64(0)}},
				tombstone(1, "gone"),
				{Topic: "events", KafkaPartition: connectors.Partition(0), KafkaOffset: 2, Value: map[string]any{"n": int64(2)}}, // no key
			}
			if err := task.Put(context.Background(), recs); err != nil {
				t.Fatal(err)
			}
			waitCommittable(t, task, upTo(1, 3))
			mu.Lock()
			got := slices.Clone(seen)
			mu.Unlock()
			if !slices.Equal(got, c.want) {
				t.Errorf("requests %q, want %q", got, c.want)
			}
			r := rep.all()
			if len(r) != c.reported || !errors.Is(r[len(r)-1].err, ErrNoURL) {
				t.Fatalf("reported %v, want %d records, the last for its null key", r, c.reported)
			}
			if c.behavior == "fail" && !errors.Is(r[0].err, ErrNullValue) {
				t.Errorf("tombstone reported with %v, want ErrNullValue", r[0].err)
			}
		})
	}
}

// TestLingerAndBodyFormats batches by linger and writes each body format.
func TestLingerAndBodyFormats(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := newEndpoint(t)
	srv.srv.Config.Handler = nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		var b strings.Builder
		buf := make([]byte, 1024)
		for {
			n, err := r.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		mu.Lock()
		bodies = append(bodies, r.Header.Get("Content-Type")+" "+b.String())
		mu.Unlock()
	})
	for _, c := range []struct {
		format, raw string
		want        []string
	}{
		{formatJSONArray, "json", []string{`application/json ["a","b","c"]`}},
		{formatNDJSON, "raw", []string{"application/x-ndjson a\nb\nc\n"}},
		{formatSingle, "json", []string{`application/json "a"`, `application/json "b"`, `application/json "c"`}},
	} {
		t.Run(c.format, func(t *testing.T) {
			mu.Lock()
			bodies = nil
			mu.Unlock()
			task := startSink(t, &taskContext{}, srv.srv.URL, map[string]string{KeyBodyFormat: c.format, KeyRecordFormat: c.raw,
				KeyBatchLinger: "60000"})
			for i, v := range []string{"a", "b", "c"} {
				rec := &connectors.Record{Topic: "events", KafkaPartition: connectors.Partition(0), KafkaOffset: int64(i), Value: v,
					ValueSchema: connectors.StringSchema}
				if err := task.Put(context.Background(), []*connectors.Record{rec}); err != nil {
					t.Fatal(err)
				}
			}
			// Lingering: nothing is sent until PreCommit flushes.
			if c.format != formatSingle {
				mu.Lock()
				n := len(bodies)
				mu.Unlock()
				if n != 0 {
					t.Errorf("%d requests before the linger ended", n)
				}
			}
			waitCommittable(t, task, upTo(1, 3))
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(bodies, c.want) {
				t.Errorf("bodies %q, want %q", bodies, c.want)
			}
		})
	}
}
