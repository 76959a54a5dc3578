package resttest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"conflux/runtime"
	"conflux/runtime/rest"
)

// Contract settings a herder under test needs to know about.
const (
	// ContractVersion and ContractCommit are what the suite's REST API
	// reports in GET /.
	ContractVersion = "contract-version"
	ContractCommit  = "contract-commit"
	// SecretEnv is the environment variable the secrets scenario sets
	// (with t.Setenv) and names in ${env:…} placeholders; a herder that
	// resolves placeholders must use the env provider.
	SecretEnv = "CONFLUX_CONTRACT_PASSWORD"
)

// WaitTimeout bounds how long a step marked as waiting retries until the
// response matches, for herders that apply changes asynchronously.
var WaitTimeout = 30 * time.Second

// RunContract runs Kafka Connect's REST contract against herders made by
// newHerder: every endpoint's happy path and documented errors, with
// response status codes, Location headers and bodies compared with the
// golden files in runtime/rest/testdata/contract (one directory per
// scenario, one file per step).
//
// Each scenario gets a fresh herder from newHerder and serves it with
// rest.New on an httptest server (real HTTP), with the plugins of
// NewRegistry; the herder must find its plugins in a registry built by
// NewRegistry too. Scenarios run in sequence and call t.Setenv, so the
// calling test must not be parallel.
//
// Before comparison, bodies are normalized: worker_id becomes "<worker>",
// a non-empty trace "<trace>", kafka_cluster_id "<cluster>", and offsets
// are sorted by partition. Steps marked as waiting are retried for up to
// WaitTimeout until they match, so herders may apply changes
// asynchronously. Besides the golden comparison, every error response must
// carry {"error_code": <status>, "message": …} and every body must be
// application/json.
//
// Run go test with -update (a flag the calling test package must define)
// to rewrite the golden files from the responses instead of comparing;
// only do that against the reference in-memory herder, and review the
// diff.
func RunContract(t *testing.T, newHerder func(t *testing.T) runtime.Herder) {
	t.Helper()
	dir := goldenDir(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if sc.setup != nil {
				sc.setup(t)
			}
			h := newHerder(t)
			srv := httptest.NewServer(rest.New(rest.Config{
				Herder:       h,
				Registry:     NewRegistry(),
				Version:      ContractVersion,
				Commit:       ContractCommit,
				AdminEnabled: true,
			}))
			t.Cleanup(srv.Close)
			c := &client{base: srv.URL, http: srv.Client(), dir: filepath.Join(dir, sc.name)}
			seen := make(map[string]bool)
			for _, st := range sc.steps {
				if seen[st.name] {
					t.Fatalf("scenario %s: step %s listed twice", sc.name, st.name)
				}
				seen[st.name] = true
				t.Run(st.name, func(t *testing.T) { c.check(t, st) })
			}
		})
	}
}

// updating reports whether the calling test package's -update flag is set.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// goldenDir locates runtime/rest/testdata/contract from this source file,
// so that the suite finds its golden files whichever package runs it.
func goldenDir(t *testing.T) string {
	_, file, _, ok := goruntime.Caller(0)
	if !ok {
		t.Fatal("resttest: cannot locate the contract golden files")
	}
	return filepath.Join(filepath.Dir(file), "..", "testdata", "contract")
}

// step is one request of a scenario.
type step struct {
	name   string // golden file name, without .json
	method string
	path   string
	body   string // request body; "" sends none
	wait   bool   // retry until the response matches
}

// scenario is a sequence of steps against one herder.
type scenario struct {
	name  string
	setup func(t *testing.T)
	steps []step
}

// response is what the suite compares: status, Location and normalized
// body (nil when empty).
type response struct {
	Status   int    `json:"status"`
	Location string `json:"location,omitempty"`
	Body     any    `json:"body"`
}

// client sends a scenario's requests.
type client struct {
	base string
	http *http.Client
	dir  string
}

// check runs one step and compares its response with the golden file.
func (c *client) check(t *testing.T, st step) {
	t.Helper()
	path := filepath.Join(c.dir, st.name+".json")
	if updating() {
		got, err := c.do(st)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the reference test with -update to create it)", err)
	}
	deadline := time.Now().Add(WaitTimeout)
	for {
		got, err := c.do(st)
		if err == nil && bytes.Equal(got, want) {
			return
		}
		if !st.wait || time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("%s %s: %v", st.method, st.path, err)
			}
			t.Fatalf("%s %s: response differs from %s\ngot:\n%s\nwant:\n%s", st.method, st.path, path, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// do sends the step's request, checks the invariants every response must
// keep, and returns the normalized response as indented JSON.
func (c *client) do(st step) ([]byte, error) {
	var body io.Reader
	if st.body != "" {
		body = strings.NewReader(st.body)
	}
	req, err := http.NewRequest(st.method, c.base+st.path, body)
	if err != nil {
		return nil, err
	}
	if st.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := response{Status: resp.StatusCode, Location: resp.Header.Get("Location")}
	if len(raw) > 0 {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			return nil, fmt.Errorf("Content-Type %q, want application/json", ct)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&out.Body); err != nil {
			return nil, fmt.Errorf("body is not JSON: %v: %s", err, raw)
		}
		out.Body = normalize(out.Body)
	} else if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusAccepted {
		return nil, fmt.Errorf("status %d without a body", resp.StatusCode)
	}
	if resp.StatusCode >= 400 && st.path != "/health" {
		if err := checkErrorBody(resp.StatusCode, out.Body); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkErrorBody checks Kafka Connect's error entity.
func checkErrorBody(status int, body any) error {
	m, ok := body.(map[string]any)
	if !ok || len(m) != 2 {
		return fmt.Errorf("error body %v is not {error_code, message}", body)
	}
	if code, ok := m["error_code"].(json.Number); !ok || code.String() != fmt.Sprint(status) {
		return fmt.Errorf("error_code %v, want %d", m["error_code"], status)
	}
	if msg, ok := m["message"].(string); !ok || msg == "" {
		return fmt.Errorf("error message %v is not a non-empty string", m["message"])
	}
	return nil
}

// normalize replaces the values that differ between herders and runs.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch {
			case k == "worker_id":
				x[k] = "<worker>"
			case k == "kafka_cluster_id":
				x[k] = "<cluster>"
			case k == "trace":
				if s, ok := e.(string); ok && s != "" {
					x[k] = "<trace>"
				}
			default:
				x[k] = normalize(e)
			}
		}
		if list, ok := x["offsets"].([]any); ok {
			slices.SortStableFunc(list, func(a, b any) int {
				return strings.Compare(partitionKey(a), partitionKey(b))
			})
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	}
	return v
}

// partitionKey is the sort key of an offsets entry: its partition as JSON.
func partitionKey(v any) string {
	m, _ := v.(map[string]any)
	b, _ := json.Marshal(m["partition"])
	return string(b)
}
