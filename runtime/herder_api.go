package runtime

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"conflux/configs"
	"conflux/connectors"
	"conflux/runtime/status"
)

// Messages of the offsets endpoints, in Kafka Connect's words, for
// connectors that do not manage offsets themselves.
const (
	AlteredOffsetsMessage = "The Connect framework-managed offsets for this connector have been altered successfully. " +
		"However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses."
	ResetOffsetsMessage = "The Connect framework-managed offsets for this connector have been reset successfully. " +
		"However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses."
)

var _ Herder = (*Worker)(nil)

// snapshot waits until the worker is ready, reads the config topic to its
// end (so that a write acknowledged anywhere is seen) and returns it.
func (w *Worker) snapshot(ctx context.Context) (configs.Snapshot, error) {
	if err := w.awaitReady(ctx); err != nil {
		return configs.Snapshot{}, err
	}
	if err := w.configs.Sync(ctx); err != nil {
		return configs.Snapshot{}, err
	}
	return w.configs.Snapshot(), nil
}

// connectorIn returns a connector's stored config, or ErrNotFound.
func connectorIn(snap configs.Snapshot, name string) (map[string]string, error) {
	cfg, ok := snap.Connectors[name]
	if !ok {
		return nil, fmt.Errorf("connector %s: %w", name, ErrNotFound)
	}
	return cfg, nil
}

// typeOf returns a connector config's type from its plugin.
func (w *Worker) typeOf(config map[string]string) ConnectorType {
	p, err := w.reg.Lookup(config[configs.KeyConnectorClass])
	if err != nil {
		return TypeUnknown
	}
	switch p.Type {
	case connectors.PluginSource:
		return TypeSource
	case connectors.PluginSink:
		return TypeSink
	}
	return TypeUnknown
}

func (w *Worker) info(snap configs.Snapshot, name string) ConnectorInfo {
	cfg := snap.Connectors[name]
	info := ConnectorInfo{Name: name, Config: maps.Clone(cfg), Tasks: []TaskID{}, Type: w.typeOf(cfg)}
	for i := range snap.Tasks[name] {
		info.Tasks = append(info.Tasks, TaskID{Connector: name, Task: i})
	}
	return info
}

// Connectors implements Herder.
func (w *Worker) Connectors(ctx context.Context) ([]string, error) {
	snap, err := w.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return snap.ConnectorNames(), nil
}

// ConnectorInfo implements Herder.
func (w *Worker) ConnectorInfo(ctx context.Context, name string) (ConnectorInfo, error) {
	snap, err := w.snapshot(ctx)
	if err != nil {
		return ConnectorInfo{}, err
	}
	if _, err := connectorIn(snap, name); err != nil {
		return ConnectorInfo{}, err
	}
	return w.info(snap, name), nil
}

// ConnectorConfig implements Herder.
func (w *Worker) ConnectorConfig(ctx context.Context, name string) (map[string]string, error) {
	snap, err := w.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := connectorIn(snap, name)
	return maps.Clone(cfg), err
}

// PutConnectorConfig implements Herder: the config is validated as Kafka
// Connect validates it, then written to the config topic.
func (w *Worker) PutConnectorConfig(ctx context.Context, name string, config map[string]string, allowReplace bool, initialState TargetState) (ConnectorInfo, bool, error) {
	snap, err := w.snapshot(ctx)
	if err != nil {
		return ConnectorInfo{}, false, err
	}
	_, exists := snap.Connectors[name]
	if exists && !allowReplace {
		return ConnectorInfo{}, false, fmt.Errorf("Connector %s already exists: %w", name, ErrAlreadyExists)
	}
	if err := w.validator.Check(ctx, config); err != nil {
		return ConnectorInfo{}, false, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	initial := configs.TargetState("")
	if !exists {
		initial = configs.TargetState(initialState)
	}
	if err := w.configs.PutConnectorConfig(ctx, name, config, initial); err != nil {
		return ConnectorInfo{}, false, err
	}
	info := w.info(snap, name)
	info.Config, info.Type = maps.Clone(config), w.typeOf(config)
	return info, !exists, nil
}

// PatchConnectorConfig implements Herder.
func (w *Worker) PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (ConnectorInfo, error) {
	snap, err := w.snapshot(ctx)
	if err != nil {
		return ConnectorInfo{}, err
	}
	current, err := connectorIn(snap, name)
	if err != nil {
		return ConnectorInfo{}, err
	}
	config := maps.Clone(current)
	for k, v := range patch {
		if v == nil {
			delete(config, k)
		} else {
			config[k] = *v
		}
	}
	info, _, err := w.PutConnectorConfig(ctx, name, config, true, "")
	return info, err
}

// DeleteConnector implements Herder; the connector's source offsets stay.
func (w *Worker) DeleteConnector(ctx context.Context, name string) error {
	snap, err := w.snapshot(ctx)
	if err != nil {
		return err
	}
	if _, err := connectorIn(snap, name); err != nil {
		return err
	}
	return w.configs.RemoveConnectorConfig(ctx, name)
}

// ConnectorStatus implements Herder, from the status topic.
func (w *Worker) ConnectorStatus(ctx context.Context, name string) (ConnectorStateInfo, error) {
	snap, err := w.snapshot(ctx)
	if err != nil {
		return ConnectorStateInfo{}, err
	}
	return w.connectorStatusIn(snap, name)
}

// connectorStatusIn is ConnectorStatus on a snapshot already read.
func (w *Worker) connectorStatusIn(snap configs.Snapshot, name string) (ConnectorStateInfo, error) {
	cfg, err := connectorIn(snap, name)
	if err != nil {
		return ConnectorStateInfo{}, err
	}
	st, ok := w.statuses.Connector(name)
	if !ok {
		return ConnectorStateInfo{}, fmt.Errorf("no status found for connector %s: %w", name, ErrNotFound)
	}
	info := ConnectorStateInfo{
		Name:      name,
		Connector: ConnectorState{State: State(st.State), WorkerID: st.WorkerID, Trace: st.Trace},
		Tasks:     []TaskState{},
		Type:      w.typeOf(cfg),
	}
	for i := range snap.Tasks[name] {
		if ts, ok := w.statuses.Task(status.TaskID{Connector: name, Task: i}); ok {
			info.Tasks = append(info.Tasks, w.taskStateOf(TaskID{Connector: name, Task: i}, ts))
		}
	}
	return info, nil
}

// TaskStatus implements Herder.
func (w *Worker) TaskStatus(ctx context.Context, name string, task int) (TaskState, error) {
	snap, err := w.snapshot(ctx)
	if err != nil {
		return TaskState{}, err
	}
	if _, err := connectorIn(snap, name); err != nil {
		return TaskState{}, err
	}
	ts, ok := w.statuses.Task(status.TaskID{Connector: name, Task: task})
	if !ok || task < 0 || task >= len(snap.Tasks[name]) {
		return TaskState{}, fmt.Errorf("no status found for task %s-%d: %w", name, task, ErrNotFound)
	}
	return w.taskStateOf(TaskID{Connector: name, Task: task}, ts), nil
}

// taskStateOf is a task's status as the REST API shows it: the recorded
// state, and the snapshot progress when the task runs on this worker.
func (w *Worker) taskStateOf(id TaskID, ts status.Status) TaskState {
	return TaskState{ID: id.Task, State: State(ts.State), WorkerID: ts.WorkerID, Trace: ts.Trace, Snapshot: w.metrics.snapshots.of(id)}
}

// TaskConfigs implements Herder.
func (w *Worker) TaskConfigs(ctx context.Context, name string) ([]TaskInfo, error) {
	snap, err := w.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := connectorIn(snap, name); err != nil {
		return nil, err
	}
	out := make([]TaskInfo, len(snap.Tasks[name]))
	for i, tc := range snap.Tasks[name] {
		out[i] = TaskInfo{ID: TaskID{Connector: name, Task: i}, Config: maps.Clone(tc)}
	}
	return out, nil
}

// RestartConnector implements Herder (KIP-745): the instances to restart
// are marked RESTARTING, then a restart request on the config topic tells
// their owners to restart them.
func (w *Worker) RestartConnector(ctx context.Context, name string, includeTasks, onlyFailed bool) (*ConnectorStateInfo, error) {
	snap, err := w.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := connectorIn(snap, name); err != nil {
		return nil, err
	}
	req := configs.RestartRequest{Connector: name, IncludeTasks: includeTasks, OnlyFailed: onlyFailed}
	if !includeTasks && !onlyFailed {
		return nil, w.configs.PutRestartRequest(ctx, req)
	}
	plan, err := w.connectorStatusIn(snap, name)
	if err != nil {
		return nil, err
	}
	if !onlyFailed || plan.Connector.State == StateFailed {
		plan.Connector.State = StateRestarting
		w.writeStatus(ctx, name, nil, plan.Connector.WorkerID)
	}
	for i, ts := range plan.Tasks {
		if includeTasks && (!onlyFailed || ts.State == StateFailed) {
			plan.Tasks[i].State = StateRestarting
			id := TaskID{Connector: name, Task: ts.ID}
			w.writeStatus(ctx, name, &id, ts.WorkerID)
		}
	}
	if err := w.configs.PutRestartRequest(ctx, req); err != nil {
		return nil, err
	}
	return &plan, nil
}

// writeStatus marks a connector or task RESTARTING on behalf of the worker
// that runs it.
func (w *Worker) writeStatus(ctx context.Context, name string, task *TaskID, owner string) {
	st := status.Status{State: status.Restarting, WorkerID: owner, Generation: w.generation.Load()}
	var err error
	if task == nil {
		err = w.statuses.PutConnector(ctx, name, st)
	} else {
		err = w.statuses.PutTask(ctx, status.TaskID(*task), st)
	}
	if err != nil {
		w.logger.Warn("cannot mark an instance RESTARTING", "connector", name, "error", err)
	}
}

// RestartTask implements Herder.
func (w *Worker) RestartTask(ctx context.Context, name string, task int) error {
	snap, err := w.snapshot(ctx)
	if err != nil {
		return err
	}
	if _, err := connectorIn(snap, name); err != nil {
		return err
	}
	if task < 0 || task >= len(snap.Tasks[name]) {
		return fmt.Errorf("task %s-%d: %w", name, task, ErrNotFound)
	}
	id := TaskID{Connector: name, Task: task}
	var rerr error
	owned := false
	if err := w.queue.do(ctx, func() {
		if owned = w.owns(id); owned {
			rerr = w.restartTask(id)
		}
	}); err != nil {
		return err
	}
	if owned {
		return rerr
	}
	// Another worker runs the task (or none does, mid-rebalance): send the
	// restart to the owner the status topic names.
	st, _ := w.statuses.Task(status.TaskID(id))
	owner := st.WorkerID
	if forwarded(ctx) || owner == "" || owner == w.id {
		return fmt.Errorf("%w: task %s is not assigned to this worker (%s); Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)", ErrConflict, id, w.id)
	}
	return w.forwardTaskRestart(ctx, owner, name, task)
}

// SetTargetState implements Herder.
func (w *Worker) SetTargetState(ctx context.Context, name string, state TargetState) error {
	snap, err := w.snapshot(ctx)
	if err != nil {
		return err
	}
	if _, err := connectorIn(snap, name); err != nil {
		return err
	}
	return w.configs.PutTargetState(ctx, name, configs.TargetState(state))
}

// ConnectorTopics implements Herder (topic tracking).
func (w *Worker) ConnectorTopics(ctx context.Context, name string) ([]string, error) {
	if !w.cfg.TopicTracking {
		return nil, fmt.Errorf("%w: Topic tracking is disabled.", ErrForbidden)
	}
	if err := w.awaitReady(ctx); err != nil {
		return nil, err
	}
	topics := w.statuses.Topics(name)
	if topics == nil {
		topics = []string{}
	}
	slices.Sort(topics)
	return topics, nil
}

// ResetConnectorTopics implements Herder.
func (w *Worker) ResetConnectorTopics(ctx context.Context, name string) error {
	switch {
	case !w.cfg.TopicTracking:
		return fmt.Errorf("%w: Topic tracking is disabled.", ErrForbidden)
	case !w.cfg.TopicTrackingAllowReset:
		return fmt.Errorf("%w: Topic tracking reset is disabled.", ErrForbidden)
	}
	if err := w.awaitReady(ctx); err != nil {
		return err
	}
	return w.statuses.ResetTopics(ctx, name)
}

// ClusterID implements Herder.
func (w *Worker) ClusterID() string { return w.clusterID }

// Healthy implements Herder: the worker has read the internal topics and
// its loop answers.
func (w *Worker) Healthy(ctx context.Context) error {
	if err := w.awaitReady(ctx); err != nil {
		return err
	}
	if err := w.queue.do(ctx, func() {}); err != nil {
		return fmt.Errorf("worker is busy: %w", err)
	}
	return nil
}
