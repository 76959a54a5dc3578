package runtime_test

import (
	"fmt"
	"slices"
	"testing"

	"conflux/runtime"
)

// TestWorkerMembership checks what a worker reports of its place in the
// cluster: nothing before it joins, then its generation, that it leads a
// cluster of one, and the connector and tasks assigned to it; a second
// worker sees the same leader, and the work is split between the two.
func TestWorkerMembership(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, nil)
	w := c.startWorker(t)
	var first runtime.Membership
	eventually(t, "the first assignment", func() error {
		first = w.Membership()
		if first.Generation < 0 {
			return fmt.Errorf("generation %d", first.Generation)
		}
		return nil
	})
	if first.WorkerID != w.ID() || first.URL != "http://"+w.ID() || !first.Leader || first.LeaderURL != first.URL || first.Protocol == "" {
		t.Errorf("membership of a lone worker %+v, want itself as leader", first)
	}

	_, id := newSourceProbe(t, "members", 1<<40)
	createConnector(t, w, "src", map[string]string{"connector.class": probeSourceClass, "probe": id, "tasks.max": "1"})
	waitStates(t, w, "src", "RUNNING RUNNING")
	eventually(t, "the connector and its task in the assignment", func() error {
		m := w.Membership()
		if !slices.Equal(m.Connectors, []string{"src"}) || !slices.Equal(m.Tasks, []runtime.TaskID{{Connector: "src", Task: 0}}) {
			return fmt.Errorf("assigned %v %v", m.Connectors, m.Tasks)
		}
		if m.Generation <= first.Generation {
			return fmt.Errorf("generation %d, want past %d", m.Generation, first.Generation)
		}
		return nil
	})

	w2 := c.startWorker(t)
	eventually(t, "both workers in one generation, led by the first", func() error {
		m1, m2 := w.Membership(), w2.Membership()
		if m1.Generation != m2.Generation || m2.Leader || !m1.Leader || m2.LeaderURL != m1.URL {
			return fmt.Errorf("first %+v, second %+v", m1, m2)
		}
		if n := len(m1.Connectors) + len(m1.Tasks) + len(m2.Connectors) + len(m2.Tasks); n != 2 {
			return fmt.Errorf("%d units assigned in all, want the connector and its task", n)
		}
		return nil
	})
}
