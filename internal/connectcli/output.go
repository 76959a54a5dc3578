package connectcli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"conflux/configs"
	"conflux/runtime"
)

// OutputFormat is how commands print what the API answered.
type OutputFormat int

// Output formats.
const (
	// OutputTable prints tables and sentences for people.
	OutputTable OutputFormat = iota
	// OutputJSON prints the response body as received, indented; commands
	// whose response has no body print nothing.
	OutputJSON
)

// ParseOutputFormat parses the --output flag: "table" (or "text") or
// "json".
func ParseOutputFormat(s string) (OutputFormat, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "table", "text", "":
		return OutputTable, nil
	case "json":
		return OutputJSON, nil
	}
	return 0, fmt.Errorf("%w: --output %q: want table or json", ErrInvalidArgument, s)
}

// writeIndented writes a JSON body indented by two spaces, as received
// otherwise (field order, number literals), with a final newline. An empty
// body writes nothing.
func writeIndented(w io.Writer, body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		// Not JSON after all: show it unchanged rather than nothing.
		buf.Reset()
		buf.Write(body)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// newTable returns a writer aligning tab-separated columns with two spaces
// between them, like the other console tools' tables.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
}

// cell makes a value safe for one table cell: control characters (a tab
// would break the columns, a newline the row) are escaped as in Go
// strings, and an empty value is a dash.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) < 0 {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// writeConfigTable prints a config as an indented two-column table, keys in
// order.
func writeConfigTable(w io.Writer, config map[string]string) error {
	tw := newTable(w)
	for _, k := range slices.Sorted(maps.Keys(config)) {
		fmt.Fprintf(tw, "  %s\t%s\n", cell(k), cell(config[k]))
	}
	return tw.Flush()
}

// WriteConnectorNames prints connector names, one a line.
func WriteConnectorNames(w io.Writer, names []string) error {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(cell(n))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteConnectorList prints connectors expanded with their status and/or
// info as a table in name order: NAME and TYPE, CLASS (with info), STATE
// (with status), TASKS (with status, how many tasks are in each state, such
// as RUNNING:2,FAILED:1; with info only, the task count) and WORKER (with
// status, the worker running the connector instance).
func WriteConnectorList(w io.Writer, conns map[string]Expansion, withStatus, withInfo bool) error {
	tw := newTable(w)
	cols := []string{"NAME", "TYPE"}
	if withInfo {
		cols = append(cols, "CLASS")
	}
	if withStatus {
		cols = append(cols, "STATE")
	}
	cols = append(cols, "TASKS")
	if withStatus {
		cols = append(cols, "WORKER")
	}
	fmt.Fprintln(tw, strings.Join(cols, "\t"))
	for _, name := range slices.Sorted(maps.Keys(conns)) {
		e := conns[name]
		typ := runtime.ConnectorType("")
		row := []string{cell(name)}
		if e.Info != nil {
			typ = e.Info.Type
		}
		if e.Status != nil && e.Status.Type != "" {
			typ = e.Status.Type
		}
		row = append(row, cell(string(typ)))
		if withInfo {
			class := ""
			if e.Info != nil {
				class = e.Info.Config[configs.KeyConnectorClass]
			}
			row = append(row, cell(class))
		}
		switch {
		case withStatus && e.Status != nil:
			row = append(row, cell(string(e.Status.Connector.State)), taskSummary(e.Status.Tasks), cell(e.Status.Connector.WorkerID))
		case withStatus:
			row = append(row, "-", "-", "-")
		case e.Info != nil:
			row = append(row, strconv.Itoa(len(e.Info.Tasks)))
		default:
			row = append(row, "-")
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// stateOrder is the order of states in a task summary: healthy first.
var stateOrder = []runtime.State{
	runtime.StateRunning, runtime.StatePaused, runtime.StateStopped,
	runtime.StateRestarting, runtime.StateUnassigned, runtime.StateFailed,
}

// taskSummary counts tasks per state, as RUNNING:2,FAILED:1; "-" for none.
func taskSummary(tasks []runtime.TaskState) string {
	if len(tasks) == 0 {
		return "-"
	}
	counts := map[runtime.State]int{}
	for _, t := range tasks {
		counts[t.State]++
	}
	var parts []string
	for _, s := range stateOrder {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", s, n))
			delete(counts, s)
		}
	}
	for _, s := range slices.Sorted(maps.Keys(counts)) { // states newer than this client
		parts = append(parts, fmt.Sprintf("%s:%d", cell(string(s)), counts[s]))
	}
	return strings.Join(parts, ",")
}

// WriteConnectorInfo prints a connector's name, type, task ids and config.
func WriteConnectorInfo(w io.Writer, info runtime.ConnectorInfo) error {
	tasks := make([]string, len(info.Tasks))
	for i, t := range info.Tasks {
		tasks[i] = strconv.Itoa(t.Task)
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "Name:\t%s\n", cell(info.Name))
	fmt.Fprintf(tw, "Type:\t%s\n", cell(string(info.Type)))
	fmt.Fprintf(tw, "Tasks:\t%s\n", cell(strings.Join(tasks, ", ")))
	fmt.Fprintln(tw, "Config:")
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeConfigTable(w, info.Config)
}

// WriteStatus prints a connector's status: its name, type, state and
// worker, then a table of its tasks (TASK, STATE, WORKER). With traces, the
// trace of each failed instance follows, indented; without, a FAILED
// instance's trace is announced by a note to use --trace.
func WriteStatus(w io.Writer, st runtime.ConnectorStateInfo, traces bool) error {
	mode := tracesNoted
	if traces {
		mode = tracesShown
	}
	return writeStatus(w, st, mode)
}

// traceMode is what writeStatus does with traces.
type traceMode int

const (
	tracesNoted   traceMode = iota // a note says how many there are
	tracesShown                    // printed after the tasks
	tracesOmitted                  // ignored
)

func writeStatus(w io.Writer, st runtime.ConnectorStateInfo, mode traceMode) error {
	tw := newTable(w)
	fmt.Fprintf(tw, "Connector:\t%s\n", cell(st.Name))
	fmt.Fprintf(tw, "Type:\t%s\n", cell(string(st.Type)))
	fmt.Fprintf(tw, "State:\t%s\n", cell(string(st.Connector.State)))
	fmt.Fprintf(tw, "Worker:\t%s\n", cell(st.Connector.WorkerID))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if len(st.Tasks) == 0 {
		fmt.Fprintln(w, "No tasks.")
	} else {
		tw = newTable(w)
		fmt.Fprintln(tw, "TASK\tSTATE\tWORKER")
		for _, t := range st.Tasks {
			fmt.Fprintf(tw, "%d\t%s\t%s\n", t.ID, cell(string(t.State)), cell(t.WorkerID))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	hidden := 0
	trace := func(what, text string) {
		if text == "" || mode == tracesOmitted {
			return
		}
		if mode == tracesNoted {
			hidden++
			return
		}
		fmt.Fprintf(w, "\nTrace of %s:\n", what)
		for line := range strings.SplitSeq(strings.TrimRight(text, "\n"), "\n") {
			fmt.Fprintf(w, "    %s\n", strings.TrimRight(line, "\r"))
		}
	}
	trace("the connector", st.Connector.Trace)
	for _, t := range st.Tasks {
		trace(fmt.Sprintf("task %d", t.ID), t.Trace)
	}
	if hidden > 0 {
		fmt.Fprintf(w, "\n%d trace(s) not shown; --trace shows them.\n", hidden)
	}
	return nil
}

// WriteTaskConfigs prints the tasks' configs as a table of TASK, KEY and
// VALUE, one row per key.
func WriteTaskConfigs(w io.Writer, tasks []runtime.TaskInfo) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "TASK\tKEY\tVALUE")
	for _, t := range tasks {
		if len(t.Config) == 0 {
			fmt.Fprintf(tw, "%d\t-\t-\n", t.ID.Task)
		}
		for _, k := range slices.Sorted(maps.Keys(t.Config)) {
			fmt.Fprintf(tw, "%d\t%s\t%s\n", t.ID.Task, cell(k), cell(t.Config[k]))
		}
	}
	return tw.Flush()
}

// WritePlugins prints plugins as a table of CLASS, TYPE and VERSION, in the
// worker's order.
func WritePlugins(w io.Writer, plugins []PluginInfo) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "CLASS\tTYPE\tVERSION")
	for _, p := range plugins {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", cell(p.Class), cell(p.Type), cell(p.Version))
	}
	return tw.Flush()
}

// WriteOffsets prints a connector's offsets as a table of PARTITION and
// OFFSET, each as compact JSON, or a sentence when there are none.
func WriteOffsets(w io.Writer, name string, offsets runtime.ConnectorOffsets) error {
	if len(offsets.Offsets) == 0 {
		_, err := fmt.Fprintf(w, "Connector %s has no committed offsets.\n", cell(name))
		return err
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "PARTITION\tOFFSET")
	for _, po := range offsets.Offsets {
		p, err := compactJSON(po.Partition)
		if err != nil {
			return err
		}
		o, err := compactJSON(po.Offset)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\n", p, o)
	}
	return tw.Flush()
}

// compactJSON renders a decoded JSON object on one line, keys in order,
// without escaping <, > and &.
func compactJSON(v map[string]any) (string, error) {
	if v == nil {
		return "null", nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// WriteValidation prints the result of a validation: a sentence when the
// config is valid; otherwise the error count and a table of KEY, VALUE and
// ERROR, one row per error, in the worker's order.
func WriteValidation(w io.Writer, infos configs.ConfigInfos) error {
	if infos.ErrorCount == 0 {
		_, err := fmt.Fprintf(w, "The configuration of %s is valid.\n", cell(infos.Name))
		return err
	}
	fmt.Fprintf(w, "The configuration of %s has %d error(s):\n\n", cell(infos.Name), infos.ErrorCount)
	tw := newTable(w)
	fmt.Fprintln(tw, "KEY\tVALUE\tERROR")
	for _, c := range infos.Configs {
		if c.Value == nil {
			continue
		}
		value := "(none)"
		if c.Value.Value != nil {
			value = cell(*c.Value.Value)
		}
		for _, e := range c.Value.Errors {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", cell(c.Value.Name), value, cell(e))
		}
	}
	return tw.Flush()
}
