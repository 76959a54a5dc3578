package resttest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"

	"conflux/configs"
	"conflux/connectors"
	"conflux/runtime"
	"conflux/runtime/rest/validation"
)

// Messages of the offsets endpoints, in Kafka Connect's words, for
// connectors that do not manage offsets themselves.
const (
	AlteredMessage = "The Connect framework-managed offsets for this connector have been altered successfully. " +
		"However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses."
	ResetMessage = "The Connect framework-managed offsets for this connector have been reset successfully. " +
		"However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses."
)

// MemHerder is an in-memory runtime.Herder for tests of the REST API: a
// stand-in until the worker exists, with the worker's observable behaviour
// as far as REST can tell. It validates configs with the validation
// package, starts each connector instance once to get its task configs,
// and starts and stops each task once to learn whether it fails; nothing
// runs afterwards and no record moves. Every operation takes effect before
// it returns, so statuses need no waiting. Create it with NewMemHerder.
type MemHerder struct {
	validator *validation.Validator
	workerID  string
	clusterID string

	mu            sync.Mutex
	conns         map[string]*memConnector
	tracking      bool
	trackingReset bool
	health        error
}

// memConnector is one connector's state.
type memConnector struct {
	config   map[string]string
	plugin   connectors.Plugin
	target   runtime.TargetState
	tasks    []map[string]string
	state    runtime.ConnectorState
	taskStat []runtime.TaskState
	offsets  map[string]runtime.PartitionOffset // by the partition's JSON
}

// MemOption configures a MemHerder.
type MemOption func(*MemHerder)

// WithTopicTracking sets the worker's topic.tracking.enable and
// topic.tracking.allow.reset (both true by default).
func WithTopicTracking(enabled, allowReset bool) MemOption {
	return func(h *MemHerder) { h.tracking, h.trackingReset = enabled, allowReset }
}

// WithWorkerID sets the worker id reported in statuses ("127.0.0.1:8083"
// by default).
func WithWorkerID(id string) MemOption { return func(h *MemHerder) { h.workerID = id } }

// NewMemHerder returns an empty in-memory herder whose plugins come from
// reg.
func NewMemHerder(reg *connectors.Registry, opts ...MemOption) *MemHerder {
	h := &MemHerder{
		validator:     validation.New(reg, nil),
		workerID:      "127.0.0.1:8083",
		clusterID:     "mem-cluster",
		conns:         make(map[string]*memConnector),
		tracking:      true,
		trackingReset: true,
	}
	for _, o := range opts {
		o(h)
	}
	return h
}

// SetHealth makes Healthy return err from now on (nil: healthy).
func (h *MemHerder) SetHealth(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.health = err
}

// lookup returns a connector or an ErrNotFound error. The caller holds
// h.mu.
func (h *MemHerder) lookup(name string) (*memConnector, error) {
	c, ok := h.conns[name]
	if !ok {
		return nil, fmt.Errorf("connector %s: %w", name, runtime.ErrNotFound)
	}
	return c, nil
}

func connectorType(p connectors.Plugin) runtime.ConnectorType {
	switch p.Type {
	case connectors.PluginSource:
		return runtime.TypeSource
	case connectors.PluginSink:
		return runtime.TypeSink
	}
	return runtime.TypeUnknown
}

// info renders a connector's ConnectorInfo.
func (h *MemHerder) info(name string, c *memConnector) runtime.ConnectorInfo {
	info := runtime.ConnectorInfo{Name: name, Config: maps.Clone(c.config), Tasks: []runtime.TaskID{}, Type: connectorType(c.plugin)}
	for i := range c.tasks {
		info.Tasks = append(info.Tasks, runtime.TaskID{Connector: name, Task: i})
	}
	return info
}

// Connectors lists the connector names, sorted.
func (h *MemHerder) Connectors(context.Context) ([]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Sorted(maps.Keys(h.conns)), nil
}

// ConnectorInfo returns a connector's config and task ids.
func (h *MemHerder) ConnectorInfo(_ context.Context, name string) (runtime.ConnectorInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, err := h.lookup(name)
	if err != nil {
		return runtime.ConnectorInfo{}, err
	}
	return h.info(name, c), nil
}

// ConnectorConfig returns the config as stored.
func (h *MemHerder) ConnectorConfig(_ context.Context, name string) (map[string]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, err := h.lookup(name)
	if err != nil {
		return nil, err
	}
	return maps.Clone(c.config), nil
}

// PutConnectorConfig validates config, then creates or replaces the
// connector. As Kafka Connect's herder does, the returned info has the new
// config and the tasks known before the write.
func (h *MemHerder) PutConnectorConfig(ctx context.Context, name string, config map[string]string, allowReplace bool, initialState runtime.TargetState) (runtime.ConnectorInfo, bool, error) {
	h.mu.Lock()
	_, exists := h.conns[name]
	h.mu.Unlock()
	if exists && !allowReplace {
		return runtime.ConnectorInfo{}, false, fmt.Errorf("Connector %s already exists: %w", name, runtime.ErrAlreadyExists)
	}
	if err := h.validator.Check(ctx, config); err != nil {
		return runtime.ConnectorInfo{}, false, fmt.Errorf("%w: %w", runtime.ErrBadRequest, err)
	}
	plugin, err := h.validator.Connector(config[configs.KeyConnectorClass])
	if err != nil {
		return runtime.ConnectorInfo{}, false, fmt.Errorf("%w: %w", runtime.ErrBadRequest, err)
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	c, exists := h.conns[name]
	if exists && !allowReplace {
		return runtime.ConnectorInfo{}, false, fmt.Errorf("Connector %s already exists: %w", name, runtime.ErrAlreadyExists)
	}
	if !exists {
		c = &memConnector{target: runtime.TargetStarted, offsets: make(map[string]runtime.PartitionOffset)}
		if initialState != "" {
			c.target = initialState
		}
		h.conns[name] = c
	}
	before := h.info(name, c)
	c.config, c.plugin = maps.Clone(config), plugin
	h.reconfigure(c)
	before.Config, before.Type = maps.Clone(config), connectorType(plugin)
	return before, !exists, nil
}

// PatchConnectorConfig merges patch into the config (nil removes a key)
// and puts the result.
func (h *MemHerder) PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (runtime.ConnectorInfo, error) {
	h.mu.Lock()
	c, err := h.lookup(name)
	var config map[string]string
	if err == nil {
		config = maps.Clone(c.config)
	}
	h.mu.Unlock()
	if err != nil {
		return runtime.ConnectorInfo{}, err
	}
	for k, v := range patch {
		if v == nil {
			delete(config, k)
		} else {
			config[k] = *v
		}
	}
	info, _, err := h.PutConnectorConfig(ctx, name, config, true, "")
	return info, err
}

// DeleteConnector removes a connector; its offsets are dropped with it
// here, which only matters to a connector recreated under the same name.
func (h *MemHerder) DeleteConnector(_ context.Context, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, err := h.lookup(name); err != nil {
		return err
	}
	delete(h.conns, name)
	return nil
}

// ConnectorStatus returns the connector's and its tasks' states.
func (h *MemHerder) ConnectorStatus(_ context.Context, name string) (runtime.ConnectorStateInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, err := h.lookup(name)
	if err != nil {
		return runtime.ConnectorStateInfo{}, err
	}
	return h.status(name, c), nil
}

func (h *MemHerder) status(name string, c *memConnector) runtime.ConnectorStateInfo {
	return runtime.ConnectorStateInfo{Name: name, Connector: c.state, Tasks: slices.Clone(c.taskStat), Type: connectorType(c.plugin)}
}

// TaskStatus returns one task's state.
func (h *MemHerder) TaskStatus(_ context.Context, name string, task int) (runtime.TaskState, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, err := h.lookup(name)
	if err != nil {
		return runtime.TaskState{}, err
	}
	if task < 0 || task >= len(c.taskStat) {
		return runtime.TaskState{}, fmt.Errorf("task %s-%d: %w", name, task, runtime.ErrNotFound)
	}
	return c.taskStat[task], nil
}

// TaskConfigs returns the connector's task configs.
func (h *MemHerder) TaskConfigs(_ context.Context, name string) ([]runtime.TaskInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, err := h.lookup(name)
	if err != nil {
		return nil, err
	}
	out := make([]runtime.TaskInfo, len(c.tasks))
	for i, tc := range c.tasks {
		out[i] = runtime.TaskInfo{ID: runtime.TaskID{Connector: name, Task: i}, Config: maps.Clone(tc)}
	}
	return out, nil
}

// RestartConnector restarts the connector and, with includeTasks, its
// tasks (only failed ones with onlyFailed), returning the plan with the
// instances to restart marked RESTARTING, or nil for a plain restart.
func (h *MemHerder) RestartConnector(_ context.Context, name string, includeTasks, onlyFailed bool) (*runtime.ConnectorStateInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, err := h.lookup(name)
	if err != nil {
		return nil, err
	}
	if !includeTasks && !onlyFailed {
		h.startConnector(c)
		return nil, nil
	}
	plan := h.status(name, c)
	restartConn := !onlyFailed || c.state.State == runtime.StateFailed
	if restartConn {
		plan.Connector.State = runtime.StateRestarting
	}
	var restart []int
	for i, ts := range plan.Tasks {
		if includeTasks && (!onlyFailed || ts.State == runtime.StateFailed) {
			plan.Tasks[i].State = runtime.StateRestarting
			restart = append(restart, i)
		}
	}
	if restartConn {
		h.startConnector(c)
	}
	for _, i := range restart {
		h.startTask(c, i)
	}
	return &plan, nil
}

// RestartTask restarts one task.
func (h *MemHerder) RestartTask(_ context.Context, name string, task int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, err := h.lookup(name)
	if err != nil {
		return err
	}
	if task < 0 || task >= len(c.tasks) {
		return fmt.Errorf("task %s-%d: %w", name, task, runtime.ErrNotFound)
	}
	h.startTask(c, task)
	return nil
}

// SetTargetState pauses, resumes or stops a connector; resuming or pausing
// a stopped connector creates its tasks again.
func (h *MemHerder) SetTargetState(_ context.Context, name string, state runtime.TargetState) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, err := h.lookup(name)
	if err != nil {
		return err
	}
	wasStopped := c.target == runtime.TargetStopped
	c.target = state
	if wasStopped || state == runtime.TargetStopped {
		h.reconfigure(c)
		return nil
	}
	c.state.State = runState(c.state.State, state)
	for i := range c.taskStat {
		c.taskStat[i].State = runState(c.taskStat[i].State, state)
	}
	return nil
}

// runState is the state of a running instance under a target state; a
// failed instance stays failed.
func runState(current runtime.State, target runtime.TargetState) runtime.State {
	if current == runtime.StateFailed {
		return current
	}
	if target == runtime.TargetPaused {
		return runtime.StatePaused
	}
	return runtime.StateRunning
}

// ConnectorTopics returns the topics a connector used: none, since no
// record moves. As in Kafka Connect, an unknown connector has none either.
func (h *MemHerder) ConnectorTopics(_ context.Context, _ string) ([]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.tracking {
		return nil, fmt.Errorf("%w: Topic tracking is disabled.", runtime.ErrForbidden)
	}
	return []string{}, nil
}

// ResetConnectorTopics forgets the topics a connector used.
func (h *MemHerder) ResetConnectorTopics(_ context.Context, _ string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case !h.tracking:
		return fmt.Errorf("%w: Topic tracking is disabled.", runtime.ErrForbidden)
	case !h.trackingReset:
		return fmt.Errorf("%w: Topic tracking reset is disabled.", runtime.ErrForbidden)
	}
	return nil
}

// ConnectorOffsets returns the connector's offsets, sorted by partition.
func (h *MemHerder) ConnectorOffsets(_ context.Context, name string) (runtime.ConnectorOffsets, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, err := h.lookup(name)
	if err != nil {
		return runtime.ConnectorOffsets{}, err
	}
	out := runtime.ConnectorOffsets{Offsets: []runtime.PartitionOffset{}}
	for _, k := range slices.Sorted(maps.Keys(c.offsets)) {
		out.Offsets = append(out.Offsets, c.offsets[k])
	}
	return out, nil
}

// checkStopped returns Kafka Connect's error for offsets changes on a
// connector that is not stopped.
func checkStopped(name string, c *memConnector) error {
	if c.target != runtime.TargetStopped || len(c.tasks) != 0 {
		return fmt.Errorf("%w: Connectors must be in the STOPPED state before their offsets can be modified. "+
			"This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/%s/stop' endpoint",
			runtime.ErrBadRequest, name)
	}
	return nil
}

// AlterConnectorOffsets changes the offsets of a stopped connector.
func (h *MemHerder) AlterConnectorOffsets(_ context.Context, name string, offsets runtime.ConnectorOffsets) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, err := h.lookup(name)
	if err != nil {
		return "", err
	}
	if err := checkStopped(name, c); err != nil {
		return "", err
	}
	kind := "source"
	if c.plugin.Type == connectors.PluginSink {
		kind = "sink"
	}
	for _, po := range offsets.Offsets {
		if po.Partition == nil {
			return "", fmt.Errorf("%w: The partition for a %s connector offset cannot be null or missing", runtime.ErrBadRequest, kind)
		}
	}
	for _, po := range offsets.Offsets {
		key, err := json.Marshal(po.Partition)
		if err != nil {
			return "", fmt.Errorf("%w: %v", runtime.ErrBadRequest, err)
		}
		if po.Offset == nil {
			delete(c.offsets, string(key))
			continue
		}
		c.offsets[string(key)] = po
	}
	return AlteredMessage, nil
}

// ResetConnectorOffsets removes every offset of a stopped connector.
func (h *MemHerder) ResetConnectorOffsets(_ context.Context, name string) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, err := h.lookup(name)
	if err != nil {
		return "", err
	}
	if err := checkStopped(name, c); err != nil {
		return "", err
	}
	clear(c.offsets)
	return ResetMessage, nil
}

// ClusterID returns a fixed id.
func (h *MemHerder) ClusterID() string { return h.clusterID }

// Healthy returns what SetHealth set.
func (h *MemHerder) Healthy(context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.health
}

// reconfigure applies a connector's config and target state: a stopped
// connector has no tasks; otherwise the connector instance is started to
// produce its task configs, and every task is started once. The caller
// holds h.mu.
func (h *MemHerder) reconfigure(c *memConnector) {
	c.tasks, c.taskStat = nil, nil
	if c.target == runtime.TargetStopped {
		c.state = runtime.ConnectorState{State: runtime.StateStopped, WorkerID: h.workerID}
		return
	}
	c.tasks = h.startConnector(c)
	c.taskStat = make([]runtime.TaskState, len(c.tasks))
	for i := range c.tasks {
		h.startTask(c, i)
	}
}

// startConnector runs one instance of the connector through Start,
// TaskConfigs and Stop, sets the connector's state and returns the task
// configs (nil when it failed).
func (h *MemHerder) startConnector(c *memConnector) []map[string]string {
	fail := func(err error) []map[string]string {
		c.state = runtime.ConnectorState{State: runtime.StateFailed, WorkerID: h.workerID, Trace: err.Error()}
		return nil
	}
	maxTasks := 1
	if s, ok := c.config[configs.KeyTasksMax]; ok {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			maxTasks = n
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		tasks []map[string]string
		err   error
	)
	switch conn := c.plugin.New().(type) {
	case connectors.SourceConnector:
		if err = conn.Start(ctx, nopConnectorContext{}, maps.Clone(c.config)); err == nil {
			tasks, err = conn.TaskConfigs(maxTasks)
			if serr := conn.Stop(); err == nil {
				err = serr
			}
		}
	case connectors.SinkConnector:
		if err = conn.Start(ctx, nopConnectorContext{}, maps.Clone(c.config)); err == nil {
			tasks, err = conn.TaskConfigs(maxTasks)
			if serr := conn.Stop(); err == nil {
				err = serr
			}
		}
	default:
		err = fmt.Errorf("plugin %s is not a connector", c.plugin.Name)
	}
	if err != nil {
		return fail(err)
	}
	c.state = runtime.ConnectorState{State: runState(runtime.StateRunning, c.target), WorkerID: h.workerID}
	return tasks
}

// startTask starts and stops task i once and records its state.
func (h *MemHerder) startTask(c *memConnector, i int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	config := maps.Clone(c.tasks[i])
	var err error
	switch conn := c.plugin.New().(type) {
	case connectors.SourceConnector:
		t := conn.NewTask()
		if err = t.Start(ctx, memSourceContext{config: config, conn: c}, config); err == nil {
			err = t.Stop()
		}
	case connectors.SinkConnector:
		t := conn.NewTask()
		if err = t.Start(ctx, memSinkContext{config: config}, config); err == nil {
			err = t.Stop()
		}
	}
	st := runtime.TaskState{ID: i, State: runState(runtime.StateRunning, c.target), WorkerID: h.workerID}
	if err != nil {
		st.State, st.Trace = runtime.StateFailed, err.Error()
	}
	c.taskStat[i] = st
}

// nopConnectorContext ignores the connector's requests.
type nopConnectorContext struct{}

func (nopConnectorContext) RequestTaskReconfiguration() {}
func (nopConnectorContext) RaiseError(error)            {}

// memSourceContext gives a source task its config and the stored offsets.
// It is used only during the task's Start, under the herder's lock.
type memSourceContext struct {
	config map[string]string
	conn   *memConnector
}

func (s memSourceContext) Config() map[string]string { return s.config }

func (s memSourceContext) Offset(_ context.Context, partition map[string]any) (map[string]any, error) {
	key, err := json.Marshal(partition)
	if err != nil {
		return nil, err
	}
	return s.conn.offsets[string(key)].Offset, nil
}

func (s memSourceContext) Offsets(ctx context.Context, partitions []map[string]any) ([]map[string]any, error) {
	out := make([]map[string]any, len(partitions))
	for i, p := range partitions {
		o, err := s.Offset(ctx, p)
		if err != nil {
			return nil, err
		}
		out[i] = o
	}
	return out, nil
}

// memSinkContext gives a sink task its config; nothing is consumed.
type memSinkContext struct{ config map[string]string }

func (s memSinkContext) Config() map[string]string                           { return s.config }
func (memSinkContext) Assignment() []connectors.TopicPartition               { return nil }
func (memSinkContext) ResetOffsets(map[connectors.TopicPartition]int64)      {}
func (memSinkContext) Pause(...connectors.TopicPartition)                    {}
func (memSinkContext) Resume(...connectors.TopicPartition)                   {}
func (memSinkContext) RequestCommit()                                        {}
func (memSinkContext) ErrantRecordReporter() connectors.ErrantRecordReporter { return nil }

var _ runtime.Herder = (*MemHerder)(nil)
