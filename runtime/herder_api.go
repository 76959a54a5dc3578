package runtime

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"

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

// PutConnectorConfig implements Herder: the leader validates the config as
// Kafka Connect validates it, then writes it to the config topic; other
// workers forward the request to it (POST /connectors to create, PUT
// /connectors/{name}/config to create or replace, which starts a new
// connector RUNNING whatever initialState says).
func (w *Worker) PutConnectorConfig(ctx context.Context, name string, config map[string]string, allowReplace bool, initialState TargetState) (ConnectorInfo, bool, error) {
	if leader, err := w.leaderTarget(ctx); err != nil || leader != "" {
		if err != nil {
			return ConnectorInfo{}, false, err
		}
		return w.forwardPut(ctx, leader, name, config, allowReplace, initialState)
	}
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

// forwardPut sends PutConnectorConfig to the leader.
func (w *Worker) forwardPut(ctx context.Context, leader, name string, config map[string]string, allowReplace bool, initialState TargetState) (ConnectorInfo, bool, error) {
	var info ConnectorInfo
	req := forwardRequest{method: http.MethodPut, path: connectorPath(name, "/config"), body: config, out: &info}
	if !allowReplace {
		body := map[string]any{"name": name, "config": config}
		if initialState != "" {
			body["initial_state"] = restInitialState(initialState)
		}
		req = forwardRequest{method: http.MethodPost, path: "/connectors", body: body, out: &info}
	}
	st, err := w.forward(ctx, leader, req)
	if err != nil {
		return ConnectorInfo{}, false, err
	}
	return info, st == http.StatusCreated, nil
}

// restInitialState is the initial_state of POST /connectors for a target
// state.
func restInitialState(s TargetState) string {
	if s == TargetStarted {
		return "RUNNING"
	}
	return string(s)
}

// PatchConnectorConfig implements Herder: the leader merges the patch into
// the config it knows; other workers forward the patch to it.
func (w *Worker) PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (ConnectorInfo, error) {
	if leader, err := w.leaderTarget(ctx); err != nil || leader != "" {
		if err != nil {
			return ConnectorInfo{}, err
		}
		var info ConnectorInfo
		_, err := w.forward(ctx, leader, forwardRequest{method: http.MethodPatch, path: connectorPath(name, "/config"), body: patch, out: &info})
		return info, err
	}
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
// The leader writes the tombstones; other workers forward the request.
func (w *Worker) DeleteConnector(ctx context.Context, name string) error {
	if leader, err := w.leaderTarget(ctx); err != nil || leader != "" {
		if err != nil {
			return err
		}
		_, err := w.forward(ctx, leader, forwardRequest{method: http.MethodDelete, path: connectorPath(name, "")})
		return err
	}
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

// RestartConnector implements Herder (KIP-745). A plain restart restarts
// the connector instance on the worker that runs it. Otherwise the leader
// marks the instances to restart RESTARTING, then writes a restart request
// to the config topic, which tells their owners to restart them; other
// workers forward the request to the leader.
func (w *Worker) RestartConnector(ctx context.Context, name string, includeTasks, onlyFailed bool) (*ConnectorStateInfo, error) {
	if !includeTasks && !onlyFailed {
		return nil, w.restartConnectorInstance(ctx, name)
	}
	if leader, err := w.leaderTarget(ctx); err != nil || leader != "" {
		if err != nil {
			return nil, err
		}
		var plan ConnectorStateInfo
		q := url.Values{"includeTasks": {strconv.FormatBool(includeTasks)}, "onlyFailed": {strconv.FormatBool(onlyFailed)}}
		st, err := w.forward(ctx, leader, forwardRequest{method: http.MethodPost, path: connectorPath(name, "/restart"), query: q, out: &plan})
		if err != nil || st == http.StatusNoContent {
			return nil, err
		}
		return &plan, nil
	}
	snap, err := w.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := connectorIn(snap, name); err != nil {
		return nil, err
	}
	req := configs.RestartRequest{Connector: name, IncludeTasks: includeTasks, OnlyFailed: onlyFailed}
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

// restartConnectorInstance restarts a connector instance where it runs:
// here, or on the worker the status topic names as its owner.
func (w *Worker) restartConnectorInstance(ctx context.Context, name string) error {
	snap, err := w.snapshot(ctx)
	if err != nil {
		return err
	}
	if _, err := connectorIn(snap, name); err != nil {
		return err
	}
	st, _ := w.statuses.Connector(name)
	return w.onOwner(ctx, "connector "+name, st.WorkerID,
		func() bool { return slices.Contains(w.assignment.Connectors, name) },
		func() error {
			w.stopConnector(name)
			w.startConnector(name)
			return nil
		},
		forwardRequest{method: http.MethodPost, path: connectorPath(name, "/restart")})
}

// RestartTask implements Herder: the task restarts on the worker that runs
// it, here or on the worker the status topic names as its owner.
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
	st, _ := w.statuses.Task(status.TaskID(id))
	return w.onOwner(ctx, "task "+id.String(), st.WorkerID,
		func() bool { return w.owns(id) },
		func() error { return w.restartTask(id) },
		forwardRequest{method: http.MethodPost, path: connectorPath(name, "/tasks/"+strconv.Itoa(task)+"/restart")})
}

// onOwner runs local on the worker's loop if assigned (called there) says
// this worker runs the work, and otherwise forwards req to owner, the
// worker the status topic names. With no other owner known (the work is
// moving in a rebalance) it fails with MsgStaleConfig (409), as Kafka
// Connect does.
func (w *Worker) onOwner(ctx context.Context, what, owner string, assigned func() bool, local func() error, req forwardRequest) error {
	var (
		mine bool
		lerr error
	)
	if err := w.queue.do(ctx, func() {
		if mine = assigned(); mine {
			lerr = local()
		}
	}); err != nil {
		return err
	}
	if mine {
		return lerr
	}
	if owner == "" || owner == w.id {
		return fmt.Errorf("%w: %s is not assigned to this worker (%s): %s", ErrConflict, what, w.id, MsgStaleConfig)
	}
	_, err := w.forward(ctx, w.workerURL(owner), req)
	return err
}

// SetTargetState implements Herder. Any worker writes a pause or resume,
// as in Kafka Connect; a stop, which also empties the task set, is the
// leader's to write, and other workers forward it.
func (w *Worker) SetTargetState(ctx context.Context, name string, state TargetState) error {
	if state == TargetStopped {
		if leader, err := w.leaderTarget(ctx); err != nil || leader != "" {
			if err != nil {
				return err
			}
			_, err := w.forward(ctx, leader, forwardRequest{method: http.MethodPut, path: connectorPath(name, "/stop")})
			return err
		}
	}
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
