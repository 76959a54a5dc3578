package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The end-to-end data check of a worker cluster: a datagen source whose
// tasks number their records and an HTTP sink with several tasks, on three
// worker processes that are joined by a fourth, SIGKILLed, frozen and
// stopped while the data flows; every record must reach the HTTP server,
// with duplicates only within what one offset flush interval can repeat.

const (
	seqTasks   = 4    // source tasks
	seqRecords = 2500 // records per source task
	seqRate    = 500  // records a second per source task
	sinkTasks  = 3
	// flushInterval is the workers' offset.flush.interval.ms (props).
	flushInterval = 500 * time.Millisecond
)

// seqSchema numbers each task's records (seq) and tells the tasks apart
// with a random 62-bit tag drawn from each task's own seed.
const seqSchema = `{"name":"seq","fields":[{"name":"seq","type":"int64","generator":"iteration"},` +
	`{"name":"tag","type":"int64","range":{"min":0,"max":4000000000000000000}}]}`

// seqReceiver is the HTTP server the sink posts to: it counts every
// (seq, tag) it receives.
type seqReceiver struct {
	srv *httptest.Server

	mu    sync.Mutex
	seen  map[[2]int64]int
	total int
	bad   []string
}

func newSeqReceiver(t *testing.T) *seqReceiver {
	r := &seqReceiver{seen: map[[2]int64]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		sc := bufio.NewScanner(req.Body)
		var got [][2]int64
		for sc.Scan() {
			var rec struct{ Seq, Tag *int64 }
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.Seq == nil || rec.Tag == nil {
				r.mu.Lock()
				r.bad = append(r.bad, sc.Text())
				r.mu.Unlock()
				continue
			}
			got = append(got, [2]int64{*rec.Seq, *rec.Tag})
		}
		r.mu.Lock()
		for _, k := range got {
			r.seen[k]++
			r.total++
		}
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// progress returns how many distinct records arrived, and in all.
func (r *seqReceiver) progress() (distinct, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen), r.total
}

// check fails unless every task's every seq arrived: each seq under
// seqTasks distinct tags (one per task). It returns the duplicates.
func (r *seqReceiver) check(t *testing.T) int {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bad {
		t.Errorf("the sink posted a line that is not a record of the source: %q", b)
	}
	tags := map[int64]int{}
	for k := range r.seen {
		tags[k[0]]++
	}
	for seq := range int64(seqRecords) {
		if tags[seq] != seqTasks {
			t.Errorf("seq %d arrived from %d tasks, want %d: records lost", seq, tags[seq], seqTasks)
		}
	}
	if len(r.seen) != seqTasks*seqRecords {
		t.Errorf("%d distinct records arrived, want %d", len(r.seen), seqTasks*seqRecords)
	}
	return r.total - len(r.seen)
}

// connectorJSON renders a connector creation request.
func connectorJSON(tb testing.TB, name string, config map[string]string) string {
	tb.Helper()
	b, err := json.Marshal(map[string]any{"name": name, "config": config})
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// runDataScenario runs the scenario on c, whose broker or cluster is up
// and has no workers yet; disrupt, if set, is called while the data flows
// (to move partition leaders and coordinators, say).
// cleanStop adds a worker stopped with SIGTERM at the end.
func runDataScenario(t *testing.T, c *procCluster, replication int16, disrupt func(), cleanStop bool) {
	recv := newSeqReceiver(t)
	createTopicE2E(t, c.bootstrap, "seq", replication)
	for i := range 3 {
		c.start(t, i)
	}
	follower := c.workers[2].base()
	source := connectorJSON(t, "seqgen", map[string]string{
		"connector.class": "datagen", "kafka.topic": "seq", "schema.string": seqSchema,
		"tasks.max": fmt.Sprint(seqTasks), "iterations": fmt.Sprint(seqRecords), "rate": fmt.Sprint(seqRate),
	})
	sink := connectorJSON(t, "seqsink", map[string]string{
		"connector.class": "http", "topics": "seq", "tasks.max": fmt.Sprint(sinkTasks),
		"http.url": recv.srv.URL, "request.body.format": "ndjson", "batch.linger.ms": "10",
	})
	for _, body := range []string{source, sink} {
		pollUntil(t, e2eWait, "a connector created through a follower", func() (bool, string) {
			code, resp := call(t, follower, http.MethodPost, "/connectors", body)
			return code == http.StatusCreated, fmt.Sprintf("%d %s", code, resp)
		})
	}
	running := func(what string) {
		t.Helper()
		pollUntil(t, e2eWait, what, func() (bool, string) {
			_, srcOK, detail := c.placement(t, "seqgen", seqTasks)
			_, sinkOK, sinkDetail := c.placement(t, "seqsink", sinkTasks)
			return srcOK && sinkOK, detail + " " + sinkDetail
		})
	}
	running("both connectors running")
	arrived := func(what string, n int) {
		t.Helper()
		pollUntil(t, e2eWait, what, func() (bool, string) {
			d, total := recv.progress()
			return d >= n, fmt.Sprintf("%d distinct of %d records arrived", d, total)
		})
	}
	step := seqTasks * seqRecords / 6
	disruptions := 0

	arrived("records flowing", step)
	c.start(t, 3) // a fourth worker joins
	running("both connectors running with a fourth worker")
	if disrupt != nil {
		disrupt()
		disruptions++
	}
	arrived("records flowing after the fourth worker joined", 2*step)
	c.workers[1].kill()
	disruptions++
	running("both connectors running after a SIGKILL")
	arrived("records flowing after the SIGKILL", 3*step)
	c.freezeAndThaw(t, 2, "seqgen", seqTasks)
	disruptions++
	running("both connectors running after a SIGSTOP")
	if cleanStop {
		c.workers[0].stop(t)
		disruptions++
		running("both connectors running after a clean stop")
	}
	arrived("every record", seqTasks*seqRecords)

	dups := recv.check(t)
	// A disruption may repeat what the source tasks produced since their
	// last offset flush and what the sink tasks delivered since their last
	// consumer-offset commit: one flush interval of the source's whole rate
	// on each side.
	perFlush := int(seqTasks * seqRate * flushInterval.Seconds())
	limit := disruptions * 2 * perFlush
	t.Logf("%d records, %d duplicates after %d disruptions (bound %d)", seqTasks*seqRecords, dups, disruptions, limit)
	if dups > limit {
		t.Errorf("%d duplicates after %d disruptions, more than one offset flush interval each can repeat (%d)", dups, disruptions, limit)
	}

	if code, body := call(t, c.workers[3].base(), http.MethodDelete, "/connectors/seqsink", ""); code != http.StatusNoContent {
		t.Errorf("delete through a follower: %d %s", code, body)
	}
}

// TestWorkerClusterData runs the data scenario on a Conflux broker process.
func TestWorkerClusterData(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("runs a broker and four worker processes")
	}
	c := newProcCluster(t, buildConflux(t), testTiming, false)
	runDataScenario(t, c, 1, nil, true)
	checkStatusGenerations(t, c.bootstrap, "e2e-status")
}

// kfakeTiming gives the workers on kfake Kafka's default session timeout.
// kfake, unlike Kafka, expires a member that waits in JoinGroup once its
// session timeout passes without a heartbeat, and leaves its join
// unanswered: with 3 s sessions, one worker taking a few seconds to stop
// revoked tasks made kfake drop the others, which then waited out their
// 65 s request timeout.
var kfakeTiming = clusterTiming{session: 10 * time.Second, heartbeat: time.Second}

// TestWorkerClusterDataOnKfake runs the data scenario unchanged on a
// three-broker Kafka cluster nobody here wrote (franz-go's kfake): internal
// topics with replication factor 3, and, while the data flows, a leader
// election of every partition (data and internal topics). (kfake's
// RehashCoordinators, which moves group coordinators, is left out: after
// it two workers each logged itself the leader of the same generation,
// which a single group state cannot produce; not understood yet.)
func TestWorkerClusterDataOnKfake(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("runs a three-broker cluster and four worker processes")
	}
	kf, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.AllowAutoTopicCreation(),
		kfake.GroupMinSessionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kf.Close)
	traceGroupRequests(t, kf)
	c := &procCluster{bin: buildConflux(t), dir: t.TempDir(), bootstrap: strings.Join(kf.ListenAddrs(), ","),
		timing: kfakeTiming, replication: 3}
	runDataScenario(t, c, 3, func() {
		before := kf.LeaderFor("e2e-configs", 0)
		kf.ShufflePartitionLeaders()
		t.Logf("elected new leaders of every partition (e2e-configs-0: node %d -> %d)", before, kf.LeaderFor("e2e-configs", 0))
	}, true)
	checkStatusGenerations(t, c.bootstrap, "e2e-status")
}

// traceGroupRequests records the group requests kfake receives (which
// broker, member, generation) and logs them if the test fails, to tell a
// coordinator's doing from a worker's.
func traceGroupRequests(t *testing.T, kf *kfake.Cluster) {
	var (
		mu    sync.Mutex
		lines []string
	)
	kf.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
		kf.KeepControl()
		var line string
		switch r := req.(type) {
		case *kmsg.JoinGroupRequest:
			line = fmt.Sprintf("join group=%s member=%s", r.Group, r.MemberID)
		case *kmsg.SyncGroupRequest:
			line = fmt.Sprintf("sync group=%s member=%s generation=%d assignments=%d", r.Group, r.MemberID, r.Generation, len(r.GroupAssignment))
		case *kmsg.HeartbeatRequest:
			line = fmt.Sprintf("heartbeat group=%s member=%s generation=%d", r.Group, r.MemberID, r.Generation)
		case *kmsg.LeaveGroupRequest:
			line = fmt.Sprintf("leave group=%s members=%d member=%s", r.Group, len(r.Members), r.MemberID)
		case *kmsg.FindCoordinatorRequest:
			line = fmt.Sprintf("find-coordinator %v %s", r.CoordinatorKeys, r.CoordinatorKey)
		default:
			return nil, nil, false
		}
		mu.Lock()
		lines = append(lines, fmt.Sprintf("%s node=%d %s", time.Now().Format("15:04:05.000"), kf.CurrentNode(), line))
		mu.Unlock()
		return nil, nil, false
	})
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		t.Logf("group requests kfake received:\n%s", strings.Join(lines, "\n"))
	})
}
