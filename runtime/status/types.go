package status

import (
	"strconv"
	"time"
)

// State is the runtime state of a connector or task, as Kafka Connect names
// it on the status topic and in its REST API.
type State string

// States. Connectors and tasks start UNASSIGNED and become RUNNING once a
// worker runs them; FAILED is left only by an explicit restart.
const (
	// Unassigned: no worker runs it (yet, or any more).
	Unassigned State = "UNASSIGNED"
	// Running: a worker runs it.
	Running State = "RUNNING"
	// Paused: its target state is PAUSED; tasks stay allocated.
	Paused State = "PAUSED"
	// Failed: it stopped on an error; Status.Trace says which.
	Failed State = "FAILED"
	// Restarting: a restart was requested and is under way.
	Restarting State = "RESTARTING"
	// Stopped: its target state is STOPPED (connectors only; a stopped
	// connector has no tasks).
	Stopped State = "STOPPED"
	// Destroyed: it was deleted. It is never stored: writing it writes a
	// tombstone, which removes the status.
	Destroyed State = "DESTROYED"
)

// Valid reports whether s is one of the states above.
func (s State) Valid() bool {
	switch s {
	case Unassigned, Running, Paused, Failed, Restarting, Stopped, Destroyed:
		return true
	}
	return false
}

// Status is the state of one connector or task as one worker reported it.
type Status struct {
	State State
	// Trace explains a FAILED state: the error and where it happened.
	// Empty is written as JSON null, as Kafka Connect writes a missing
	// trace.
	Trace string
	// WorkerID identifies the worker that wrote the status: its
	// advertised REST host:port.
	WorkerID string
	// Generation is the worker group's generation when the status was
	// written; it orders the claims of workers across rebalances.
	Generation int32
}

// CanBeReplacedBy reports whether writing next over s is "safe" in Kafka
// Connect's sense: next comes from the same worker, or from a generation no
// older than s's. It cannot rule out conflicts (writes in flight are not
// seen), it only narrows their window: a worker that lost a task in a
// rebalance does not overwrite the status written by its new owner.
func (s Status) CanBeReplacedBy(next Status) bool {
	return s.WorkerID == next.WorkerID || next.Generation >= s.Generation
}

// TaskID names one task of a connector; Task counts from 0.
type TaskID struct {
	Connector string
	Task      int
}

// String returns "<connector>-<task>", the form used in record keys and logs.
func (id TaskID) String() string {
	return id.Connector + "-" + strconv.Itoa(id.Task)
}

// TaskStatus is one task's status, as listed by [Store.Tasks].
type TaskStatus struct {
	ID TaskID
	Status
}

// TopicStatus records that a connector's task used a topic (KIP-558 topic
// tracking): a sink task consumed from it or a source task produced to it.
type TopicStatus struct {
	Topic     string
	Connector string
	// Task is the task that first used the topic.
	Task int
	// Discovered is when it first used it, with millisecond precision on
	// the topic.
	Discovered time.Time
}
