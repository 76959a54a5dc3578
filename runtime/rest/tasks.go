package rest

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"conflux/runtime"
)

// taskConfigsMasked fetches a connector's task configs with their passwords
// hidden. The key types come from the connector's config, fetched too; if
// it vanished meanwhile, each task config is masked on its own.
func (a *api) taskConfigsMasked(r *http.Request, name string) ([]runtime.TaskInfo, error) {
	var (
		tasks  []runtime.TaskInfo
		config map[string]string
	)
	if err := a.call(r, notFound(name), func(ctx context.Context) (err error) {
		if tasks, err = a.herder.TaskConfigs(ctx, name); err != nil {
			return err
		}
		config, _ = a.herder.ConnectorConfig(ctx, name)
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]runtime.TaskInfo, len(tasks))
	for i, t := range tasks {
		connConfig := config
		if connConfig == nil {
			connConfig = t.Config
		}
		t.Config = a.validator.MaskWith(connConfig, t.Config)
		if t.Config == nil {
			t.Config = map[string]string{}
		}
		out[i] = t
	}
	return out, nil
}

// taskConfigs answers GET /connectors/{connector}/tasks.
func (a *api) taskConfigs(w http.ResponseWriter, r *http.Request) error {
	tasks, err := a.taskConfigsMasked(r, param(r, "connector"))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, tasks)
	return nil
}

// tasksConfig answers the deprecated GET /connectors/{connector}/tasks-config
// with {"<connector>-<task>": config}.
func (a *api) tasksConfig(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	tasks, err := a.taskConfigsMasked(r, name)
	if err != nil {
		return err
	}
	out := make(map[string]map[string]string, len(tasks))
	for _, t := range tasks {
		out[taskName(t.ID.Connector, t.ID.Task)] = t.Config
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

// taskID parses the {task} path parameter. A value that is not a task
// number answers 404 with msg, as JAX-RS does for an unconvertible path
// parameter.
func taskID(r *http.Request, msg func(task string) string) (int, error) {
	raw := param(r, "task")
	id, err := strconv.Atoi(raw)
	if err != nil || id < 0 {
		return 0, errorf(http.StatusNotFound, "%s", msg(raw))
	}
	return id, nil
}

// taskStatus answers GET /connectors/{connector}/tasks/{task}/status.
func (a *api) taskStatus(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	msg := func(task string) string { return "No status found for task " + taskName(name, task) }
	id, err := taskID(r, msg)
	if err != nil {
		return err
	}
	var st runtime.TaskState
	if err := a.call(r, herderMessages{notFound: msg(strconv.Itoa(id))}, func(ctx context.Context) (err error) {
		st, err = a.herder.TaskStatus(ctx, name, id)
		return err
	}); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, st)
	return nil
}

// restartTask answers POST /connectors/{connector}/tasks/{task}/restart
// with 204.
func (a *api) restartTask(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	msg := func(task string) string { return "Unknown task: " + taskName(name, task) }
	id, err := taskID(r, msg)
	if err != nil {
		return err
	}
	if err := a.call(r, herderMessages{notFound: msg(strconv.Itoa(id))}, func(ctx context.Context) error {
		return a.herder.RestartTask(ctx, name, id)
	}); err != nil {
		return err
	}
	writeEmpty(w, http.StatusNoContent)
	return nil
}

// putTaskConfigs answers the internal POST /connectors/{connector}/tasks,
// by which workers send the leader the task configs their connectors
// generate, with 204. The body is a JSON array of task configs; under the
// sessioned protocol it must be signed (runtime.HeaderSignature).
func (a *api) putTaskConfigs(writer runtime.TaskConfigWriter) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		name := param(r, "connector")
		raw, err := readRawBody(w, r, a.maxBody)
		if err != nil {
			return err
		}
		v, present, err := parseBody(raw)
		if err != nil {
			return err
		}
		if !present {
			return errorf(http.StatusBadRequest, "Request body is missing: expected a JSON array of task configs")
		}
		list, ok := v.([]any)
		if !ok {
			return badType("the request body", "an array of task configs", v)
		}
		tasks := make([]map[string]string, len(list))
		for i, item := range list {
			if tasks[i], _, err = configMap(item, fmt.Sprintf("task config %d", i)); err != nil {
				return err
			}
		}
		var sig *runtime.RequestSignature
		if s, alg := r.Header.Get(runtime.HeaderSignature), r.Header.Get(runtime.HeaderSignatureAlgorithm); s != "" && alg != "" {
			sig = &runtime.RequestSignature{Algorithm: alg, Signature: s, Body: raw}
		}
		if err := a.call(r, notFound(name), func(ctx context.Context) error {
			return writer.PutTaskConfigs(ctx, name, tasks, sig)
		}); err != nil {
			return err
		}
		writeEmpty(w, http.StatusNoContent)
		return nil
	}
}
