package connectcli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"conflux/configs"
	"conflux/runtime"
)

// CLI runs the `conflux connector` subcommands: each method makes the REST
// calls of one subcommand and prints the outcome to Out, as tables and
// sentences or, with OutputJSON, as the response body indented. Errors are
// returned, not printed; notes for the user go to Err.
type CLI struct {
	// Client calls the worker's REST API.
	Client *Client
	// Out receives the results.
	Out io.Writer
	// Err receives notes that are not results, so that Out stays
	// parseable.
	Err io.Writer
	// Format is how results are printed.
	Format OutputFormat
}

// json reports whether results are printed as JSON.
func (c *CLI) json() bool { return c.Format == OutputJSON }

// printBody prints a response body as JSON output.
func (c *CLI) printBody(resp *Response) error { return writeIndented(c.Out, resp.Body) }

// say prints a sentence for people, in table mode only.
func (c *CLI) say(format string, args ...any) error {
	if c.json() {
		return nil
	}
	_, err := fmt.Fprintf(c.Out, format+"\n", args...)
	return err
}

// ParseExpand checks the values of --expand: status and info, each at
// most once, in any case; it returns them lowercased.
func ParseExpand(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		v = strings.ToLower(strings.TrimSpace(v))
		if v != ExpandStatus && v != ExpandInfo {
			return nil, fmt.Errorf("%w: --expand %q: want status or info", ErrInvalidArgument, v)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// List prints the connectors: their names, one a line, or with expand
// (see ParseExpand) a table of them with their status and/or info.
func (c *CLI) List(ctx context.Context, expand []string) error {
	if len(expand) == 0 {
		names, resp, err := c.Client.Connectors(ctx)
		if err != nil {
			return err
		}
		if c.json() {
			return c.printBody(resp)
		}
		slices.Sort(names)
		return WriteConnectorNames(c.Out, names)
	}
	conns, resp, err := c.Client.ConnectorsExpanded(ctx, expand...)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printBody(resp)
	}
	return WriteConnectorList(c.Out, conns, slices.Contains(expand, ExpandStatus), slices.Contains(expand, ExpandInfo))
}

// CreateOptions are the options of Create.
type CreateOptions struct {
	// Update creates the connector or replaces its config (PUT
	// /connectors/{name}/config) instead of only creating it (POST
	// /connectors, which fails if it exists).
	Update bool
	// InitialState, when set, is the state a created connector starts in
	// (RUNNING, PAUSED or STOPPED); it overrides the file's initial_state.
	// Not with Update: PUT cannot set it.
	InitialState string
}

// initialStates are the values of initial_state (Kafka 3.7, KIP-980).
var initialStates = []string{"RUNNING", "PAUSED", "STOPPED"}

// Create creates a connector from spec, or with opts.Update creates or
// updates it, and says which happened.
func (c *CLI) Create(ctx context.Context, spec ConnectorSpec, opts CreateOptions) error {
	if spec.Name == "" {
		return fmt.Errorf("%w: the connector has no name: set \"name\" in the file, or give --name", ErrInvalidArgument)
	}
	if _, ok := spec.Config[configs.KeyConnectorClass]; !ok {
		return fmt.Errorf("%w: the config of connector %s has no %s", ErrInvalidArgument, spec.Name, configs.KeyConnectorClass)
	}
	state := spec.InitialState
	if opts.InitialState != "" {
		if opts.Update {
			return fmt.Errorf("%w: --initial-state applies to creation only; it cannot be combined with --update", ErrInvalidArgument)
		}
		state = strings.ToUpper(strings.TrimSpace(opts.InitialState))
	}
	if state != "" && !slices.Contains(initialStates, state) {
		return fmt.Errorf("%w: initial state %q: want RUNNING, PAUSED or STOPPED", ErrInvalidArgument, state)
	}
	if opts.Update {
		if state != "" {
			fmt.Fprintf(c.Err, "Note: initial_state %s is ignored with --update: PUT /connectors/%s/config cannot set it.\n", state, spec.Name)
		}
		_, resp, err := c.Client.PutConnectorConfig(ctx, spec.Name, spec.Config)
		if err != nil {
			return err
		}
		if c.json() {
			return c.printBody(resp)
		}
		if resp.StatusCode == http.StatusCreated {
			return c.say("Created connector %s.", spec.Name)
		}
		return c.say("Updated connector %s.", spec.Name)
	}
	_, resp, err := c.Client.CreateConnector(ctx, CreateRequest{Name: spec.Name, Config: spec.Config, InitialState: state})
	if err != nil {
		return err
	}
	if c.json() {
		return c.printBody(resp)
	}
	return c.say("Created connector %s.", spec.Name)
}

// Get prints a connector's type, task ids and config.
func (c *CLI) Get(ctx context.Context, name string) error {
	info, resp, err := c.Client.Connector(ctx, name)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printBody(resp)
	}
	return WriteConnectorInfo(c.Out, info)
}

// Config prints a connector's config as a .properties document (see
// WriteProperties), which Create reads back, or as JSON.
func (c *CLI) Config(ctx context.Context, name string) error {
	config, resp, err := c.Client.ConnectorConfig(ctx, name)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printBody(resp)
	}
	return WriteProperties(c.Out, config)
}

// Status prints a connector's and its tasks' states; with traces, the
// traces of failed instances too.
func (c *CLI) Status(ctx context.Context, name string, traces bool) error {
	st, resp, err := c.Client.ConnectorStatus(ctx, name)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printBody(resp)
	}
	return WriteStatus(c.Out, st, traces)
}

// Tasks prints a connector's task configs.
func (c *CLI) Tasks(ctx context.Context, name string) error {
	tasks, resp, err := c.Client.TaskConfigs(ctx, name)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printBody(resp)
	}
	return WriteTaskConfigs(c.Out, tasks)
}

// Pause asks for a connector to pause.
func (c *CLI) Pause(ctx context.Context, name string) error {
	if _, err := c.Client.Pause(ctx, name); err != nil {
		return err
	}
	return c.say("Pausing connector %s.", name)
}

// Resume asks for a paused or stopped connector to run.
func (c *CLI) Resume(ctx context.Context, name string) error {
	if _, err := c.Client.Resume(ctx, name); err != nil {
		return err
	}
	return c.say("Resuming connector %s.", name)
}

// Stop asks for a connector to stop, tasks included.
func (c *CLI) Stop(ctx context.Context, name string) error {
	if _, err := c.Client.Stop(ctx, name); err != nil {
		return err
	}
	return c.say("Stopping connector %s.", name)
}

// Restart restarts a connector and, with includeTasks, its tasks; with
// onlyFailed only the failed instances. When the worker lists the
// instances it restarts, their status is printed, those restarting marked
// RESTARTING.
func (c *CLI) Restart(ctx context.Context, name string, includeTasks, onlyFailed bool) error {
	st, resp, err := c.Client.RestartConnector(ctx, name, includeTasks, onlyFailed)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printBody(resp)
	}
	if st == nil {
		return c.say("Restarting connector %s.", name)
	}
	fmt.Fprintf(c.Out, "Restarting the instances of connector %s marked RESTARTING.\n\n", name)
	return writeStatus(c.Out, *st, tracesOmitted)
}

// ParseTaskID parses a task number as the TASK argument gives it: "0", or
// the task's full name "<connector>-0".
func ParseTaskID(connector, s string) (int, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, connector+"-")
	id, err := strconv.Atoi(s)
	if err != nil || id < 0 {
		return 0, fmt.Errorf("%w: task %q: want a task number such as 0", ErrInvalidArgument, s)
	}
	return id, nil
}

// RestartTask restarts one task.
func (c *CLI) RestartTask(ctx context.Context, name string, task int) error {
	if _, err := c.Client.RestartTask(ctx, name, task); err != nil {
		return err
	}
	return c.say("Restarting task %d of connector %s.", task, name)
}

// Delete deletes a connector; its source offsets are kept.
func (c *CLI) Delete(ctx context.Context, name string) error {
	if _, err := c.Client.DeleteConnector(ctx, name); err != nil {
		return err
	}
	return c.say("Deleted connector %s.", name)
}

// Offsets prints a connector's committed offsets.
func (c *CLI) Offsets(ctx context.Context, name string) error {
	offsets, resp, err := c.Client.ConnectorOffsets(ctx, name)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printBody(resp)
	}
	return WriteOffsets(c.Out, name, offsets)
}

// AlterOffsets changes the offsets of a stopped connector and prints the
// worker's message.
func (c *CLI) AlterOffsets(ctx context.Context, name string, offsets runtime.ConnectorOffsets) error {
	msg, resp, err := c.Client.AlterConnectorOffsets(ctx, name, offsets)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printBody(resp)
	}
	return c.say("%s", msg)
}

// ResetOffsets removes every offset of a stopped connector and prints the
// worker's message.
func (c *CLI) ResetOffsets(ctx context.Context, name string) error {
	msg, resp, err := c.Client.ResetConnectorOffsets(ctx, name)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printBody(resp)
	}
	return c.say("%s", msg)
}

// Plugins prints the worker's plugins, or with connectorsOnly its
// connector plugins.
func (c *CLI) Plugins(ctx context.Context, connectorsOnly bool) error {
	plugins, resp, err := c.Client.Plugins(ctx, connectorsOnly)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printBody(resp)
	}
	return WritePlugins(c.Out, plugins)
}

// Validate validates config against the connector plugin and prints the
// errors found. When the config does not name its class, plugin is used
// (config itself is not changed). It returns an error wrapping
// ErrInvalidConfig when the worker found errors, after printing them.
func (c *CLI) Validate(ctx context.Context, plugin string, config map[string]string) error {
	config = maps.Clone(config)
	if config == nil {
		config = map[string]string{}
	}
	if _, ok := config[configs.KeyConnectorClass]; !ok {
		config[configs.KeyConnectorClass] = plugin
	}
	infos, resp, err := c.Client.ValidateConfig(ctx, plugin, config)
	if err != nil {
		return err
	}
	if c.json() {
		err = c.printBody(resp)
	} else {
		err = WriteValidation(c.Out, infos)
	}
	if err == nil && infos.ErrorCount > 0 {
		err = fmt.Errorf("%w: %d error(s)", ErrInvalidConfig, infos.ErrorCount)
	}
	return err
}
