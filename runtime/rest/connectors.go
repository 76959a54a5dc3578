package rest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"conflux/configs"
	"conflux/runtime"
)

// notFound is Kafka Connect's usual 404 text for a connector.
func notFound(name string) herderMessages {
	return herderMessages{notFound: "Connector " + name + " not found"}
}

// maskInfo hides the passwords of a ConnectorInfo's config.
func (a *api) maskInfo(info runtime.ConnectorInfo) runtime.ConnectorInfo {
	info.Config = a.validator.Mask(info.Config)
	if info.Config == nil {
		info.Config = map[string]string{}
	}
	if info.Tasks == nil {
		info.Tasks = []runtime.TaskID{}
	}
	return info
}

// maskState makes a status entity's lists non-null.
func maskState(s runtime.ConnectorStateInfo) runtime.ConnectorStateInfo {
	if s.Tasks == nil {
		s.Tasks = []runtime.TaskState{}
	}
	return s
}

// listConnectors answers GET /connectors: the names, or with any expand
// parameter a map from name to the requested expansions (status, info;
// others are ignored, as are connectors deleted meanwhile).
func (a *api) listConnectors(w http.ResponseWriter, r *http.Request) error {
	var names []string
	if err := a.call(r, herderMessages{}, func(ctx context.Context) (err error) {
		names, err = a.herder.Connectors(ctx)
		return err
	}); err != nil {
		return err
	}
	if names == nil {
		names = []string{}
	}
	expand, ok := r.URL.Query()["expand"]
	if !ok {
		WriteJSON(w, http.StatusOK, names)
		return nil
	}
	out := make(map[string]map[string]any, len(names))
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	for _, name := range names {
		exp, err := a.expand(ctx, name, expand)
		if errors.Is(err, runtime.ErrNotFound) {
			continue
		}
		if err != nil {
			return herderError(ctx, err, herderMessages{})
		}
		out[name] = exp
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

// expand fetches the requested expansions of one connector.
func (a *api) expand(ctx context.Context, name string, expand []string) (map[string]any, error) {
	out := make(map[string]any, len(expand))
	for _, e := range expand {
		switch e {
		case "status":
			st, err := a.herder.ConnectorStatus(ctx, name)
			if err != nil {
				return nil, err
			}
			out["status"] = maskState(st)
		case "info":
			info, err := a.herder.ConnectorInfo(ctx, name)
			if err != nil {
				return nil, err
			}
			out["info"] = a.maskInfo(info)
		}
	}
	return out, nil
}

// initialStates maps POST /connectors' initial_state values, matched
// without regard to case, to target states.
var initialStates = map[string]runtime.TargetState{
	"RUNNING": runtime.TargetStarted,
	"PAUSED":  runtime.TargetPaused,
	"STOPPED": runtime.TargetStopped,
}

// createRequest is the body of POST /connectors.
type createRequest struct {
	name    string
	config  map[string]string
	nulls   []string
	initial runtime.TargetState
}

// parseCreateRequest decodes {"name","config","initial_state"}. Unknown
// fields are ignored.
func parseCreateRequest(v any) (createRequest, error) {
	var req createRequest
	body, err := asObject(v, "the request body")
	if err != nil {
		return req, err
	}
	if n, ok, err := scalarString(body["name"], `"name"`); err != nil {
		return req, err
	} else if ok {
		req.name = strings.TrimSpace(n)
	}
	req.config = map[string]string{}
	if c := body["config"]; c != nil {
		if req.config, req.nulls, err = configMap(c, `"config"`); err != nil {
			return req, err
		}
	}
	if s, ok, err := scalarString(body["initial_state"], `"initial_state"`); err != nil {
		return req, err
	} else if ok {
		st, known := initialStates[strings.ToUpper(s)]
		if !known {
			return req, errorf(http.StatusBadRequest, "Invalid initial_state %q: must be one of RUNNING, PAUSED or STOPPED", s)
		}
		req.initial = st
	}
	return req, nil
}

// checkName applies Kafka Connect's rule to a config sent for connector
// name: a name key must match it, and is added when absent.
func checkName(name string, config map[string]string, nulls []string) error {
	if included, ok := config[configs.KeyName]; ok {
		if included != name {
			return errorf(http.StatusBadRequest, "Connector name configuration (%s) doesn't match connector name in the URL (%s)", included, name)
		}
		return nil
	}
	for _, k := range nulls {
		if k == configs.KeyName {
			return nil // reported by validation as a null value
		}
	}
	config[configs.KeyName] = name
	return nil
}

// checkConfig rejects, before any Herder call, the configs Kafka Connect
// rejects without looking at the plugin: one without connector.class, and
// one with null values (reported with the full validation result).
func (a *api) checkConfig(r *http.Request, config map[string]string, nulls []string) error {
	if _, ok := config[configs.KeyConnectorClass]; !ok || len(nulls) > 0 {
		return a.call(r, herderMessages{}, func(ctx context.Context) error {
			err := a.validator.Check(ctx, config, nulls...)
			if err == nil {
				return errors.New("validation found no error in a config with null values")
			}
			return err
		})
	}
	return nil
}

// location is the Location of a created connector.
func location(name string) string { return "/connectors/" + url.PathEscape(name) }

// createConnector answers POST /connectors: 201 with Location and the new
// ConnectorInfo; 409 if it exists; 400 for a bad body, a name mismatch or
// an invalid config.
func (a *api) createConnector(w http.ResponseWriter, r *http.Request) error {
	v, present, err := readBody(w, r, a.maxBody)
	if err != nil {
		return err
	}
	if !present {
		return errorf(http.StatusBadRequest, "Request body is missing: expected a JSON object with the connector's name and config")
	}
	req, err := parseCreateRequest(v)
	if err != nil {
		return err
	}
	if err := checkName(req.name, req.config, req.nulls); err != nil {
		return err
	}
	if err := a.checkConfig(r, req.config, req.nulls); err != nil {
		return err
	}
	var info runtime.ConnectorInfo
	m := herderMessages{notFound: "Connector " + req.name + " not found", exists: "Connector " + req.name + " already exists"}
	if err := a.call(r, m, func(ctx context.Context) (err error) {
		info, _, err = a.herder.PutConnectorConfig(ctx, req.name, req.config, false, req.initial)
		return err
	}); err != nil {
		return err
	}
	w.Header().Set("Location", location(req.name))
	WriteJSON(w, http.StatusCreated, a.maskInfo(info))
	return nil
}

// getConnector answers GET /connectors/{connector}.
func (a *api) getConnector(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	var info runtime.ConnectorInfo
	if err := a.call(r, notFound(name), func(ctx context.Context) (err error) {
		info, err = a.herder.ConnectorInfo(ctx, name)
		return err
	}); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, a.maskInfo(info))
	return nil
}

// deleteConnector answers DELETE /connectors/{connector} with 204.
func (a *api) deleteConnector(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	if err := a.call(r, notFound(name), func(ctx context.Context) error {
		return a.herder.DeleteConnector(ctx, name)
	}); err != nil {
		return err
	}
	writeEmpty(w, http.StatusNoContent)
	return nil
}

// getConnectorConfig answers GET /connectors/{connector}/config: the config
// as stored, placeholders unresolved, passwords hidden.
func (a *api) getConnectorConfig(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	var config map[string]string
	if err := a.call(r, notFound(name), func(ctx context.Context) (err error) {
		config, err = a.herder.ConnectorConfig(ctx, name)
		return err
	}); err != nil {
		return err
	}
	config = a.validator.Mask(config)
	if config == nil {
		config = map[string]string{}
	}
	WriteJSON(w, http.StatusOK, config)
	return nil
}

// putConnectorConfig answers PUT /connectors/{connector}/config: 201 with
// Location when it created the connector, else 200; the body is the
// ConnectorInfo.
func (a *api) putConnectorConfig(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	v, present, err := readBody(w, r, a.maxBody)
	if err != nil {
		return err
	}
	if !present {
		return errorf(http.StatusBadRequest, "Request body is missing: expected the connector's config as a JSON object")
	}
	config, nulls, err := configMap(v, "the request body")
	if err != nil {
		return err
	}
	if err := checkName(name, config, nulls); err != nil {
		return err
	}
	if err := a.checkConfig(r, config, nulls); err != nil {
		return err
	}
	var (
		info    runtime.ConnectorInfo
		created bool
	)
	if err := a.call(r, notFound(name), func(ctx context.Context) (err error) {
		info, created, err = a.herder.PutConnectorConfig(ctx, name, config, true, "")
		return err
	}); err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		w.Header().Set("Location", location(name))
		status = http.StatusCreated
	}
	WriteJSON(w, status, a.maskInfo(info))
	return nil
}

// patchConnectorConfig answers PATCH /connectors/{connector}/config: the
// patch is merged into the stored config (null removes a key), which is
// then validated as by PUT; 200 with the ConnectorInfo.
func (a *api) patchConnectorConfig(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	v, present, err := readBody(w, r, a.maxBody)
	if err != nil {
		return err
	}
	if !present {
		return errorf(http.StatusBadRequest, "Request body is missing: expected a JSON object with the keys to change")
	}
	config, nulls, err := configMap(v, "the request body")
	if err != nil {
		return err
	}
	if included, ok := config[configs.KeyName]; ok && included != name {
		return errorf(http.StatusBadRequest, "Connector name configuration (%s) doesn't match connector name in the URL (%s)", included, name)
	}
	patch := make(map[string]*string, len(config)+len(nulls))
	for k, val := range config {
		patch[k] = &val
	}
	for _, k := range nulls {
		patch[k] = nil
	}
	var info runtime.ConnectorInfo
	if err := a.call(r, notFound(name), func(ctx context.Context) (err error) {
		info, err = a.herder.PatchConnectorConfig(ctx, name, patch)
		return err
	}); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, a.maskInfo(info))
	return nil
}

// connectorStatus answers GET /connectors/{connector}/status.
func (a *api) connectorStatus(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	var st runtime.ConnectorStateInfo
	if err := a.call(r, herderMessages{notFound: "No status found for connector " + name}, func(ctx context.Context) (err error) {
		st, err = a.herder.ConnectorStatus(ctx, name)
		return err
	}); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, maskState(st))
	return nil
}

// restartConnector answers POST /connectors/{connector}/restart. Without
// includeTasks and onlyFailed it restarts the connector instance and
// answers 204; otherwise 202 with the status of the instances being
// restarted, marked RESTARTING.
func (a *api) restartConnector(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	includeTasks := queryBool(r, "includeTasks", false)
	onlyFailed := queryBool(r, "onlyFailed", false)
	var st *runtime.ConnectorStateInfo
	if err := a.call(r, herderMessages{notFound: "Unknown connector: " + name}, func(ctx context.Context) (err error) {
		st, err = a.herder.RestartConnector(ctx, name, includeTasks, onlyFailed)
		return err
	}); err != nil {
		return err
	}
	if (!includeTasks && !onlyFailed) || st == nil {
		writeEmpty(w, http.StatusNoContent)
		return nil
	}
	WriteJSON(w, http.StatusAccepted, maskState(*st))
	return nil
}

// targetState returns the handler of PUT /connectors/{connector}/pause,
// resume and stop, which answer status without a body.
func (a *api) targetState(state runtime.TargetState, status int) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		name := param(r, "connector")
		if err := a.call(r, herderMessages{notFound: "Unknown connector " + name}, func(ctx context.Context) error {
			return a.herder.SetTargetState(ctx, name, state)
		}); err != nil {
			return err
		}
		writeEmpty(w, status)
		return nil
	}
}

// connectorTopics answers GET /connectors/{connector}/topics with
// {"<connector>":{"topics":[…]}}.
func (a *api) connectorTopics(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	var topics []string
	m := notFound(name)
	m.forbidden = msgTrackingOff
	if err := a.call(r, m, func(ctx context.Context) (err error) {
		topics, err = a.herder.ConnectorTopics(ctx, name)
		return err
	}); err != nil {
		return err
	}
	if topics == nil {
		topics = []string{}
	}
	WriteJSON(w, http.StatusOK, map[string]map[string][]string{name: {"topics": topics}})
	return nil
}

// resetConnectorTopics answers PUT /connectors/{connector}/topics/reset
// with 202.
func (a *api) resetConnectorTopics(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	m := notFound(name)
	m.forbidden = msgTrackingNoRst
	if err := a.call(r, m, func(ctx context.Context) error {
		return a.herder.ResetConnectorTopics(ctx, name)
	}); err != nil {
		return err
	}
	writeEmpty(w, http.StatusAccepted)
	return nil
}

// taskName is Kafka's ConnectorTaskId text, "<connector>-<task>".
func taskName(connector string, task any) string { return fmt.Sprintf("%s-%v", connector, task) }
