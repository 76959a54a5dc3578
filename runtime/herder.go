package runtime

import (
	"context"
	"strconv"

	"conflux/connectors"
)

// Herder is the worker cluster as the REST API and the CLI see it: every
// operation of Kafka Connect's REST API. Implementations route writes to the
// group leader and answer reads from the local view of the internal topics.
// All methods are safe for concurrent use and honour ctx.
type Herder interface {
	// Connectors lists connector names, sorted.
	Connectors(ctx context.Context) ([]string, error)
	// ConnectorInfo returns a connector's config and task ids.
	ConnectorInfo(ctx context.Context, name string) (ConnectorInfo, error)
	// ConnectorConfig returns the config as stored (placeholders unresolved).
	ConnectorConfig(ctx context.Context, name string) (map[string]string, error)
	// PutConnectorConfig creates or (if allowReplace) replaces a connector
	// after validating config; created reports which. initialState applies
	// to new connectors only ("" = RUNNING).
	PutConnectorConfig(ctx context.Context, name string, config map[string]string, allowReplace bool, initialState TargetState) (info ConnectorInfo, created bool, err error)
	// PatchConnectorConfig merges patch into an existing config; a nil
	// value removes the key.
	PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (ConnectorInfo, error)
	// DeleteConnector removes a connector; its source offsets are kept.
	DeleteConnector(ctx context.Context, name string) error
	// ConnectorStatus returns the connector's and its tasks' states.
	ConnectorStatus(ctx context.Context, name string) (ConnectorStateInfo, error)
	// TaskStatus returns one task's state.
	TaskStatus(ctx context.Context, name string, task int) (TaskState, error)
	// TaskConfigs returns the connector's current task configs.
	TaskConfigs(ctx context.Context, name string) ([]TaskInfo, error)
	// RestartConnector restarts the connector and, with includeTasks, its
	// tasks (only the failed ones with onlyFailed). It returns nil state for
	// a plain connector restart (REST 204), else the instances being
	// restarted marked RESTARTING (REST 202).
	RestartConnector(ctx context.Context, name string, includeTasks, onlyFailed bool) (*ConnectorStateInfo, error)
	// RestartTask restarts one task.
	RestartTask(ctx context.Context, name string, task int) error
	// SetTargetState pauses, resumes or stops a connector.
	SetTargetState(ctx context.Context, name string, state TargetState) error
	// ConnectorTopics lists the topics a connector has used.
	ConnectorTopics(ctx context.Context, name string) ([]string, error)
	// ResetConnectorTopics forgets the topics a connector has used.
	ResetConnectorTopics(ctx context.Context, name string) error
	// ConnectorOffsets returns a connector's committed offsets.
	ConnectorOffsets(ctx context.Context, name string) (ConnectorOffsets, error)
	// AlterConnectorOffsets changes the offsets of a STOPPED connector; a nil
	// offset removes a partition's offset. It returns the success message.
	AlterConnectorOffsets(ctx context.Context, name string, offsets ConnectorOffsets) (string, error)
	// ResetConnectorOffsets removes every offset of a STOPPED connector.
	ResetConnectorOffsets(ctx context.Context, name string) (string, error)
	// ClusterID returns the Kafka cluster id the worker is connected to.
	ClusterID() string
	// Healthy reports whether the worker has joined its cluster and read the
	// internal topics (nil), or why not.
	Healthy(ctx context.Context) error
}

// TargetState is the state a user asked a connector to be in.
type TargetState string

// Target states, as written to the config topic.
const (
	TargetStarted TargetState = "STARTED"
	TargetPaused  TargetState = "PAUSED"
	TargetStopped TargetState = "STOPPED"
)

// ConnectorType is "source", "sink" or "unknown", as in REST responses.
type ConnectorType string

// Connector types.
const (
	TypeSource  ConnectorType = "source"
	TypeSink    ConnectorType = "sink"
	TypeUnknown ConnectorType = "unknown"
)

// ConnectorInfo is Kafka Connect's ConnectorInfo entity.
type ConnectorInfo struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Tasks  []TaskID          `json:"tasks"`
	Type   ConnectorType     `json:"type"`
}

// TaskID names one task of a connector.
type TaskID struct {
	Connector string `json:"connector"`
	Task      int    `json:"task"`
}

// String returns "<connector>-<task>", as Kafka Connect prints a task id.
func (id TaskID) String() string { return id.Connector + "-" + strconv.Itoa(id.Task) }

// TaskInfo is a task's id and config, as in GET /connectors/{n}/tasks.
type TaskInfo struct {
	ID     TaskID            `json:"id"`
	Config map[string]string `json:"config"`
}

// State is a connector's or task's runtime status.
type State string

// Runtime states.
const (
	StateUnassigned State = "UNASSIGNED"
	StateRunning    State = "RUNNING"
	StatePaused     State = "PAUSED"
	StateFailed     State = "FAILED"
	StateRestarting State = "RESTARTING"
	StateStopped    State = "STOPPED"
)

// ConnectorStateInfo is Kafka Connect's status entity.
type ConnectorStateInfo struct {
	Name      string         `json:"name"`
	Connector ConnectorState `json:"connector"`
	Tasks     []TaskState    `json:"tasks"`
	Type      ConnectorType  `json:"type"`
}

// ConnectorState is the connector instance's status.
type ConnectorState struct {
	State    State  `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

// TaskState is one task's status.
type TaskState struct {
	ID       int    `json:"id"`
	State    State  `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
	// Snapshot is the progress of the task's snapshot, for a source task
	// that reports one (connectors.SnapshotReporter) and runs on the
	// worker answering; absent otherwise, so that Kafka Connect's clients,
	// which ignore unknown fields, read the rest unchanged.
	Snapshot *connectors.SnapshotProgress `json:"snapshot,omitempty"`
}

// ConnectorOffsets is the body of GET/PATCH /connectors/{n}/offsets.
type ConnectorOffsets struct {
	Offsets []PartitionOffset `json:"offsets"`
}

// PartitionOffset is one partition's offset; Offset nil means "remove".
type PartitionOffset struct {
	Partition map[string]any `json:"partition"`
	Offset    map[string]any `json:"offset"`
}
