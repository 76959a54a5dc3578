package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The multi-process cluster tests: a `conflux broker` process and several
// `conflux worker` processes of one Connect cluster on loopback, killed and
// restarted with signals, driven only through their REST APIs.

// clusterTiming is the group timing of a process cluster.
type clusterTiming struct {
	session, heartbeat time.Duration
}

// testTiming keeps the tests quick: the broker accepts sessions this short.
var testTiming = clusterTiming{session: 3 * time.Second, heartbeat: 300 * time.Millisecond}

// procCluster is a broker process and the worker processes of one Connect
// cluster on it.
type procCluster struct {
	bin, dir, bootstrap string
	timing              clusterTiming
	static              bool
	replication         int           // of the internal topics: 1 on Conflux's broker
	workers             []*workerProc // by index; a killed worker stays until restarted
}

// workerProc is one `conflux worker` process.
type workerProc struct {
	index  int
	rest   string // host:port, which is also the worker's id
	cmd    *exec.Cmd
	done   chan struct{}
	err    error // valid once done is closed
	stderr *lockedBuffer
}

// base returns the worker's REST base URL.
func (w *workerProc) base() string { return "http://" + w.rest }

// newProcCluster starts a broker process whose group settings allow the
// timing's session timeout and start no group with a delay.
func newProcCluster(tb testing.TB, bin string, timing clusterTiming, static bool) *procCluster {
	tb.Helper()
	dir := tb.TempDir()
	server := filepath.Join(dir, "server.properties")
	if err := os.WriteFile(server, []byte("group.initial.rebalance.delay.ms=0\ngroup.min.session.timeout.ms=1000\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	addr := freeAddr(tb)
	cmd, _ := startBroker(tb, bin, filepath.Join(dir, "data"), addr, "--config", server)
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return &procCluster{bin: bin, dir: dir, bootstrap: addr, timing: timing, static: static}
}

// props returns worker i's worker.properties.
func (c *procCluster) props(i int) string {
	lines := []string{
		"bootstrap.servers=" + c.bootstrap,
		"group.id=e2e-cluster",
		"config.storage.topic=e2e-configs", "offset.storage.topic=e2e-offsets", "status.storage.topic=e2e-status",
		fmt.Sprintf("config.storage.replication.factor=%d", max(c.replication, 1)),
		fmt.Sprintf("offset.storage.replication.factor=%d", max(c.replication, 1)),
		fmt.Sprintf("status.storage.replication.factor=%d", max(c.replication, 1)),
		"key.converter=org.apache.kafka.connect.json.JsonConverter",
		"value.converter=org.apache.kafka.connect.json.JsonConverter",
		"offset.flush.interval.ms=500",
		"scheduled.rebalance.max.delay.ms=0",
		fmt.Sprintf("session.timeout.ms=%d", c.timing.session.Milliseconds()),
		fmt.Sprintf("heartbeat.interval.ms=%d", c.timing.heartbeat.Milliseconds()),
	}
	if c.static {
		lines = append(lines, fmt.Sprintf("group.instance.id=e2e-worker-%d", i))
	}
	return strings.Join(lines, "\n") + "\n"
}

// start starts worker i, on its earlier REST address if it ran before, and
// waits until its /health answers 200.
func (c *procCluster) start(tb testing.TB, i int) *workerProc {
	tb.Helper()
	for len(c.workers) <= i {
		c.workers = append(c.workers, nil)
	}
	rest := freeAddr(tb)
	if old := c.workers[i]; old != nil {
		rest = old.rest
	}
	file := filepath.Join(c.dir, fmt.Sprintf("worker-%d.properties", i))
	if err := os.WriteFile(file, []byte(c.props(i)), 0o644); err != nil {
		tb.Fatal(err)
	}
	w := &workerProc{index: i, rest: rest, done: make(chan struct{}), stderr: &lockedBuffer{}}
	w.cmd = exec.Command(c.bin, "worker", file, "--rest", rest, "--log-level", "info")
	w.cmd.Stderr = w.stderr
	if err := w.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() {
		w.err = w.cmd.Wait()
		close(w.done)
	}()
	tb.Cleanup(func() {
		w.kill()
		if tb.Failed() {
			tb.Logf("worker %d (%s) log:\n%s", i, rest, w.stderr)
		}
	})
	c.workers[i] = w
	client := &http.Client{Timeout: 5 * time.Second}
	pollUntil(tb, e2eWait, fmt.Sprintf("worker %d to answer GET /health", i), func() (bool, string) {
		select {
		case <-w.done:
			tb.Fatalf("worker %d exited: %v\n%s", i, w.err, w.stderr)
		default:
		}
		resp, err := client.Get(w.base() + "/health")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return w
}

// kill sends SIGKILL unless the process has ended, and waits for it.
func (w *workerProc) kill() {
	select {
	case <-w.done:
	default:
		w.cmd.Process.Signal(syscall.SIGKILL)
		<-w.done
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (w *workerProc) stop(tb testing.TB) {
	tb.Helper()
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(e2eWait):
		w.kill()
		tb.Fatalf("worker %d did not stop within %v of SIGTERM", w.index, e2eWait)
	}
	if w.err != nil {
		tb.Fatalf("worker %d exited with %v after SIGTERM\n%s", w.index, w.err, w.stderr)
	}
}

// alive returns the workers whose processes run.
func (c *procCluster) alive() []*workerProc {
	var out []*workerProc
	for _, w := range c.workers {
		if w == nil {
			continue
		}
		select {
		case <-w.done:
		default:
			out = append(out, w)
		}
	}
	return out
}

// call sends one REST request to a worker.
func call(tb testing.TB, base, method, path, body string) (int, string) {
	tb.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// taskStatus is the part of a connector status the tests read.
type taskStatus struct {
	Connector struct {
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
	} `json:"connector"`
	Tasks []struct {
		ID       int    `json:"id"`
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
	} `json:"tasks"`
}

// placement reads a connector's status from a live worker and returns,
// when all n tasks run on live workers, which worker runs each task.
func (c *procCluster) placement(tb testing.TB, name string, n int) (map[int]string, bool, string) {
	tb.Helper()
	live := c.alive()
	if len(live) == 0 {
		return nil, false, "no live worker"
	}
	code, body := call(tb, live[0].base(), http.MethodGet, "/connectors/"+name+"/status", "")
	var st taskStatus
	if code != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil {
		return nil, false, fmt.Sprintf("%d %s", code, body)
	}
	// A worker that died says RUNNING until others take over: only live
	// workers count.
	running := map[string]bool{}
	for _, w := range live {
		running[w.rest] = true
	}
	out := make(map[int]string, len(st.Tasks))
	for _, ts := range st.Tasks {
		if ts.State != "RUNNING" || !running[ts.WorkerID] {
			return nil, false, body
		}
		out[ts.ID] = ts.WorkerID
	}
	return out, len(out) == n && st.Connector.State == "RUNNING" && running[st.Connector.WorkerID], body
}

// tasksOn returns the ids of the tasks place puts on worker id, sorted.
func tasksOn(place map[int]string, id string) []int {
	var out []int
	for task, w := range place {
		if w == id {
			out = append(out, task)
		}
	}
	slices.Sort(out)
	return out
}

// producingTasks returns the tasks of connector name that have written
// records on worker w, from its /metrics, sorted.
func producingTasks(tb testing.TB, w *workerProc, name string) []int {
	tb.Helper()
	code, body := call(tb, w.base(), http.MethodGet, "/metrics", "")
	if code != http.StatusOK {
		return nil
	}
	var out []int
	prefix := `conflux_source_record_write_total{connector="` + name + `",task="`
	for line := range strings.Lines(body) {
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		task, value, ok := strings.Cut(rest, `"} `)
		n, err := strconv.Atoi(task)
		if v, verr := strconv.ParseFloat(strings.TrimSpace(value), 64); ok && err == nil && verr == nil && v > 0 {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// slowWait is how long a wait of pollUntil may take before the test logs
// it, to show where a slow run spent its time.
const slowWait = 5 * time.Second

// pollUntil polls cond until it holds, failing after timeout with its last
// detail.
func pollUntil(tb testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	tb.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		ok, detail := cond()
		if ok {
			if took := time.Since(start); took > slowWait {
				tb.Logf("%s took %v", what, took.Round(time.Millisecond))
			}
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("waited %v for %s: %s", timeout, what, detail)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// createTopicE2E creates the topic the datagen tasks write to, with three
// partitions and the given replication factor.
func createTopicE2E(tb testing.TB, bootstrap, topic string, replication int16) {
	tb.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(bootstrap, ",")...))
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopic(tb.Context(), 3, replication, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		tb.Fatal(err)
	}
}

// genConnector is a datagen connector with n tasks.
func genConnector(name string, n int) string {
	return fmt.Sprintf(`{"name":%q,"config":{"connector.class":"datagen","kafka.topic":"users","quickstart":"users","tasks.max":"%d","max.interval":"100"}}`, name, n)
}

// startProcCluster starts n workers with a datagen connector of tasks
// tasks created through the last worker (a follower) and waits until every
// task runs on some worker.
func startProcCluster(tb testing.TB, bin string, timing clusterTiming, static bool, n, tasks int) *procCluster {
	tb.Helper()
	c := newProcCluster(tb, bin, timing, static)
	createTopicE2E(tb, c.bootstrap, "users", 1)
	for i := range n {
		c.start(tb, i)
	}
	pollUntil(tb, e2eWait, "the connector created through a follower", func() (bool, string) {
		code, body := call(tb, c.workers[n-1].base(), http.MethodPost, "/connectors", genConnector("gen", tasks))
		return code == http.StatusCreated, fmt.Sprintf("%d %s", code, body)
	})
	pollUntil(tb, e2eWait, "every task running, on every worker", func() (bool, string) {
		place, ok, detail := c.placement(tb, "gen", tasks)
		if !ok {
			return false, detail
		}
		for _, w := range c.workers {
			if len(tasksOn(place, w.rest)) == 0 {
				return false, "worker " + w.rest + " runs no task: " + detail
			}
		}
		return true, ""
	})
	return c
}

// killAndRecover SIGKILLs worker i and, with restart, starts it again at
// once; it returns how long after the kill every task ran again — on the
// restarted worker the tasks it had, without restart on the others.
func (c *procCluster) killAndRecover(tb testing.TB, i, tasks int, restart bool) time.Duration {
	tb.Helper()
	victim := c.workers[i]
	before, _, _ := c.placement(tb, "gen", tasks)
	had := tasksOn(before, victim.rest)
	start := time.Now()
	victim.kill()
	if restart {
		c.start(tb, i)
	}
	pollUntil(tb, e2eWait, fmt.Sprintf("the tasks of killed worker %d running again", i), func() (bool, string) {
		place, ok, detail := c.placement(tb, "gen", tasks)
		if !ok {
			return false, detail
		}
		if restart {
			// The statuses of the dead process still name the worker:
			// only the new process's own counters show it runs the tasks.
			on := tasksOn(place, victim.rest)
			producing := producingTasks(tb, c.workers[i], "gen")
			ok := slices.Equal(on, had) && slices.Equal(producing, had)
			return ok, fmt.Sprintf("restarted worker has %v in the statuses and produces for %v; had %v", on, producing, had)
		}
		return len(tasksOn(place, victim.rest)) == 0, detail
	})
	return time.Since(start)
}

// freezeAndThaw stops worker i with SIGSTOP past its session timeout, as a
// long pause would, and checks that its tasks run elsewhere within session
// timeout + 2 s; after SIGCONT the zombie must give up what it ran, so
// that in the end what each worker runs matches the statuses, and it must
// never have overwritten a status a later generation wrote.
func (c *procCluster) freezeAndThaw(t *testing.T, i int, name string, tasks int) {
	t.Helper()
	zombie := c.workers[i]
	start := time.Now()
	if err := zombie.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer zombie.cmd.Process.Signal(syscall.SIGCONT)
	// The frozen process cannot answer: read from the others only.
	others := &procCluster{workers: slices.DeleteFunc(slices.Clone(c.workers), func(w *workerProc) bool { return w == zombie })}
	pollUntil(t, e2eWait, "the frozen worker's tasks running elsewhere", func() (bool, string) {
		place, ok, detail := others.placement(t, name, tasks)
		return ok && len(tasksOn(place, zombie.rest)) == 0, detail
	})
	took := time.Since(start)
	t.Logf("SIGSTOPped worker: its tasks ran elsewhere after %v", took)
	if limit := c.timing.session + 2*time.Second; took > limit {
		t.Errorf("a frozen worker's tasks ran elsewhere after %v, more than session timeout + 2 s (%v)", took, limit)
	}
	if err := zombie.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, e2eWait, "every worker running exactly the tasks the statuses give it", func() (bool, string) {
		place, ok, detail := c.placement(t, name, tasks)
		if !ok {
			return false, detail
		}
		for _, w := range c.alive() {
			if got, want := assignedTasks(t, w, name), tasksOn(place, w.rest); !slices.Equal(got, want) {
				return false, fmt.Sprintf("worker %s is assigned %v, the statuses give it %v", w.rest, got, want)
			}
		}
		return true, ""
	})
	checkStatusGenerations(t, c.bootstrap, "e2e-status")
}

// assignedTasks returns the tasks of connector name that worker w was
// assigned in its last rebalance, from its console's cluster view.
func assignedTasks(tb testing.TB, w *workerProc, name string) []int {
	tb.Helper()
	code, body := call(tb, w.base(), http.MethodGet, "/ui/api/cluster", "")
	var view struct {
		Assigned struct {
			Tasks []struct {
				Connector string `json:"connector"`
				Task      int    `json:"task"`
			} `json:"tasks"`
		} `json:"assigned"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &view) != nil {
		return nil
	}
	var out []int
	for _, id := range view.Assigned.Tasks {
		if id.Connector == name {
			out = append(out, id.Task)
		}
	}
	slices.Sort(out)
	return out
}

// checkStatusGenerations reads the whole status topic and fails if a
// worker replaced the status another worker wrote in a later generation:
// Kafka Connect's rule, which keeps a zombie from overwriting the state
// its successor reported.
func checkStatusGenerations(t *testing.T, bootstrap, topic string) {
	t.Helper()
	type written struct {
		WorkerID   string `json:"worker_id"`
		Generation int32  `json:"generation"`
		State      string `json:"state"`
	}
	last := map[string]written{}
	for _, r := range readAllRecords(t, bootstrap, topic) {
		key := string(r.Key)
		if r.Value == nil {
			delete(last, key)
			continue
		}
		var w written
		if err := json.Unmarshal(r.Value, &w); err != nil || w.WorkerID == "" {
			continue // topic records and the like
		}
		if prev, ok := last[key]; ok && prev.WorkerID != w.WorkerID && w.Generation < prev.Generation {
			t.Errorf("%s: %s of generation %d replaced %s of generation %d (%s over %s)",
				key, w.WorkerID, w.Generation, prev.WorkerID, prev.Generation, w.State, prev.State)
		}
		last[key] = w
	}
}

// readAllRecords reads every partition of a topic from its start to its
// current end.
func readAllRecords(tb testing.TB, bootstrap, topic string) []*kgo.Record {
	tb.Helper()
	ctx := tb.Context()
	admin, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(bootstrap, ",")...))
	if err != nil {
		tb.Fatal(err)
	}
	ends, err := kadm.NewClient(admin).ListEndOffsets(ctx, topic)
	admin.Close()
	if err != nil || ends.Error() != nil {
		tb.Fatalf("end offsets of %s: %v %v", topic, err, ends.Error())
	}
	want := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			want[o.Partition] = o.Offset
		}
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(bootstrap, ",")...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			tb.Fatalf("reading %s: %v", topic, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := want[r.Partition]; ok && r.Offset < end {
				out = append(out, r)
				if r.Offset+1 >= end {
					delete(want, r.Partition)
				}
			}
		})
	}
	return out
}

// TestWorkerClusterE2E runs three worker processes: create, restart and
// delete through a follower; a SIGKILLed static member restarted at once
// gets its tasks back well within the session timeout; a SIGKILLed worker's
// tasks run elsewhere within session timeout + 2 s, and so do those of a
// worker frozen with SIGSTOP, which gives them up once thawed; a worker
// stopped with SIGTERM hands its tasks over at once.
func TestWorkerClusterE2E(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("runs a broker and three worker processes")
	}
	const tasks = 6
	c := startProcCluster(t, buildConflux(t), testTiming, true, 3, tasks)
	follower := c.workers[2].base()

	if code, body := call(t, follower, http.MethodPost, "/connectors/gen/restart?includeTasks=true", ""); code != http.StatusAccepted {
		t.Errorf("restart with tasks through a follower: %d %s, want 202", code, body)
	}
	place, _, _ := c.placement(t, "gen", tasks)
	for task, owner := range place {
		if owner != c.workers[2].rest {
			if code, body := call(t, follower, http.MethodPost, fmt.Sprintf("/connectors/gen/tasks/%d/restart", task), ""); code != http.StatusNoContent {
				t.Errorf("restart of task %d (on %s) through another worker: %d %s, want 204", task, owner, code, body)
			}
			break
		}
	}
	if code, body := call(t, follower, http.MethodPost, "/connectors", genConnector("gen", tasks)); code != http.StatusConflict {
		t.Errorf("second create through a follower: %d %s, want 409", code, body)
	}
	pollUntil(t, e2eWait, "every task running after the restarts", func() (bool, string) {
		_, ok, detail := c.placement(t, "gen", tasks)
		return ok, detail
	})

	took := c.killAndRecover(t, 1, tasks, true)
	t.Logf("static member SIGKILLed and restarted: its tasks ran again after %v", took)
	if took >= c.timing.session {
		t.Errorf("a restarted static member got its tasks back after %v, not before the session timeout %v", took, c.timing.session)
	}
	took = c.killAndRecover(t, 1, tasks, false)
	t.Logf("SIGKILLed worker: its tasks ran elsewhere after %v", took)
	if limit := c.timing.session + 2*time.Second; took > limit {
		t.Errorf("a killed worker's tasks ran elsewhere after %v, more than session timeout + 2 s (%v)", took, limit)
	}

	c.start(t, 1)
	pollUntil(t, e2eWait, "the restarted worker running tasks again", func() (bool, string) {
		place, ok, detail := c.placement(t, "gen", tasks)
		return ok && len(tasksOn(place, c.workers[1].rest)) > 0, detail
	})
	c.freezeAndThaw(t, 1, "gen", tasks)

	leaver := c.workers[0]
	start := time.Now()
	leaver.stop(t)
	pollUntil(t, e2eWait, "the stopped worker's tasks on the others", func() (bool, string) {
		place, ok, detail := c.placement(t, "gen", tasks)
		return ok && len(tasksOn(place, leaver.rest)) == 0, detail
	})
	took = time.Since(start)
	t.Logf("SIGTERMed worker: its tasks ran elsewhere after %v", took)
	if took >= c.timing.session {
		t.Errorf("a clean leave handed its tasks over after %v, not before the session timeout %v", took, c.timing.session)
	}

	if code, body := call(t, follower, http.MethodDelete, "/connectors/gen", ""); code != http.StatusNoContent {
		t.Errorf("delete through the last worker: %d %s, want 204", code, body)
	}
	if code, body := call(t, follower, http.MethodGet, "/connectors/gen", ""); code != http.StatusNotFound {
		t.Errorf("GET of the deleted connector: %d %s, want 404", code, body)
	}
}

// BenchmarkWorkerFailover measures, on three worker processes with Kafka
// Connect's default group timing (session.timeout.ms=10000,
// heartbeat.interval.ms=3000) and scheduled.rebalance.max.delay.ms=0, the
// time from SIGKILL of a worker running 2 of 6 tasks until they run again:
// restarted at once (restart) or on the other workers (kill), with static
// (group.instance.id) or dynamic membership. Run it with -benchtime=3x.
func BenchmarkWorkerFailover(b *testing.B) {
	bin := buildConflux(b)
	timing := clusterTiming{session: 10 * time.Second, heartbeat: 3 * time.Second}
	for _, membership := range []string{"dynamic", "static"} {
		for _, restart := range []bool{true, false} {
			name := membership + "/kill"
			if restart {
				name = membership + "/restart"
			}
			b.Run(name, func(b *testing.B) {
				const tasks = 6
				c := startProcCluster(b, bin, timing, membership == "static", 3, tasks)
				var total time.Duration
				for range b.N {
					total += c.killAndRecover(b, 1, tasks, restart)
					if !restart {
						b.StopTimer()
						c.start(b, 1)
						pollUntil(b, e2eWait, "the worker back with tasks", func() (bool, string) {
							place, ok, detail := c.placement(b, "gen", tasks)
							return ok && len(tasksOn(place, c.workers[1].rest)) > 0, detail
						})
						b.StartTimer()
					}
				}
				b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-recover")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
