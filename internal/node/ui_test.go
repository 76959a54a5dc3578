package node

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestWebConsole checks the console's handlers on a running standalone
// node: the embedded assets (gzip, ETag revalidation, methods, unknown
// paths), the metrics history of a running connector, the cluster view,
// the topics and records through the Kafka protocol, and bad requests.
func TestWebConsole(t *testing.T) {
	base := startStandalone(t, t.TempDir())
	postConnector(t, base, `{"name":"gen","config":{"connector.class":"datagen","kafka.topic":"users","quickstart":"users","rate":"500","random.seed":"7"}}`)

	t.Run("assets", func(t *testing.T) {
		resp, page := fetch(t, http.MethodGet, base+"/ui", nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<script type="module" src="/ui/js/app.js">`) {
			t.Fatalf("GET /ui: %s\n%s", resp.Status, page)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET /ui: Content-Security-Policy %q, want scripts from the console only", csp)
		}
		// Every file the page and its modules name loads, gzipped.
		for _, path := range referencedAssets(t, base, page) {
			resp, body := fetch(t, http.MethodGet, base+path, map[string]string{"Accept-Encoding": "gzip"})
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" || body == "" {
				t.Errorf("GET %s: %s, Content-Encoding %q, %d bytes", path, resp.Status, resp.Header.Get("Content-Encoding"), len(body))
			}
			etag := resp.Header.Get("ETag")
			again, _ := fetch(t, http.MethodGet, base+path, map[string]string{"If-None-Match": etag})
			if etag == "" || again.StatusCode != http.StatusNotModified {
				t.Errorf("GET %s with If-None-Match %s: %s, want 304", path, etag, again.Status)
			}
		}
		for _, c := range []struct {
			method, path string
			status       int
		}{
			{http.MethodGet, "/ui/no-such-file.js", http.StatusNotFound},
			{http.MethodPost, "/ui", http.StatusMethodNotAllowed},
			{http.MethodGet, "/ui/api/nothing-here", http.StatusNotFound},
		} {
			if resp, body := fetch(t, c.method, base+c.path, nil); resp.StatusCode != c.status {
				t.Errorf("%s %s: %s, want %d: %s", c.method, c.path, resp.Status, c.status, body)
			}
		}
	})

	t.Run("metrics", func(t *testing.T) {
		var win struct {
			IntervalMS int64   `json:"interval_ms"`
			Capacity   int     `json:"capacity"`
			Last       uint64  `json:"last"`
			Times      []int64 `json:"times"`
			Series     []struct {
				Family, Connector, Task string
				Latest                  float64
				Points                  []*float64
			}
		}
		// The history samples once a second: wait for a non-zero rate of
		// the connector's writes.
		var rate float64
		eventually(t, "a non-zero write rate of connector gen", func() bool {
			getJSON(t, base+"/ui/api/metrics?connector=gen", &win)
			for _, s := range win.Series {
				if s.Family == "conflux_source_record_write_total" && len(s.Points) > 0 {
					if p := s.Points[len(s.Points)-1]; p != nil && *p > 0 {
						rate = *p
						return true
					}
				}
			}
			return false
		})
		if win.IntervalMS != 1000 || win.Capacity < 900 || len(win.Times) == 0 {
			t.Errorf("window: interval %d ms, capacity %d, %d times; want 1000 ms, at least 15 minutes", win.IntervalMS, win.Capacity, len(win.Times))
		}
		if rate > 1000 {
			t.Errorf("write rate %.0f/s for a connector limited to 500/s", rate)
		}
		for _, s := range win.Series {
			if s.Connector != "gen" {
				t.Errorf("?connector=gen returned a series of %q", s.Connector)
			}
		}
		// since=last returns only newer samples.
		last := win.Last
		getJSON(t, fmt.Sprintf("%s/ui/api/metrics?since=%d", base, last), &win)
		if len(win.Times) > 2 {
			t.Errorf("since=%d: %d samples, want at most the one or two taken since", last, len(win.Times))
		}
		if resp, body := fetch(t, http.MethodGet, base+"/ui/api/metrics?since=yesterday", nil); resp.StatusCode != http.StatusBadRequest ||
			!strings.Contains(body, "since must be a sample number") {
			t.Errorf("since=yesterday: %s %s, want 400 saying what since is", resp.Status, body)
		}
	})

	t.Run("cluster", func(t *testing.T) {
		var c struct {
			WorkerID string `json:"worker_id"`
			Leader   bool
			Assigned struct{ Connectors []string }
			Workers  []struct{ ID string }
		}
		eventually(t, "connector gen in this worker's assignment", func() bool {
			getJSON(t, base+"/ui/api/cluster", &c)
			return len(c.Assigned.Connectors) == 1 && c.Assigned.Connectors[0] == "gen"
		})
		if !c.Leader || c.WorkerID == "" || len(c.Workers) != 1 || c.Workers[0].ID != c.WorkerID {
			t.Errorf("cluster of one standalone worker: %+v", c)
		}
	})

	t.Run("topics", func(t *testing.T) {
		var topics []struct {
			Name       string
			Internal   bool
			Partitions []struct{ Partition, Start, End int64 }
		}
		var end int64
		eventually(t, "records in topic users", func() bool {
			getJSON(t, base+"/ui/api/topics", &topics)
			for _, tp := range topics {
				if tp.Name == "users" && len(tp.Partitions) == 1 && tp.Partitions[0].End > 0 {
					end = tp.Partitions[0].End
					return true
				}
			}
			return false
		})
		var recs struct {
			Records []struct {
				Offset int64
				Value  struct{ Data, Encoding string }
			}
		}
		getJSON(t, base+"/ui/api/topics/users/partitions/0/records?limit=5", &recs)
		if len(recs.Records) != 5 || recs.Records[4].Offset < end-1 || !strings.Contains(recs.Records[0].Value.Data, "userid") {
			t.Errorf("the last 5 records of users-0 (end offset %d then): %+v", end, recs.Records)
		}
		for _, c := range []struct {
			path, want string
			status     int
		}{
			{"/ui/api/topics/users/partitions/7/records", "No partition 7 in topic users", http.StatusNotFound},
			{"/ui/api/topics/users/partitions/x/records", "The partition must be a number", http.StatusBadRequest},
			{"/ui/api/topics/users/partitions/0/records?limit=1000", "limit must be a number from 1 to 200", http.StatusBadRequest},
		} {
			if resp, body := fetch(t, http.MethodGet, base+c.path, nil); resp.StatusCode != c.status || !strings.Contains(body, c.want) {
				t.Errorf("GET %s: %s %s, want %d saying %q", c.path, resp.Status, body, c.status, c.want)
			}
		}
	})
}

// TestWebConsoleDisabled checks that rest.ui.enable=false leaves /ui
// unserved while the REST API still answers.
func TestWebConsoleDisabled(t *testing.T) {
	base := startStandaloneWith(t, t.TempDir(), map[string]string{"rest.ui.enable": "false"})
	for path, want := range map[string]int{"/ui": http.StatusNotFound, "/ui/api/metrics": http.StatusNotFound, "/connectors": http.StatusOK} {
		if resp, body := fetch(t, http.MethodGet, base+path, nil); resp.StatusCode != want {
			t.Errorf("rest.ui.enable=false: GET %s: %s %s, want %d", path, resp.Status, body, want)
		}
	}
}

// assetRef finds the console's own file paths in a page or module.
var assetRef = regexp.MustCompile(`(?:href|src)="(/ui/[^"]+)"|from '\.{1,2}/([^']+)'`)

// referencedAssets returns every /ui path the page names, and the modules
// its scripts import, transitively.
func referencedAssets(t testing.TB, base, page string) []string {
	t.Helper()
	seen := map[string]bool{}
	var out []string
	var walk func(dir, text string)
	walk = func(dir, text string) {
		for _, m := range assetRef.FindAllStringSubmatch(text, -1) {
			path := m[1]
			if path == "" {
				path = resolveModule(dir, m[0], m[2])
			}
			if seen[path] {
				continue
			}
			seen[path] = true
			out = append(out, path)
			if strings.HasSuffix(path, ".js") {
				_, body := fetch(t, http.MethodGet, base+path, nil)
				walk(path[:strings.LastIndexByte(path, '/')], body)
			}
		}
	}
	walk("/ui", page)
	if len(out) < 10 {
		t.Fatalf("the page names only %v", out)
	}
	return out
}

// resolveModule turns an import of name from a module in dir into a path.
func resolveModule(dir, ref, name string) string {
	if strings.Contains(ref, "'../") {
		dir = dir[:strings.LastIndexByte(dir, '/')]
	}
	return dir + "/" + name
}

// fetch sends a request with headers and returns the response and its
// (decompressed) body.
func fetch(t testing.TB, method, url string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: body is not gzip: %v", method, url, err)
		}
		r = zr
	}
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// getJSON decodes a 200 answer of GET url into v.
func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	resp, body := fetch(t, http.MethodGet, url, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
}

// eventually polls cond every 50 ms until it holds, for at most 30 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
