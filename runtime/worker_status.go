package runtime

import (
	"context"
	"errors"
	"sync"
	"time"

	"conflux/runtime/status"
)

// statusOf builds the status record this worker writes.
func (w *Worker) statusOf(state State, cause error) status.Status {
	st := status.Status{State: status.State(state), WorkerID: w.id, Generation: w.generation.Load()}
	if state == StateFailed {
		st.Trace = trace(cause)
	}
	return st
}

// connectorState implements statusReporter: the write is queued, never
// waited for, as in Kafka Connect.
func (w *Worker) connectorState(name string, state State, cause error) {
	err := w.statuses.PutConnectorSafeAsync(name, w.statusOf(state, cause), w.statusWritten("connector", name))
	if err != nil {
		w.logger.Warn("cannot record connector status", "connector", name, "state", state, "error", err)
	}
}

// taskState implements statusReporter. The state is remembered, so that
// the worker can write it again if a late status of an earlier generation
// hides it (reclaimStatus).
func (w *Worker) taskState(id TaskID, state State, cause error) {
	st := w.statusOf(state, cause)
	w.reported.Store(id, st)
	err := w.statuses.PutTaskSafeAsync(status.TaskID(id), st, w.statusWritten("task", id.String()))
	if err != nil {
		w.logger.Warn("cannot record task status", "task", id, "state", state, "error", err)
	}
}

// inGroup is the status store's Current check: this worker writes
// statuses only while it may still be in its group. Once it has been out
// of touch with the coordinator for nearly its session timeout (a long
// pause, a network cut), another worker may run its work already, and what
// it still has to say about that work would replace newer statuses it has
// not read yet.
func (w *Worker) inGroup(status.Status) bool {
	return w.member == nil || w.member.InContact()
}

// onStatusChange is the status store's listener; it runs on the store's
// reading goroutine and only queues work.
func (w *Worker) onStatusChange(ch status.Change) {
	if ch.Kind != status.ChangeTask || ch.Removed || ch.Status.WorkerID == w.id || ch.Status.Generation >= w.generation.Load() {
		return
	}
	id := TaskID{Connector: ch.Connector, Task: ch.Task}
	w.queue.post(func() { w.reclaimStatus(id, ch.Status) })
}

// reclaimStatus writes again the status of a task this worker runs when
// another worker's status of an earlier generation replaced it: that
// worker's write (typically the UNASSIGNED of the task it handed over)
// was held up on its way to the topic until after this worker reported
// the task, and would otherwise leave the task looking unassigned while it
// runs here. Kafka's safe-write rule makes the rewrite win, and keeps it
// from ever replacing a later generation's status.
func (w *Worker) reclaimStatus(id TaskID, stale status.Status) {
	if _, runs := w.tasks[id]; !runs {
		return
	}
	v, ok := w.reported.Load(id)
	if !ok {
		return
	}
	mine := v.(status.Status)
	if mine.State == status.State(StateUnassigned) || mine.Generation <= stale.Generation {
		return
	}
	w.logger.Info("a status of an earlier generation hid this worker's; writing it again",
		"task", id, "state", mine.State, "stale_worker", stale.WorkerID, "stale_generation", stale.Generation)
	err := w.statuses.PutTaskSafeAsync(status.TaskID(id), mine, w.statusWritten("task", id.String()))
	if err != nil {
		w.logger.Warn("cannot record task status", "task", id, "state", mine.State, "error", err)
	}
}

// statusWritten returns the completion callback of a status write.
func (w *Worker) statusWritten(kind, name string) func(error) {
	return func(err error) {
		switch {
		case err == nil:
		case errors.Is(err, status.ErrSkipped):
			w.logger.Debug("status not written: a newer generation owns it", kind, name)
		default:
			w.logger.Warn("status write failed", kind, name, "error", err)
		}
	}
}

// connectorStatus returns a connector's recorded state.
func (w *Worker) connectorStatus(name string) (State, bool) {
	st, ok := w.statuses.Connector(name)
	return State(st.State), ok
}

// taskStatus returns a task's recorded state.
func (w *Worker) taskStatus(id TaskID) (State, bool) {
	st, ok := w.statuses.Task(status.TaskID(id))
	return State(st.State), ok
}

// taskTopics records the topics one task uses in the status topic (topic
// tracking): the first record of each topic writes it once.
type taskTopics struct {
	w     *Worker
	id    TaskID
	known sync.Map // topic -> struct{}
}

func (t *taskTopics) seen(topic string) {
	if _, ok := t.known.Load(topic); ok {
		return
	}
	if _, loaded := t.known.LoadOrStore(topic, struct{}{}); loaded {
		return
	}
	if _, ok := t.w.statuses.Topic(t.id.Connector, topic); ok {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := t.w.statuses.PutTopic(ctx, t.id.Connector, topic, t.id.Task, time.Now()); err != nil {
			t.w.logger.Warn("cannot record a connector's topic", "connector", t.id.Connector, "topic", topic, "error", err)
			t.known.Delete(topic)
		}
	}()
}

// noTopics is the tracker when topic.tracking.enable is false.
type noTopics struct{}

func (noTopics) seen(string) {}
