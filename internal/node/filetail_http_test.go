package node

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestFileTailToHTTP runs the example pipeline on a standalone node: a
// log file tailed into a topic, pushed to an HTTP endpoint. The endpoint
// rate-limits the first request (503 with Retry-After), fails the second
// (500), and answers 400 to any batch holding a line with BAD. Every good
// line arrives at least once and in order, each bad line reaches the dead
// letter queue with Kafka Connect's context headers, and the sink's
// committed offset ends past them all.
func TestFileTailToHTTP(t *testing.T) {
	dir := t.TempDir()
	base := startStandaloneWith(t, dir, map[string]string{"offset.flush.interval.ms": "200"})
	const lines = 300
	var log strings.Builder
	var bad []string
	for i := range lines {
		line := fmt.Sprintf("%03d level=info msg=hello", i)
		if i%50 == 7 {
			line = fmt.Sprintf("%03d level=error msg=BAD", i)
			bad = append(bad, line)
		}
		log.WriteString(line + "\n")
	}
	path := filepath.Join(dir, "app.log")
	if err := os.WriteFile(path, []byte(log.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var got []string
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var batch []string
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &batch); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		requests++
		switch {
		case requests == 1:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(503)
			return
		case requests == 2:
			w.WriteHeader(500)
			return
		}
		for _, l := range batch {
			if strings.Contains(l, "BAD") {
				http.Error(w, "line rejected: "+l, 400)
				return
			}
		}
		got = append(got, batch...)
	}))
	defer srv.Close()

	postConnector(t, base, fmt.Sprintf(`{"name":"tail","config":{"connector.class":"filetail","paths":%q,"topic":"logs",`+
		`"value.converter.schemas.enable":"false"}}`, path))
	postConnector(t, base, fmt.Sprintf(`{"name":"push","config":{"connector.class":"http","topics":"logs","http.url":%q,`+
		`"value.converter.schemas.enable":"false","batch.max.records":"40","retry.backoff.ms":"10",`+
		`"errors.tolerance":"all","errors.deadletterqueue.topic.name":"logs-dlq",`+
		`"errors.deadletterqueue.topic.replication.factor":"1","errors.deadletterqueue.context.headers.enable":"true"}}`, srv.URL+"/ingest"))

	eventually(t, "every good line at the endpoint", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= lines-len(bad)
	})
	mu.Lock()
	next := 0
	for _, l := range got { // in order; a line may come again (at least once)
		var n int
		fmt.Sscanf(l, "%d", &n)
		for next < lines && next%50 == 7 {
			next++
		}
		switch {
		case n == next:
			next++
		case n > next:
			t.Fatalf("line %d arrived before line %d", n, next)
		}
	}
	mu.Unlock()

	type header struct {
		Key   string
		Value struct{ Data string }
	}
	var dlq struct {
		Records []struct {
			Value   struct{ Data string }
			Headers []header
		}
	}
	eventually(t, "the bad lines in the dead letter queue", func() bool {
		resp, err := http.Get(base + "/ui/api/topics/logs-dlq/partitions/0/records?limit=200")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == 200 && json.NewDecoder(resp.Body).Decode(&dlq) == nil && len(dlq.Records) >= len(bad)
	})
	for i, r := range dlq.Records {
		h := map[string]string{}
		for _, x := range r.Headers {
			h[x.Key] = x.Value.Data
		}
		if r.Value.Data != fmt.Sprintf("%q", bad[i]) || h["__connect.errors.topic"] != "logs" ||
			h["__connect.errors.connector.name"] != "push" || !strings.Contains(h["__connect.errors.exception.message"], "400") ||
			!strings.Contains(h["__connect.errors.exception.message"], "line rejected") {
			t.Errorf("dead letter %d: value %s, headers %v", i, r.Value.Data, h)
		}
		if _, ok := h["filetail.path"]; !ok {
			t.Errorf("dead letter %d lost the record's own headers: %v", i, h)
		}
	}

	eventually(t, "the sink's offset committed past every line", func() bool {
		var offs struct {
			Offsets []struct {
				Offset struct {
					KafkaOffset int64 `json:"kafka_offset"`
				}
			}
		}
		resp, err := http.Get(base + "/connectors/push/offsets")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&offs) == nil && len(offs.Offsets) == 1 && offs.Offsets[0].Offset.KafkaOffset == lines
	})
}

// TestHTTPSinkRejectionFailsTask sends lines to an endpoint that rejects
// everything, with errors.tolerance=none: the sink task fails with the
// endpoint's answer in its trace, although no more records come after the
// rejected ones, and commits no offset past them.
func TestHTTPSinkRejectionFailsTask(t *testing.T) {
	dir := t.TempDir()
	base := startStandaloneWith(t, dir, map[string]string{"offset.flush.interval.ms": "200"})
	path := filepath.Join(dir, "app.log")
	if err := os.WriteFile(path, []byte("one\ntwo\nthree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "schema mismatch", 422)
	}))
	defer srv.Close()
	postConnector(t, base, fmt.Sprintf(`{"name":"tail","config":{"connector.class":"filetail","paths":%q,"topic":"logs"}}`, path))
	postConnector(t, base, fmt.Sprintf(`{"name":"push","config":{"connector.class":"http","topics":"logs","http.url":%q}}`, srv.URL))
	var status struct {
		Tasks []struct{ State, Trace string }
	}
	eventually(t, "the sink task FAILED", func() bool {
		resp, err := http.Get(base + "/connectors/push/status")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == 200 && json.NewDecoder(resp.Body).Decode(&status) == nil &&
			len(status.Tasks) == 1 && status.Tasks[0].State == "FAILED"
	})
	if tr := status.Tasks[0].Trace; !strings.Contains(tr, "422") || !strings.Contains(tr, "schema mismatch") {
		t.Errorf("trace %q does not give the endpoint's answer", tr)
	}
	var offs struct {
		Offsets []struct {
			Offset struct {
				KafkaOffset int64 `json:"kafka_offset"`
			}
		}
	}
	getJSON(t, base+"/connectors/push/offsets", &offs)
	for _, o := range offs.Offsets {
		if o.Offset.KafkaOffset > 0 {
			t.Errorf("offset %d committed past the rejected records", o.Offset.KafkaOffset)
		}
	}
}
