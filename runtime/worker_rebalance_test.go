package runtime_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"conflux/runtime/cluster"
)

// rebalanceTasks is the task count of the incremental rebalancing
// scenario: 4 per worker on three workers, 3 on four.
const rebalanceTasks = 12

// rebalanceStep is what one membership change did to the running tasks.
type rebalanceStep struct {
	moved     []int         // tasks that run on another worker afterwards
	restarted []int         // tasks started again, wherever they run
	took      time.Duration // until every task ran, balanced, on the new members
}

// taskStarts counts the starts of each probe task.
func taskStarts(p *sourceProbe) map[int]int {
	out := map[int]int{}
	for _, s := range p.startsSeen() {
		n, _ := strconv.Atoi(s.config["probe.task"])
		out[n]++
	}
	return out
}

// placementOf returns which worker each task of connector name is
// assigned to, from the workers' own memberships, and fails if a task is
// assigned twice.
func placementOf(ws []*testWorker, name string) (map[int]string, error) {
	out := map[int]string{}
	for _, w := range ws {
		for _, id := range w.Membership().Tasks {
			if id.Connector != name {
				continue
			}
			if other, dup := out[id.Task]; dup {
				return nil, fmt.Errorf("task %d assigned to both %s and %s", id.Task, other, w.ID())
			}
			out[id.Task] = w.ID()
		}
	}
	return out, nil
}

// awaitBalanced waits until the tasks of connector name are spread evenly
// over ws and all run, and returns the placement.
func awaitBalanced(t testing.TB, ws []*testWorker, name string) map[int]string {
	t.Helper()
	var place map[int]string
	want := "RUNNING" + strings.Repeat(" RUNNING", rebalanceTasks)
	eventually(t, fmt.Sprintf("%d tasks balanced over %d workers", rebalanceTasks, len(ws)), func() error {
		var err error
		if place, err = placementOf(ws, name); err != nil {
			return err
		}
		for _, w := range ws {
			if n := len(tasksOf(place, w.ID())); n != rebalanceTasks/len(ws) {
				return fmt.Errorf("worker %s has %d tasks (%v)", w.ID(), n, place)
			}
		}
		st, err := ws[0].ConnectorStatus(ctxT(t), name)
		if err != nil {
			return err
		}
		if got := states(st); got != want {
			return fmt.Errorf("status %s", got)
		}
		return nil
	})
	return place
}

// tasksOf returns the tasks place puts on worker id, sorted.
func tasksOf(place map[int]string, id string) []int {
	var out []int
	for task, w := range place {
		if w == id {
			out = append(out, task)
		}
	}
	slices.Sort(out)
	return out
}

// diffStep compares two placements and start counts.
func diffStep(before, after map[int]string, startsBefore, startsAfter map[int]int, took time.Duration) rebalanceStep {
	var s rebalanceStep
	for task := range rebalanceTasks {
		if before[task] != after[task] {
			s.moved = append(s.moved, task)
		}
		if startsAfter[task] != startsBefore[task] {
			s.restarted = append(s.restarted, task)
		}
	}
	s.took = took
	return s
}

// fourthWorker runs three workers with 12 tasks, adds a fourth, then stops
// it cleanly, and reports both steps.
func fourthWorker(t testing.TB) (join, leave rebalanceStep) {
	t.Helper()
	c := newTestCluster(t, nil)
	ws := []*testWorker{c.startWorker(t), c.startWorker(t), c.startWorker(t)}
	p, id := newSourceProbe(t, "balanced", 0)
	createConnector(t, ws[0], "src", map[string]string{"connector.class": probeSourceClass, "probe": id,
		"tasks.max": strconv.Itoa(rebalanceTasks), "probe.tasks": strconv.Itoa(rebalanceTasks)})
	before := awaitBalanced(t, ws, "src")
	starts := taskStarts(p)

	start := time.Now()
	ws = append(ws, c.startWorker(t))
	after := awaitBalanced(t, ws, "src")
	join = diffStep(before, after, starts, taskStarts(p), time.Since(start))

	starts = taskStarts(p)
	start = time.Now()
	ws[3].stop(t)
	ws = ws[:3]
	final := awaitBalanced(t, ws, "src")
	leave = diffStep(after, final, starts, taskStarts(p), time.Since(start))
	return join, leave
}

// TestWorkerIncrementalRebalance adds a fourth worker to three running 12
// tasks: exactly 3 tasks move to it, and only those restart. When it stops
// cleanly its 3 tasks go back to the others at once, long before its
// session would have expired, and again no other task restarts.
func TestWorkerIncrementalRebalance(t *testing.T) {
	t.Parallel()
	join, leave := fourthWorker(t)
	t.Logf("join: moved %v, restarted %v, balanced after %v; leave: moved %v, restarted %v, after %v",
		join.moved, join.restarted, join.took, leave.moved, leave.restarted, leave.took)
	if len(join.moved) != 3 || !slices.Equal(join.restarted, join.moved) {
		t.Errorf("a fourth worker joining moved tasks %v and restarted %v; want 3 moved, and only those restarted", join.moved, join.restarted)
	}
	if len(leave.moved) != 3 || !slices.Equal(leave.restarted, leave.moved) {
		t.Errorf("the fourth worker leaving moved tasks %v and restarted %v; want its 3, and only those restarted", leave.moved, leave.restarted)
	}
	// The test cluster's workers keep Kafka's default session timeout.
	if session := cluster.DefaultSessionTimeout; leave.took >= session {
		t.Errorf("a clean leave handed the tasks over after %v, not before the session timeout %v", leave.took, session)
	}
}

// BenchmarkFourthWorker reports, for a fourth worker joining three that
// run 12 tasks, the tasks moved and restarted and the time until the load
// is balanced, and the hand-over time when it stops cleanly. Each
// iteration builds a fresh cluster: run it with -benchtime=3x.
func BenchmarkFourthWorker(b *testing.B) {
	var moved, restarted int
	var joinTook, leaveTook time.Duration
	for range b.N {
		join, leave := fourthWorker(b)
		moved += len(join.moved)
		restarted += len(join.restarted)
		joinTook += join.took
		leaveTook += leave.took
	}
	n := float64(b.N)
	b.ReportMetric(float64(moved)/n, "tasks-moved")
	b.ReportMetric(float64(restarted)/n, "tasks-restarted")
	b.ReportMetric(float64(joinTook.Milliseconds())/n, "ms-to-balance")
	b.ReportMetric(float64(leaveTook.Milliseconds())/n, "ms-clean-handover")
	b.ReportMetric(0, "ns/op")
}
