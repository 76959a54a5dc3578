package connectcli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"conflux/configs"
	"conflux/runtime"
)

// Each method below calls one endpoint of the REST API. Besides the decoded
// entity it returns the *Response, whose Body is the JSON as received
// (what --output json prints) and whose StatusCode tells outcomes apart
// where the API does (PUT .../config: 201 created, 200 replaced).

// Expansion is one connector in GET /connectors?expand=…: whichever of its
// status and info were asked for.
type Expansion struct {
	Status *runtime.ConnectorStateInfo `json:"status,omitempty"`
	Info   *runtime.ConnectorInfo      `json:"info,omitempty"`
}

// Expansions of GET /connectors.
const (
	ExpandStatus = "status"
	ExpandInfo   = "info"
)

// CreateRequest is the body of POST /connectors.
type CreateRequest struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	// InitialState is RUNNING, PAUSED or STOPPED (Kafka 3.7, KIP-980);
	// empty means the worker's default, RUNNING.
	InitialState string `json:"initial_state,omitempty"`
}

// PluginInfo is an element of GET /connector-plugins. Version is empty
// when the plugin has none.
type PluginInfo struct {
	Class   string `json:"class"`
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

// message is Kafka Connect's Message entity, the answer of the offsets
// writes.
type message struct {
	Message string `json:"message"`
}

// call sends a request with v, when not nil, as its JSON body and decodes
// a successful answer's body into out, when not nil.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, v, out any) (*Response, error) {
	var body []byte
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("encode request %s %s: %w", method, path, err)
		}
	}
	resp, err := c.Do(ctx, method, path, query, body)
	if err != nil || out == nil || len(resp.Body) == 0 {
		return resp, err
	}
	return resp, resp.decode(out)
}

// Connectors lists the connectors' names (GET /connectors).
func (c *Client) Connectors(ctx context.Context) ([]string, *Response, error) {
	var names []string
	resp, err := c.call(ctx, http.MethodGet, "/connectors", nil, nil, &names)
	return names, resp, err
}

// ConnectorsExpanded lists the connectors with the given expansions
// (ExpandStatus, ExpandInfo), GET /connectors?expand=….
func (c *Client) ConnectorsExpanded(ctx context.Context, expand ...string) (map[string]Expansion, *Response, error) {
	out := map[string]Expansion{}
	resp, err := c.call(ctx, http.MethodGet, "/connectors", url.Values{"expand": expand}, nil, &out)
	return out, resp, err
}

// CreateConnector creates a connector (POST /connectors); it fails with a
// 409 if one of that name exists.
func (c *Client) CreateConnector(ctx context.Context, req CreateRequest) (runtime.ConnectorInfo, *Response, error) {
	var info runtime.ConnectorInfo
	resp, err := c.call(ctx, http.MethodPost, "/connectors", nil, req, &info)
	return info, resp, err
}

// PutConnectorConfig creates the connector or replaces its config (PUT
// /connectors/{name}/config): resp.StatusCode is 201 when it was created,
// 200 when replaced.
func (c *Client) PutConnectorConfig(ctx context.Context, name string, config map[string]string) (runtime.ConnectorInfo, *Response, error) {
	var info runtime.ConnectorInfo
	resp, err := c.call(ctx, http.MethodPut, pathOf("connectors", name, "config"), nil, config, &info)
	return info, resp, err
}

// Connector returns a connector's config and task ids (GET
// /connectors/{name}).
func (c *Client) Connector(ctx context.Context, name string) (runtime.ConnectorInfo, *Response, error) {
	var info runtime.ConnectorInfo
	resp, err := c.call(ctx, http.MethodGet, pathOf("connectors", name), nil, nil, &info)
	return info, resp, err
}

// ConnectorConfig returns a connector's config as stored (GET
// /connectors/{name}/config). Conflux shows PASSWORD values as "[hidden]".
func (c *Client) ConnectorConfig(ctx context.Context, name string) (map[string]string, *Response, error) {
	var config map[string]string
	resp, err := c.call(ctx, http.MethodGet, pathOf("connectors", name, "config"), nil, nil, &config)
	return config, resp, err
}

// ConnectorStatus returns the state of a connector and its tasks (GET
// /connectors/{name}/status).
func (c *Client) ConnectorStatus(ctx context.Context, name string) (runtime.ConnectorStateInfo, *Response, error) {
	var st runtime.ConnectorStateInfo
	resp, err := c.call(ctx, http.MethodGet, pathOf("connectors", name, "status"), nil, nil, &st)
	return st, resp, err
}

// TaskConfigs returns a connector's task configs (GET
// /connectors/{name}/tasks).
func (c *Client) TaskConfigs(ctx context.Context, name string) ([]runtime.TaskInfo, *Response, error) {
	var tasks []runtime.TaskInfo
	resp, err := c.call(ctx, http.MethodGet, pathOf("connectors", name, "tasks"), nil, nil, &tasks)
	return tasks, resp, err
}

// Pause asks for a connector and its tasks to pause (PUT
// /connectors/{name}/pause, 202); it takes effect asynchronously.
func (c *Client) Pause(ctx context.Context, name string) (*Response, error) {
	return c.call(ctx, http.MethodPut, pathOf("connectors", name, "pause"), nil, nil, nil)
}

// Resume asks for a paused or stopped connector to run again (PUT
// /connectors/{name}/resume, 202).
func (c *Client) Resume(ctx context.Context, name string) (*Response, error) {
	return c.call(ctx, http.MethodPut, pathOf("connectors", name, "resume"), nil, nil, nil)
}

// Stop stops a connector and shuts its tasks down (PUT
// /connectors/{name}/stop, 204; Kafka 3.5), which its offsets must be
// before they can be altered or reset.
func (c *Client) Stop(ctx context.Context, name string) (*Response, error) {
	return c.call(ctx, http.MethodPut, pathOf("connectors", name, "stop"), nil, nil, nil)
}

// RestartConnector restarts a connector (POST /connectors/{name}/restart).
// Without includeTasks and onlyFailed only the connector instance restarts
// and the state returned is nil (204); otherwise it is the connector's
// status with the instances being restarted marked RESTARTING (202).
func (c *Client) RestartConnector(ctx context.Context, name string, includeTasks, onlyFailed bool) (*runtime.ConnectorStateInfo, *Response, error) {
	q := url.Values{}
	if includeTasks {
		q.Set("includeTasks", "true")
	}
	if onlyFailed {
		q.Set("onlyFailed", "true")
	}
	var st *runtime.ConnectorStateInfo
	resp, err := c.call(ctx, http.MethodPost, pathOf("connectors", name, "restart"), q, nil, &st)
	return st, resp, err
}

// RestartTask restarts one task (POST
// /connectors/{name}/tasks/{task}/restart, 204).
func (c *Client) RestartTask(ctx context.Context, name string, task int) (*Response, error) {
	return c.call(ctx, http.MethodPost, pathOf("connectors", name, "tasks", strconv.Itoa(task), "restart"), nil, nil, nil)
}

// DeleteConnector deletes a connector (DELETE /connectors/{name}, 204). Its
// source offsets are kept.
func (c *Client) DeleteConnector(ctx context.Context, name string) (*Response, error) {
	return c.call(ctx, http.MethodDelete, pathOf("connectors", name), nil, nil, nil)
}

// ConnectorOffsets returns a connector's committed offsets (GET
// /connectors/{name}/offsets; Kafka 3.5). Numbers in partitions and
// offsets are json.Number.
func (c *Client) ConnectorOffsets(ctx context.Context, name string) (runtime.ConnectorOffsets, *Response, error) {
	var offsets runtime.ConnectorOffsets
	resp, err := c.call(ctx, http.MethodGet, pathOf("connectors", name, "offsets"), nil, nil, &offsets)
	return offsets, resp, err
}

// AlterConnectorOffsets changes the offsets of a stopped connector (PATCH
// /connectors/{name}/offsets; Kafka 3.6); a nil Offset removes the
// partition's offset. It returns the worker's message.
func (c *Client) AlterConnectorOffsets(ctx context.Context, name string, offsets runtime.ConnectorOffsets) (string, *Response, error) {
	var m message
	resp, err := c.call(ctx, http.MethodPatch, pathOf("connectors", name, "offsets"), nil, offsets, &m)
	return m.Message, resp, err
}

// ResetConnectorOffsets removes every offset of a stopped connector (DELETE
// /connectors/{name}/offsets; Kafka 3.6). It returns the worker's message.
func (c *Client) ResetConnectorOffsets(ctx context.Context, name string) (string, *Response, error) {
	var m message
	resp, err := c.call(ctx, http.MethodDelete, pathOf("connectors", name, "offsets"), nil, nil, &m)
	return m.Message, resp, err
}

// Plugins lists the worker's plugins (GET /connector-plugins): with
// connectorsOnly the connectors only, else every plugin (connectorsOnly=false,
// Kafka 3.2) — converters, transformations, predicates too.
func (c *Client) Plugins(ctx context.Context, connectorsOnly bool) ([]PluginInfo, *Response, error) {
	var plugins []PluginInfo
	q := url.Values{"connectorsOnly": {strconv.FormatBool(connectorsOnly)}}
	resp, err := c.call(ctx, http.MethodGet, "/connector-plugins", q, nil, &plugins)
	return plugins, resp, err
}

// ValidateConfig validates a connector config against a connector plugin
// (PUT /connector-plugins/{plugin}/config/validate). The config must name
// the plugin in connector.class. The answer is 200 even when the config
// has errors; ErrorCount counts them.
func (c *Client) ValidateConfig(ctx context.Context, plugin string, config map[string]string) (configs.ConfigInfos, *Response, error) {
	var infos configs.ConfigInfos
	resp, err := c.call(ctx, http.MethodPut, pathOf("connector-plugins", plugin, "config", "validate"), nil, config, &infos)
	return infos, resp, err
}
