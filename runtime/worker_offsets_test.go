package runtime_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"conflux/configs"
	"conflux/internal/kafkalog"
	"conflux/internal/kafkalog/logtest"
)

// TestWorkerOffsetsIgnoreDepartedWorkers: offsets of a stopped connector
// change although the status topic still says a task is RUNNING, when the
// worker that said so is no longer in the group (it died without writing
// UNASSIGNED); a live status of a worker in the group still holds the
// change back with 409.
func TestWorkerOffsetsIgnoreDepartedWorkers(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, map[string]string{configs.KeyTaskShutdownGracefulTimeout: "300", configs.KeyOffsetFlushTimeout: "300"})
	leader, follower := twoWorkers(t, c)
	createTopic(t, c.addr, "departed", 1)
	_, id := newSourceProbe(t, "departed", 1<<40)
	expectREST(t, leader, http.MethodPost, "/connectors",
		fmt.Sprintf(`{"name":"d","config":{"connector.class":%q,"probe":%q}}`, probeSourceClass, id), http.StatusCreated)
	waitStates(t, leader, "d", "RUNNING RUNNING")
	expectREST(t, follower, http.MethodPut, "/connectors/d/stop", "", http.StatusNoContent)
	waitStates(t, leader, "d", "STOPPED")
	gen := leader.Membership().Generation

	claim := func(worker string) {
		t.Helper()
		logtest.Produce(t, c.addr, c.props[configs.KeyStatusStorageTopic], kafkalog.Message{Key: []byte("status-task-d-0"),
			Value: fmt.Appendf(nil, `{"state":"RUNNING","trace":null,"worker_id":%q,"generation":%d}`, worker, gen+1)})
	}
	const alter = `{"offsets":[{"partition":{"source":"probe"},"offset":{"seq":7}}]}`
	// The stopping task's last status (UNASSIGNED, by the follower) would
	// overwrite a claim written before it: an offset change goes through
	// only once that status is in.
	eventually(t, "the stopped task's last status", func() error {
		if code, body := restDo(t, http.MethodPatch, follower.URL, "/connectors/d/offsets", alter); code != http.StatusOK {
			return fmt.Errorf("%d %s", code, body)
		}
		return nil
	})
	claim("127.0.0.1:1")
	expectREST(t, follower, http.MethodPatch, "/connectors/d/offsets", alter, http.StatusOK)

	claim(follower.ID())
	body := expectREST(t, follower, http.MethodPatch, "/connectors/d/offsets", alter, http.StatusConflict)
	if !strings.Contains(body, "task d-0 is RUNNING on worker "+follower.ID()) {
		t.Errorf("409 of an offset change while a member runs a task: %s", body)
	}
}
