package runtime_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"conflux/configs"
	"conflux/internal/kafkalog"
	"conflux/internal/kafkalog/logtest"
	"conflux/runtime"
)

// sessionKeys returns the session keys written to the cluster's config
// topic so far, oldest first.
func sessionKeys(t testing.TB, c *testCluster) [][]byte {
	t.Helper()
	var keys [][]byte
	for _, r := range logtest.ReadAll(t, c.addr, c.props[configs.KeyConfigStorageTopic]) {
		if string(r.Key) != "session-key" || r.Value == nil {
			continue
		}
		var v struct {
			Key       string `json:"key"`
			Algorithm string `json:"algorithm"`
			Created   int64  `json:"creation-timestamp"`
		}
		if err := json.Unmarshal(r.Value, &v); err != nil || v.Algorithm != configs.HmacSHA256 || v.Created <= 0 {
			t.Fatalf("session-key record %s (%v)", r.Value, err)
		}
		k, err := base64.StdEncoding.DecodeString(v.Key)
		if err != nil || len(k) != sha256.Size {
			t.Fatalf("session key %q: %d bytes (%v), want %d", v.Key, len(k), err, sha256.Size)
		}
		keys = append(keys, k)
	}
	return keys
}

// postTasks sends an internal task-config write with the given signature
// headers (none when alg is "") and returns the status and body.
func postTasks(t testing.TB, base, name, body, alg, sig string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodPost, base+"/connectors/"+name+"/tasks", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if alg != "" {
		req.Header.Set(runtime.HeaderSignatureAlgorithm, alg)
		req.Header.Set(runtime.HeaderSignature, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// hmacSHA256 signs body as a Java worker does: base64 of its HMAC-SHA256.
func hmacSHA256(key []byte, body string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(body))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// TestWorkerTaskConfigsThroughLeader: only the leader writes task configs,
// as in Kafka Connect. A connector running on the follower has its task
// configs written through the leader's internal POST
// /connectors/{name}/tasks, and its tasks run; the leader's own connector
// needs no request.
func TestWorkerTaskConfigsThroughLeader(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	leader, follower := twoWorkers(t, c)
	for _, name := range []string{"one", "two"} {
		_, id := newSourceProbe(t, name, 1<<40)
		expectREST(t, leader, http.MethodPost, "/connectors",
			fmt.Sprintf(`{"name":%q,"config":{"connector.class":%q,"probe":%q,"tasks.max":"2","probe.tasks":"2"}}`, name, probeSourceClass, id),
			http.StatusCreated)
	}
	onFollower := ""
	for _, name := range []string{"one", "two"} {
		st := waitStates(t, leader, name, "RUNNING RUNNING RUNNING")
		if st.Connector.WorkerID == follower.ID() {
			onFollower = name
		}
	}
	if onFollower == "" {
		t.Fatal("the leader assigned both connector instances to itself")
	}
	if n := leader.taskWrites.Load(); n < 1 {
		t.Errorf("the leader received %d task-config writes, want the follower's connector's", n)
	}
	if n := follower.taskWrites.Load(); n != 0 {
		t.Errorf("the follower received %d task-config writes, want none", n)
	}
	tasks, err := follower.TaskConfigs(ctxT(t), onFollower)
	if err != nil || len(tasks) != 2 || tasks[1].Config["probe.task"] != "1" {
		t.Errorf("task configs of %s, written through the leader: %+v %v", onFollower, tasks, err)
	}
}

// TestWorkerInternalRequestSignature: under the sessioned protocol the
// leader writes a session key to the config topic and accepts an internal
// task-config write only with a valid signature of that key (400 without
// one or with an algorithm it does not accept, 403 with a wrong one); a
// follower checks it too and forwards the write, signed again, to the
// leader.
func TestWorkerInternalRequestSignature(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	leader, follower := twoWorkers(t, c)
	_, id := newSourceProbe(t, "signed", 1<<40)
	expectREST(t, leader, http.MethodPost, "/connectors",
		fmt.Sprintf(`{"name":"sig","config":{"connector.class":%q,"probe":%q,"tasks.max":"1"}}`, probeSourceClass, id), http.StatusCreated)
	waitStates(t, leader, "sig", "RUNNING RUNNING")
	keys := sessionKeys(t, c)
	if len(keys) != 1 {
		t.Fatalf("%d session keys in the config topic, want the leader's one", len(keys))
	}
	key := keys[0]
	body := fmt.Sprintf(`[{"connector.class":%q,"probe":%q,"tasks.max":"1","written":"by-test"}]`, probeSourceClass, id)

	for _, tc := range []struct {
		what, alg, sig, want string
		status               int
	}{
		{"no signature", "", "", "Internal request missing required signature", http.StatusBadRequest},
		{"a wrong signature", configs.HmacSHA256, hmacSHA256([]byte("not the key"), body), "Internal request contained invalid signature.", http.StatusForbidden},
		{"a signature of another body", configs.HmacSHA256, hmacSHA256(key, body+" "), "Internal request contained invalid signature.", http.StatusForbidden},
		{"an algorithm not accepted", "HmacMD5", hmacSHA256(key, body), "does not support the 'HmacMD5' signature algorithm", http.StatusBadRequest},
		{"a signature that is not base64", configs.HmacSHA256, "%%%", "not base64", http.StatusBadRequest},
	} {
		for _, w := range []*testWorker{leader, follower} {
			status, answer := postTasks(t, w.URL, "sig", body, tc.alg, tc.sig)
			if status != tc.status || !strings.Contains(answer, tc.want) {
				t.Errorf("task write with %s to %s: %d %s, want %d %q", tc.what, w.ID(), status, answer, tc.status, tc.want)
			}
		}
	}
	if tasks, _ := leader.TaskConfigs(ctxT(t), "sig"); len(tasks) != 1 || tasks[0].Config["written"] != "" {
		t.Fatalf("a refused write changed the task configs: %+v", tasks)
	}

	if status, answer := postTasks(t, follower.URL, "sig", `{"not":"a list"}`, configs.HmacSHA256, hmacSHA256(key, `{"not":"a list"}`)); status != http.StatusBadRequest {
		t.Errorf("a task write whose body is not a list: %d %s, want 400", status, answer)
	}
	if status, answer := postTasks(t, follower.URL, "nope", body, configs.HmacSHA256, hmacSHA256(key, body)); status != http.StatusNotFound {
		t.Errorf("a signed task write for an unknown connector: %d %s, want 404", status, answer)
	}
	before := leader.taskWrites.Load()
	if status, answer := postTasks(t, follower.URL, "sig", body, configs.HmacSHA256, hmacSHA256(key, body)); status != http.StatusNoContent {
		t.Fatalf("a signed task write through the follower: %d %s, want 204", status, answer)
	}
	if leader.taskWrites.Load() == before {
		t.Error("the follower took a task write itself instead of forwarding it to the leader")
	}
	tasks, err := leader.TaskConfigs(ctxT(t), "sig")
	if err != nil || len(tasks) != 1 || tasks[0].Config["written"] != "by-test" {
		t.Errorf("task configs after the signed write: %+v %v", tasks, err)
	}
}

// TestWorkerSessionKeyRotation: the leader replaces the session key when
// it is older than inter.worker.key.ttl.ms; a request signed with the old
// key is refused from then on, and followers go on writing task configs
// with the new one.
func TestWorkerSessionKeyRotation(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, map[string]string{configs.KeyInterWorkerKeyTTL: "1500"})
	leader, follower := twoWorkers(t, c)
	var keys [][]byte
	eventually(t, "a second session key", func() error {
		if keys = sessionKeys(t, c); len(keys) < 2 {
			return fmt.Errorf("%d session keys", len(keys))
		}
		return nil
	})
	if hmac.Equal(keys[0], keys[1]) {
		t.Fatal("the leader wrote the same session key twice")
	}
	const body = `[]`
	eventually(t, "the old key refused", func() error {
		if status, answer := postTasks(t, leader.URL, "none", body, configs.HmacSHA256, hmacSHA256(keys[0], body)); status != http.StatusForbidden {
			return fmt.Errorf("%d %s", status, answer)
		}
		return nil
	})
	// A connector started now, on whichever worker, gets its tasks.
	for _, name := range []string{"a", "b"} {
		_, id := newSourceProbe(t, name, 1<<40)
		expectREST(t, follower, http.MethodPost, "/connectors",
			fmt.Sprintf(`{"name":%q,"config":{"connector.class":%q,"probe":%q}}`, name, probeSourceClass, id), http.StatusCreated)
		waitStates(t, leader, name, "RUNNING RUNNING")
	}
}

// TestWorkerUnsignedUnderCompatible: with connect.protocol=compatible
// nothing is signed, and an unsigned task-config write is taken.
func TestWorkerUnsignedUnderCompatible(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, map[string]string{configs.KeyConnectProtocol: configs.ProtocolCompatible})
	leader, follower := twoWorkers(t, c)
	_, id := newSourceProbe(t, "unsigned", 1<<40)
	expectREST(t, leader, http.MethodPost, "/connectors",
		fmt.Sprintf(`{"name":"u","config":{"connector.class":%q,"probe":%q}}`, probeSourceClass, id), http.StatusCreated)
	waitStates(t, leader, "u", "RUNNING RUNNING")
	if keys := sessionKeys(t, c); len(keys) != 0 {
		t.Errorf("%d session keys written under the compatible protocol, want none", len(keys))
	}
	body := fmt.Sprintf(`[{"connector.class":%q,"probe":%q,"written":"unsigned"}]`, probeSourceClass, id)
	if status, answer := postTasks(t, follower.URL, "u", body, "", ""); status != http.StatusNoContent {
		t.Fatalf("an unsigned task write under compatible: %d %s, want 204", status, answer)
	}
	if tasks, err := leader.TaskConfigs(ctxT(t), "u"); err != nil || len(tasks) != 1 || tasks[0].Config["written"] != "unsigned" {
		t.Errorf("task configs after the unsigned write: %+v %v", tasks, err)
	}
}

// TestWorkerReclaimsHiddenStatus: a status of an earlier generation that
// reaches the topic late (here written by hand for a worker that is gone)
// does not leave a running task looking UNASSIGNED: the worker that runs
// it writes its status again. A later generation's status is left alone.
func TestWorkerReclaimsHiddenStatus(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	w := c.startWorker(t)
	createTopic(t, c.addr, "reclaim", 1)
	_, id := newSourceProbe(t, "reclaim", 1<<40)
	expectREST(t, w, http.MethodPost, "/connectors",
		fmt.Sprintf(`{"name":"r","config":{"connector.class":%q,"probe":%q}}`, probeSourceClass, id), http.StatusCreated)
	st := waitStates(t, w, "r", "RUNNING RUNNING")
	gen := w.Membership().Generation
	if gen < 1 {
		t.Fatalf("generation %d", gen)
	}
	statusTopic := c.props[configs.KeyStatusStorageTopic]
	logtest.Produce(t, c.addr, statusTopic, kafkalog.Message{Key: []byte("status-task-r-0"),
		Value: fmt.Appendf(nil, `{"state":"UNASSIGNED","trace":null,"worker_id":"gone:8083","generation":%d}`, gen-1)})
	// The task was RUNNING before the stale record too: wait for the worker
	// to have seen it (it says so), then for its own status to be back.
	eventually(t, "the worker to see the stale status and say so", func() error {
		if !strings.Contains(c.logs.String(), "a status of an earlier generation hid this worker's") {
			return errors.New("no log line yet")
		}
		return nil
	})
	eventually(t, "the task's own status back", func() error {
		got, err := w.TaskStatus(ctxT(t), "r", 0)
		if err != nil || got.State != runtime.StateRunning || got.WorkerID != st.Connector.WorkerID {
			return fmt.Errorf("%+v %v", got, err)
		}
		return nil
	})

	// A later generation's claim is not overwritten.
	logtest.Produce(t, c.addr, statusTopic, kafkalog.Message{Key: []byte("status-task-r-0"),
		Value: fmt.Appendf(nil, `{"state":"RUNNING","trace":null,"worker_id":"newer:8083","generation":%d}`, gen+5)})
	eventually(t, "the later claim read", func() error {
		if got, _ := w.TaskStatus(ctxT(t), "r", 0); got.WorkerID != "newer:8083" {
			return fmt.Errorf("%+v", got)
		}
		return nil
	})
	expectREST(t, w, http.MethodPut, "/connectors/r/pause", "", http.StatusAccepted)
	waitStates(t, w, "r", "PAUSED RUNNING")
	if got, _ := w.TaskStatus(ctxT(t), "r", 0); got.WorkerID != "newer:8083" || got.State != runtime.StateRunning {
		t.Errorf("a later generation's status was replaced: %+v", got)
	}
}
