package runtime_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"conflux/runtime"
)

// restDo sends one REST request to base and returns the status and body.
func restDo(t testing.TB, method, base, path, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctxT(t), method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// expectREST sends a request and fails the test unless it answers want; the
// body is returned.
func expectREST(t testing.TB, w *testWorker, method, path, body string, want int) string {
	t.Helper()
	got, answer := restDo(t, method, w.URL, path, body)
	if got != want {
		t.Fatalf("%s %s through %s: %d %s, want %d", method, path, w.ID(), got, answer, want)
	}
	return answer
}

// twoWorkers starts a leader and a follower and waits until both are in
// one generation.
func twoWorkers(t testing.TB, c *testCluster) (leader, follower *testWorker) {
	t.Helper()
	leader = c.startWorker(t)
	follower = c.startWorker(t)
	eventually(t, "one generation led by the first worker", func() error {
		l, f := leader.Membership(), follower.Membership()
		if !l.Leader || f.Leader || l.Generation != f.Generation || f.LeaderURL != leader.URL {
			return fmt.Errorf("leader %+v, follower %+v", l, f)
		}
		return nil
	})
	return leader, follower
}

// other returns the worker of ws whose id is not id.
func other(ws []*testWorker, id string) *testWorker {
	for _, w := range ws {
		if w.ID() != id {
			return w
		}
	}
	return nil
}

// TestWorkerForwardsToLeader drives every write that only the leader may
// make through the follower's REST API — create, update, patch, stop,
// offsets alter and reset, restart with tasks, delete — and the restarts of
// a connector and a task through the worker that does not run them. The
// follower never writes them itself: with forward=false it answers 409.
// Errors come back as the leader gave them (404, 409, 400).
func TestWorkerForwardsToLeader(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	leader, follower := twoWorkers(t, c)
	ws := []*testWorker{leader, follower}
	p, id := newSourceProbe(t, "forwarded", 1<<40)
	create := fmt.Sprintf(`{"name":"fwd","config":{"connector.class":%q,"probe":%q,"tasks.max":"1"}}`, probeSourceClass, id)

	body := expectREST(t, follower, http.MethodPost, "/connectors?forward=false", create, http.StatusConflict)
	if !strings.Contains(body, runtime.MsgForwardExhausted) {
		t.Errorf("create with forward=false on the follower: %s, want %q", body, runtime.MsgForwardExhausted)
	}
	if names, err := leader.Connectors(ctxT(t)); err != nil || len(names) != 0 {
		t.Fatalf("the follower wrote a connector with forward=false: %v %v", names, err)
	}
	body = expectREST(t, follower, http.MethodPost, "/connectors", create, http.StatusCreated)
	var info runtime.ConnectorInfo
	if err := json.Unmarshal([]byte(body), &info); err != nil || info.Name != "fwd" || info.Config["probe"] != id || info.Type != runtime.TypeSource {
		t.Errorf("create through the follower answered %s (%v)", body, err)
	}
	waitStates(t, leader, "fwd", "RUNNING RUNNING")
	expectREST(t, follower, http.MethodPost, "/connectors", create, http.StatusConflict)
	expectREST(t, follower, http.MethodPost, "/connectors", `{"name":"bad","config":{"connector.class":"NoSuchConnector"}}`, http.StatusBadRequest)

	update := fmt.Sprintf(`{"connector.class":%q,"probe":%q,"tasks.max":"1","extra":"one"}`, probeSourceClass, id)
	expectREST(t, follower, http.MethodPut, "/connectors/fwd/config", update, http.StatusOK)
	expectREST(t, follower, http.MethodPatch, "/connectors/fwd/config", `{"extra":"two"}`, http.StatusOK)
	if cfg, err := leader.ConnectorConfig(ctxT(t), "fwd"); err != nil || cfg["extra"] != "two" {
		t.Errorf("config after update and patch through the follower: %v %v", cfg, err)
	}
	st := waitStates(t, leader, "fwd", "RUNNING RUNNING")

	// Restarts go to the worker that runs the instance.
	starts := len(p.startsSeen())
	p.mu.Lock()
	connStarts := len(p.connConfigs)
	p.mu.Unlock()
	expectREST(t, other(ws, st.Connector.WorkerID), http.MethodPost, "/connectors/fwd/restart", "", http.StatusNoContent)
	eventually(t, "the connector restarted on its owner", func() error {
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.connConfigs) <= connStarts {
			return fmt.Errorf("%d connector starts", len(p.connConfigs))
		}
		return nil
	})
	taskHost := other(ws, st.Tasks[0].WorkerID)
	expectREST(t, taskHost, http.MethodPost, "/connectors/fwd/tasks/0/restart?forward=false", "", http.StatusConflict)
	expectREST(t, taskHost, http.MethodPost, "/connectors/fwd/tasks/0/restart", "", http.StatusNoContent)
	eventually(t, "the task restarted on its owner", func() error {
		if n := len(p.startsSeen()); n <= starts {
			return fmt.Errorf("%d task starts", n)
		}
		return nil
	})
	body = expectREST(t, follower, http.MethodPost, "/connectors/fwd/restart?includeTasks=true", "", http.StatusAccepted)
	var plan runtime.ConnectorStateInfo
	if err := json.Unmarshal([]byte(body), &plan); err != nil || plan.Connector.State != runtime.StateRestarting || len(plan.Tasks) != 1 {
		t.Errorf("restart with tasks through the follower: %s (%v)", body, err)
	}
	waitStates(t, leader, "fwd", "RUNNING RUNNING")

	// Offsets change only on a stopped connector, and only the leader
	// changes them.
	expectREST(t, follower, http.MethodPut, "/connectors/fwd/stop", "", http.StatusNoContent)
	waitStates(t, leader, "fwd", "STOPPED")
	body = expectREST(t, follower, http.MethodPatch, "/connectors/fwd/offsets",
		`{"offsets":[{"partition":{"source":"probe"},"offset":{"seq":41}}]}`, http.StatusOK)
	if !strings.Contains(body, runtime.AlteredOffsetsMessage) {
		t.Errorf("alter offsets through the follower: %s", body)
	}
	if got := expectREST(t, leader, http.MethodGet, "/connectors/fwd/offsets", "", http.StatusOK); !strings.Contains(got, `"seq":41`) {
		t.Errorf("offsets after the alter: %s", got)
	}
	body = expectREST(t, follower, http.MethodDelete, "/connectors/fwd/offsets", "", http.StatusOK)
	if !strings.Contains(body, runtime.ResetOffsetsMessage) {
		t.Errorf("reset offsets through the follower: %s", body)
	}
	expectREST(t, follower, http.MethodPut, "/connectors/fwd/resume", "", http.StatusAccepted)
	waitStates(t, leader, "fwd", "RUNNING RUNNING")

	expectREST(t, follower, http.MethodDelete, "/connectors/fwd", "", http.StatusNoContent)
	eventually(t, "the connector gone on the leader", func() error {
		if names, err := leader.Connectors(ctxT(t)); err != nil || len(names) != 0 {
			return fmt.Errorf("connectors %v %v", names, err)
		}
		return nil
	})
	expectREST(t, follower, http.MethodDelete, "/connectors/fwd", "", http.StatusNotFound)
	expectREST(t, follower, http.MethodPost, "/connectors/fwd/restart", "", http.StatusNotFound)
	expectREST(t, follower, http.MethodPut, "/connectors/fwd/stop", "", http.StatusNotFound)
}

// TestWorkerHerderForwards calls the Herder of a follower directly, as the
// connector files of a worker process do: the write reaches the leader.
func TestWorkerHerderForwards(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	leader, follower := twoWorkers(t, c)
	_, id := newSourceProbe(t, "herder-forwarded", 1<<40)
	createConnector(t, follower, "via-follower", map[string]string{"connector.class": probeSourceClass, "probe": id, "tasks.max": "1"})
	waitStates(t, leader, "via-follower", "RUNNING RUNNING")
	if err := follower.DeleteConnector(ctxT(t), "nobody"); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("delete of an unknown connector through the follower: %v, want ErrNotFound", err)
	}
}

// BenchmarkRESTLeaderVsFollower measures REST latency on a two-worker
// cluster through the leader and through the follower, which forwards to
// the leader: a config update of a stopped connector (a write to the
// config topic) and, as a read that is never forwarded, GET of its config.
func BenchmarkRESTLeaderVsFollower(b *testing.B) {
	c := newTestCluster(b, nil)
	leader, follower := twoWorkers(b, c)
	_, id := newSourceProbe(b, "bench-forwarded", 0)
	createConnector(b, leader, "bench", map[string]string{"connector.class": probeSourceClass, "probe": id, "tasks.max": "1"})
	waitStates(b, leader, "bench", "RUNNING RUNNING")
	if err := leader.SetTargetState(ctxT(b), "bench", runtime.TargetStopped); err != nil {
		b.Fatal(err)
	}
	waitStates(b, leader, "bench", "STOPPED")
	for _, via := range []struct {
		name string
		w    *testWorker
	}{{"leader", leader}, {"follower", follower}} {
		b.Run("update/"+via.name, func(b *testing.B) {
			for i := range b.N {
				update := fmt.Sprintf(`{"connector.class":%q,"probe":%q,"tasks.max":"1","extra":"%d"}`, probeSourceClass, id, i)
				expectREST(b, via.w, http.MethodPut, "/connectors/bench/config", update, http.StatusOK)
			}
		})
		b.Run("get/"+via.name, func(b *testing.B) {
			for range b.N {
				expectREST(b, via.w, http.MethodGet, "/connectors/bench/config", "", http.StatusOK)
			}
		})
	}
}
