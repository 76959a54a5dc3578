package runtime_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"conflux/configs"
	"conflux/runtime/cluster"
)

// TestWorkerFencedByInstanceID starts a second worker with the first
// one's group.instance.id: the newcomer takes the place in the group, the
// first stops its work and its Run ends with ErrFatalGroupError, and the
// connector runs on the second.
func TestWorkerFencedByInstanceID(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, map[string]string{configs.KeyGroupInstanceID: "shared-id"})
	first := c.startWorker(t)
	_, id := newSourceProbe(t, "fenced", 1<<40)
	createConnector(t, first, "src", map[string]string{"connector.class": probeSourceClass, "probe": id, "tasks.max": "1"})
	waitStates(t, first, "src", "RUNNING RUNNING")

	second := c.startWorker(t)
	select {
	case err := <-first.done:
		first.once.Do(func() {}) // Run has returned: nothing left to stop
		if !errors.Is(err, cluster.ErrFatalGroupError) {
			t.Fatalf("the fenced worker's Run returned %v, want ErrFatalGroupError", err)
		}
	case <-time.After(waitFor):
		t.Fatalf("the first worker still runs %v after another took its group.instance.id", waitFor)
	}
	eventually(t, "the connector and its task on the second worker", func() error {
		st, err := second.ConnectorStatus(ctxT(t), "src")
		if err != nil {
			return err
		}
		if states(st) != "RUNNING RUNNING" || st.Connector.WorkerID != second.ID() || st.Tasks[0].WorkerID != second.ID() {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
}
