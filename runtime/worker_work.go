package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"conflux/configs"
	"conflux/connectors"
	"conflux/runtime/cluster"
)

// memberHandler is the worker as its group membership sees it.
type memberHandler Worker

// ConfigSnapshot implements cluster.Handler: every connector with its
// committed task count, and how far the config topic was read.
func (h *memberHandler) ConfigSnapshot() (map[string]int, int64) {
	snap := h.configs.Snapshot()
	work := make(map[string]int, len(snap.Connectors))
	for name := range snap.Connectors {
		work[name] = snap.TaskCounts[name]
	}
	return work, snap.Offset
}

// ReadConfigTo implements cluster.Handler.
func (h *memberHandler) ReadConfigTo(ctx context.Context, offset int64) error {
	if err := h.configs.Sync(ctx); err != nil {
		return err
	}
	if got := h.configs.Snapshot().Offset; got < offset {
		return fmt.Errorf("config topic read to offset %d, behind the group's %d", got, offset)
	}
	return nil
}

// Revoked implements cluster.Handler: the work is stopped before the
// member rejoins. The status topic is read to its end first, so that the
// UNASSIGNED statuses the stopping tasks write are skipped where a worker
// of a later generation already reported them, as after this worker lost
// its membership during a pause.
func (h *memberHandler) Revoked(ctx context.Context, revoked cluster.Work) {
	w := (*Worker)(h)
	sctx, cancel := context.WithTimeout(ctx, statusSyncTimeout)
	if err := w.statuses.Sync(sctx); err != nil {
		w.logger.Debug("status topic not read to its end before stopping work", "error", err)
	}
	cancel()
	w.queue.do(ctx, func() { w.stopWork(revoked) })
}

// statusSyncTimeout bounds reading the status topic before revoked work
// stops.
const statusSyncTimeout = 3 * time.Second

// Assigned implements cluster.Handler: the worker runs exactly the
// assigned work from now on.
func (h *memberHandler) Assigned(ctx context.Context, a cluster.Assignment, gen cluster.Generation) {
	w := (*Worker)(h)
	w.generation.Store(gen.ID)
	w.leader.Store(gen.LeaderID == gen.MemberID)
	url := a.LeaderURL
	w.leaderURL.Store(&url)
	w.membership.Store(w.membershipOf(a, gen))
	w.joinOnce.Do(func() { close(w.joined) })
	w.queue.do(ctx, func() {
		w.assignment = a.Assigned
		w.reconcile()
		// A connector created or removed while the leader was assigning
		// (its change was applied before this worker knew it leads) is not
		// in this assignment: assign again.
		if w.leader.Load() && w.configs.Snapshot().Offset > a.ConfigOffset {
			w.member.RequestRejoin()
		}
		w.ensureSessionKey()
	})
}

// onConfigChange is the config store's listener; it runs on the store's
// reading goroutine and only queues work.
func (w *Worker) onConfigChange(ch configs.Change) {
	w.queue.post(func() { w.applyConfigChange(ch) })
}

// applyConfigChange reacts to one change of the config topic, on the loop.
func (w *Worker) applyConfigChange(ch configs.Change) {
	switch ch.Kind {
	case configs.ChangeConnectorConfig:
		if w.owned[ch.Connector] {
			// New config: restart the instance, which recomputes its
			// task configs.
			w.stopConnector(ch.Connector)
			w.startConnector(ch.Connector)
		}
	case configs.ChangeConnectorRemoved:
		w.removeConnector(ch.Connector)
	case configs.ChangeTaskConfigs:
		// Tasks whose config changed, or that are beyond the new count,
		// stop now; they start again, with their new config, only from
		// the assignment of the rebalance the leader runs for this change,
		// so that a task never runs on two workers at once.
		snap := w.configs.Snapshot()
		for id, rt := range w.tasks {
			if id.Connector != ch.Connector {
				continue
			}
			tasks := snap.Tasks[ch.Connector]
			if id.Task >= len(tasks) || !maps.Equal(tasks[id.Task], rt.config) {
				w.stopTask(id)
			}
		}
	case configs.ChangeTargetState:
		w.applyTargetState(ch.Connector)
	case configs.ChangeRestart:
		w.restart(ch.Restart)
	case configs.ChangeSessionKey:
		w.ensureSessionKey()
	}
	if w.leader.Load() {
		switch ch.Kind {
		case configs.ChangeConnectorConfig, configs.ChangeConnectorRemoved, configs.ChangeTaskConfigs:
			// The leader reassigns whenever the set of work changes.
			w.member.RequestRejoin()
		}
	}
}

// reconcile makes the running work match the assignment and the config
// topic: assigned connectors and tasks that exist are started, others
// stopped.
func (w *Worker) reconcile() {
	snap := w.configs.Snapshot()
	assigned := make(map[string]bool, len(w.assignment.Connectors))
	for _, name := range w.assignment.Connectors {
		if _, exists := snap.Connectors[name]; exists {
			assigned[name] = true
		}
	}
	tasks := make(map[TaskID]bool, len(w.assignment.Tasks))
	for _, t := range w.assignment.Tasks {
		if t.Task < len(snap.Tasks[t.Connector]) {
			tasks[TaskID(t)] = true
		}
	}
	for name := range w.owned {
		if !assigned[name] {
			w.stopConnector(name)
		}
	}
	var stopping []TaskID
	for id := range w.tasks {
		if !tasks[id] {
			stopping = append(stopping, id)
		}
	}
	w.stopTasks(stopping)
	for _, name := range slices.Sorted(maps.Keys(assigned)) {
		if !w.owned[name] {
			w.startConnector(name)
		}
	}
	for _, id := range slices.SortedFunc(maps.Keys(tasks), compareTaskIDs) {
		if _, running := w.tasks[id]; !running {
			w.startTask(id)
		}
	}
}

func compareTaskIDs(a, b TaskID) int {
	if a.Connector != b.Connector {
		if a.Connector < b.Connector {
			return -1
		}
		return 1
	}
	return a.Task - b.Task
}

// stopWork stops revoked work.
func (w *Worker) stopWork(revoked cluster.Work) {
	for _, name := range revoked.Connectors {
		w.stopConnector(name)
	}
	ids := make([]TaskID, len(revoked.Tasks))
	for i, t := range revoked.Tasks {
		ids[i] = TaskID(t)
	}
	w.stopTasks(ids)
}

// stopAll stops everything this worker runs (at shutdown).
func (w *Worker) stopAll() {
	for name := range w.owned {
		w.stopConnector(name)
	}
	for name := range w.forwards {
		w.cancelForward(name)
	}
	w.stopTasks(slices.Collect(maps.Keys(w.tasks)))
}

// resolve replaces config-provider placeholders in a stored config.
func (w *Worker) resolve(config map[string]string) (map[string]string, error) {
	r, err := w.resolver.Resolve(context.Background(), config)
	if err != nil {
		return nil, err
	}
	return r.Config, nil
}

// startConnector starts the connector instance and, unless it is stopped,
// makes sure its task configs are current.
// A connector that fails to start stays FAILED (and owned) until it is
// restarted.
func (w *Worker) startConnector(name string) {
	if w.closing {
		return
	}
	snap := w.configs.Snapshot()
	raw, ok := snap.Connectors[name]
	if !ok {
		return
	}
	w.owned[name] = true
	target := snap.TargetStates[name]
	if target == configs.TargetStopped {
		w.connectorState(name, StateStopped, nil)
		if snap.TaskCounts[name] != 0 || snap.Inconsistent[name] {
			w.writeTaskConfigs(name, nil)
		}
		return
	}
	config, err := w.resolve(raw)
	if err != nil {
		w.connectorState(name, StateFailed, err)
		return
	}
	plugin, err := w.reg.Lookup(config[configs.KeyConnectorClass])
	if err != nil {
		w.connectorState(name, StateFailed, err)
		return
	}
	conn, ok := asConnector(plugin.New())
	if !ok {
		w.connectorState(name, StateFailed, fmt.Errorf("plugin %s is not a connector", plugin.Name))
		return
	}
	maxTasks := 1
	if v, err := configs.ConnectorDef().Parse(config); err == nil {
		maxTasks = v.Int(configs.KeyTasksMax)
	}
	inst := newConnectorInstance(name, conn, config, maxTasks, (*connectorCallbacks)(w), w.cfg.TaskShutdownTimeout,
		w.logger.With("connector", name))
	if err := inst.start(); err != nil {
		w.connectorState(name, StateFailed, err)
		return
	}
	w.conns[name] = inst
	if target == configs.TargetPaused {
		w.connectorState(name, StatePaused, nil)
	} else {
		w.connectorState(name, StateRunning, nil)
	}
	w.reconfigureTasks(name)
}

// reconfigureTasks asks a running connector for its task configs and
// writes them if they changed.
func (w *Worker) reconfigureTasks(name string) {
	inst, ok := w.conns[name]
	if !ok {
		return
	}
	tasks, err := inst.taskConfigs()
	if err != nil {
		w.failConnector(name, err)
		return
	}
	snap := w.configs.Snapshot()
	tasks = unresolveTaskConfigs(snap.Connectors[name], tasks)
	if !snap.Inconsistent[name] && taskConfigsEqual(snap.Tasks[name], tasks) {
		if _, committed := snap.TaskCounts[name]; committed {
			return
		}
	}
	w.writeTaskConfigs(name, tasks)
}

// writeTaskConfigs has a connector's task configs written to the config
// topic. Only the leader writes them, as in Kafka Connect: a leader writes
// them itself, any other worker sends them to the leader
// (forwardTaskConfigs).
func (w *Worker) writeTaskConfigs(name string, tasks []map[string]string) {
	if !w.leader.Load() {
		w.forwardTaskConfigs(name, tasks)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.RebalanceTimeout)
	defer cancel()
	if err := w.configs.PutTaskConfigs(ctx, name, tasks); err != nil {
		w.logger.Error("cannot write task configs", "connector", name, "error", err)
		w.connectorState(name, StateFailed, fmt.Errorf("write task configs: %w", err))
	}
}

// Backoff of a follower resending task configs the leader did not take.
const (
	forwardRetryMin = 250 * time.Millisecond
	forwardRetryMax = 10 * time.Second
)

// forwardTaskConfigs sends a connector's task configs to the leader's
// internal endpoint, signed under the sessioned protocol, from a goroutine
// so that the loop never waits on another worker. Until the leader takes
// them it retries with backoff, following the leader as it changes (this
// worker writes them itself once it leads); newer configs for the
// connector, or the connector stopping here, end the attempt.
func (w *Worker) forwardTaskConfigs(name string, tasks []map[string]string) {
	w.cancelForward(name)
	ctx, cancel := context.WithCancel(context.Background())
	w.forwards[name] = cancel
	if tasks == nil {
		tasks = []map[string]string{}
	}
	w.background.Go(func() {
		defer cancel()
		delay := forwardRetryMin
		for {
			err := w.putTaskConfigs(ctx, name, tasks)
			if err == nil || ctx.Err() != nil {
				return
			}
			if errors.Is(err, ErrNotFound) {
				w.logger.Debug("connector deleted before the leader took its task configs", "connector", name)
				return
			}
			w.logger.Warn("the leader did not take the task configs; retrying", "connector", name, "retry_in", delay, "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(2*delay, forwardRetryMax)
		}
	})
}

// cancelForward ends the sending of a connector's task configs, if any.
func (w *Worker) cancelForward(name string) {
	if cancel, ok := w.forwards[name]; ok {
		cancel()
		delete(w.forwards, name)
	}
}

// unresolveTaskConfigs puts the connector's placeholders back into task
// configs, as Kafka Connect's reverseTransform does: a task key that the
// connector config sets with a placeholder gets the raw value, so resolved
// secrets never reach the config topic and tasks resolve them when they
// start.
func unresolveTaskConfigs(raw map[string]string, tasks []map[string]string) []map[string]string {
	var secret []string
	for k, v := range raw {
		if configs.HasPlaceholder(v) {
			secret = append(secret, k)
		}
	}
	if len(secret) == 0 {
		return tasks
	}
	out := make([]map[string]string, len(tasks))
	for i, tc := range tasks {
		out[i] = maps.Clone(tc)
		for _, k := range secret {
			if _, ok := out[i][k]; ok {
				out[i][k] = raw[k]
			}
		}
	}
	return out
}

func taskConfigsEqual(a, b []map[string]string) bool {
	return slices.EqualFunc(a, b, func(x, y map[string]string) bool { return maps.Equal(x, y) })
}

// stopConnector stops a connector instance this worker owns.
func (w *Worker) stopConnector(name string) {
	delete(w.owned, name)
	w.cancelForward(name)
	inst, ok := w.conns[name]
	if !ok {
		return
	}
	delete(w.conns, name)
	inst.stop()
}

// failConnector stops a connector that failed and records why; it stays
// owned, and FAILED, until restarted.
func (w *Worker) failConnector(name string, err error) {
	w.logger.Error("connector failed", "connector", name, "error", err)
	if inst, ok := w.conns[name]; ok {
		delete(w.conns, name)
		inst.stop()
	}
	w.connectorState(name, StateFailed, err)
}

// removeConnector stops a deleted connector's work and removes its
// statuses.
func (w *Worker) removeConnector(name string) {
	ran := w.owned[name]
	w.stopConnector(name)
	var ids []TaskID
	for id := range w.tasks {
		if id.Connector == name {
			ids = append(ids, id)
		}
	}
	w.stopTasks(ids)
	if ran {
		ctx, cancel := context.WithTimeout(context.Background(), w.cfg.OffsetFlushTimeout)
		defer cancel()
		if err := w.statuses.DeleteConnector(ctx, name); err != nil {
			w.logger.Warn("cannot remove the statuses of a deleted connector", "connector", name, "error", err)
		}
	}
}

// applyTargetState moves the connector and its tasks to their new target
// state. The connector's owner writes the empty task set of a stopped
// connector and generates the tasks again when it is resumed.
func (w *Worker) applyTargetState(name string) {
	snap := w.configs.Snapshot()
	target := snap.TargetStates[name]
	_, running := w.conns[name]
	owned := w.owned[name]
	switch {
	case !owned:
	case target == configs.TargetStopped:
		w.stopConnector(name)
		w.owned[name] = true // still this worker's, stopped: it starts it again on resume
		w.connectorState(name, StateStopped, nil)
		if snap.TaskCounts[name] != 0 || snap.Inconsistent[name] {
			w.writeTaskConfigs(name, nil)
		}
	case !running:
		w.startConnector(name)
	case target == configs.TargetPaused:
		w.connectorState(name, StatePaused, nil)
	default:
		w.connectorState(name, StateRunning, nil)
	}
	for id, rt := range w.tasks {
		if id.Connector == name && rt.task != nil {
			rt.task.setTarget(TargetState(target))
		}
	}
}

// restart carries out a restart request for the work this worker owns.
func (w *Worker) restart(req configs.RestartRequest) {
	name := req.Connector
	if _, ok := w.configs.Snapshot().Connectors[name]; !ok {
		return
	}
	// With onlyFailed, the instances to restart are the ones the REST call
	// found FAILED and marked RESTARTING before writing this request, so
	// both states qualify.
	failed := func(st State, ok bool) bool { return ok && (st == StateFailed || st == StateRestarting) }
	if slices.Contains(w.assignment.Connectors, name) {
		st, ok := w.connectorStatus(name)
		if !req.OnlyFailed || failed(st, ok) {
			w.stopConnector(name)
			w.startConnector(name)
		}
	}
	if !req.IncludeTasks {
		return
	}
	var restart []TaskID
	for _, t := range w.assignment.Tasks {
		id := TaskID(t)
		if id.Connector != name {
			continue
		}
		st, ok := w.taskStatus(id)
		if !req.OnlyFailed || failed(st, ok) {
			restart = append(restart, id)
		}
	}
	w.stopTasks(restart)
	w.reconcile()
}

// restartTask restarts one task this worker owns.
// owns reports whether the task is assigned to this worker; call it on the
// worker's queue.
func (w *Worker) owns(id TaskID) bool {
	return slices.Contains(w.assignment.Tasks, cluster.TaskID(id))
}

func (w *Worker) restartTask(id TaskID) error {
	if !w.owns(id) {
		return fmt.Errorf("%w: task %s is not assigned to this worker (%s)", ErrConflict, id, w.id)
	}
	w.stopTasks([]TaskID{id})
	w.reconcile()
	return nil
}

// connectorCallbacks receives a running connector's requests.
type connectorCallbacks Worker

func (c *connectorCallbacks) requestReconfiguration(name string) {
	w := (*Worker)(c)
	w.queue.post(func() { w.reconfigureTasks(name) })
}

func (c *connectorCallbacks) connectorFailed(name string, err error) {
	w := (*Worker)(c)
	w.queue.post(func() { w.failConnector(name, err) })
}

var _ connectors.ConnectorContext = (*connectorInstance)(nil)
