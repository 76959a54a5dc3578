package connectcli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the output")

// step is one command of a transcript: label is the command line it
// stands for, run makes the CLI calls.
type step struct {
	label string
	run   func(ctx context.Context, c *CLI) error
}

// transcript runs steps against a fresh in-memory worker served by
// Conflux's REST API and compares what they print, as a terminal session,
// with testdata/<name>.golden: "$ conflux connector <label>", the output,
// notes from stderr prefixed "(stderr) ", and a failure as main prints
// it, "error: <err>".
func transcript(t *testing.T, name string, format OutputFormat, steps []step) {
	t.Helper()
	c := newTestClient(t, startREST(t, newMemHerder()))
	var session bytes.Buffer
	for _, s := range steps {
		var out, errOut bytes.Buffer
		cli := &CLI{Client: c, Out: &out, Err: &errOut, Format: format}
		err := s.run(t.Context(), cli)
		fmt.Fprintf(&session, "$ conflux connector %s\n%s", s.label, out.String())
		for line := range strings.Lines(errOut.String()) {
			fmt.Fprintf(&session, "(stderr) %s", line)
		}
		if err != nil {
			fmt.Fprintf(&session, "error: %v\n", err)
		}
		session.WriteString("\n")
	}
	golden := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(golden, session.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got := session.String(); got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it); got:\n%s", golden, got)
	}
}

// writeFile writes a file in a test's temporary directory and returns its
// path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// create returns a step creating the connector of file (its base name is
// the label) with the --name override and opts.
func create(t *testing.T, file, name string, opts CreateOptions) step {
	label := "create " + filepath.Base(file)
	if opts.Update {
		label += " --update"
	}
	if opts.InitialState != "" {
		label += " --initial-state " + opts.InitialState
	}
	if name != "" {
		label += " --name " + name
	}
	return step{label, func(ctx context.Context, c *CLI) error {
		spec, err := ReadConnectorSpec(file, nil, name)
		if err != nil {
			return err
		}
		return c.Create(ctx, spec, opts)
	}}
}

const (
	srcProperties = `# A contract source whose task 1 fails on purpose.
name=src
connector.class=contract-source
topic=orders
tasks.max=2
fail.tasks=1
api.password=hunter2
`
	sinkFlatJSON    = `{"name":"sink","connector.class":"io.conflux.test.ContractSinkConnector","tasks.max":1,"topics":"orders","endpoint":"http://sink.example:8080/in"}`
	sinkUpdatedJSON = `{"name":"sink","connector.class":"io.conflux.test.ContractSinkConnector","tasks.max":2,"topics":"orders","endpoint":"http://sink.example:8080/in"}`
	pausedRequest   = `{"name":"paused","config":{"connector.class":"contract-source","topic":"quiet"},"initial_state":"PAUSED"}`
	alterOffsets    = `{"offsets":[{"partition":{"file":"a.txt"},"offset":{"line":42}},{"partition":{"file":"b.txt"},"offset":{"line":7}}]}`
	invalidSource   = "connector.class=contract-source\ntopic=reserved\nbatch.size=0\n"
	validSource     = "name=check\ntopic=orders\n"
)

func TestCLITable(t *testing.T) {
	src := writeFile(t, "src.properties", srcProperties)
	sink := writeFile(t, "sink.json", sinkFlatJSON)
	sinkUpdated := writeFile(t, "sink-v2.json", sinkUpdatedJSON)
	paused := writeFile(t, "paused.json", pausedRequest)
	offsets := writeFile(t, "offsets.json", alterOffsets)
	invalid := writeFile(t, "invalid.properties", invalidSource)
	valid := writeFile(t, "valid.properties", validSource)
	alter := func(ctx context.Context, c *CLI) error {
		o, err := ReadOffsets(offsets, nil)
		if err != nil {
			return err
		}
		return c.AlterOffsets(ctx, "src", o)
	}
	validate := func(file string) func(ctx context.Context, c *CLI) error {
		return func(ctx context.Context, c *CLI) error {
			spec, err := ReadConnectorSpec(file, nil, "")
			if err != nil {
				return err
			}
			return c.Validate(ctx, "contract-source", spec.Config)
		}
	}
	transcript(t, "table", OutputTable, []step{
		{"plugins", func(ctx context.Context, c *CLI) error { return c.Plugins(ctx, false) }},
		{"plugins --connectors-only", func(ctx context.Context, c *CLI) error { return c.Plugins(ctx, true) }},
		{"list", func(ctx context.Context, c *CLI) error { return c.List(ctx, nil) }},
		create(t, src, "", CreateOptions{}),
		create(t, src, "", CreateOptions{}),
		create(t, sink, "", CreateOptions{Update: true}),
		create(t, sinkUpdated, "", CreateOptions{Update: true}),
		create(t, paused, "", CreateOptions{Update: true}),
		create(t, paused, "", CreateOptions{}),
		create(t, src, "src-copy", CreateOptions{InitialState: "stopped"}),
		{"list", func(ctx context.Context, c *CLI) error { return c.List(ctx, nil) }},
		{"list --expand status", func(ctx context.Context, c *CLI) error { return c.List(ctx, []string{"status"}) }},
		{"list --expand info", func(ctx context.Context, c *CLI) error { return c.List(ctx, []string{"info"}) }},
		{"list --expand status,info", func(ctx context.Context, c *CLI) error { return c.List(ctx, []string{"status", "info"}) }},
		{"get src", func(ctx context.Context, c *CLI) error { return c.Get(ctx, "src") }},
		{"config src", func(ctx context.Context, c *CLI) error { return c.Config(ctx, "src") }},
		{"status src", func(ctx context.Context, c *CLI) error { return c.Status(ctx, "src", false) }},
		{"status src --trace", func(ctx context.Context, c *CLI) error { return c.Status(ctx, "src", true) }},
		{"status src-copy", func(ctx context.Context, c *CLI) error { return c.Status(ctx, "src-copy", false) }},
		{"tasks src", func(ctx context.Context, c *CLI) error { return c.Tasks(ctx, "src") }},
		{"restart src", func(ctx context.Context, c *CLI) error { return c.Restart(ctx, "src", false, false) }},
		{"restart src --include-tasks --only-failed", func(ctx context.Context, c *CLI) error { return c.Restart(ctx, "src", true, true) }},
		{"restart-task src 1", func(ctx context.Context, c *CLI) error { return c.RestartTask(ctx, "src", 1) }},
		{"restart-task src 7", func(ctx context.Context, c *CLI) error { return c.RestartTask(ctx, "src", 7) }},
		{"pause src", func(ctx context.Context, c *CLI) error { return c.Pause(ctx, "src") }},
		{"status src", func(ctx context.Context, c *CLI) error { return c.Status(ctx, "src", false) }},
		{"resume src", func(ctx context.Context, c *CLI) error { return c.Resume(ctx, "src") }},
		{"offsets src", func(ctx context.Context, c *CLI) error { return c.Offsets(ctx, "src") }},
		{"offsets src --alter offsets.json", alter},
		{"stop src", func(ctx context.Context, c *CLI) error { return c.Stop(ctx, "src") }},
		{"offsets src --alter offsets.json", alter},
		{"offsets src", func(ctx context.Context, c *CLI) error { return c.Offsets(ctx, "src") }},
		{"offsets src --reset", func(ctx context.Context, c *CLI) error { return c.ResetOffsets(ctx, "src") }},
		{"offsets src", func(ctx context.Context, c *CLI) error { return c.Offsets(ctx, "src") }},
		{"validate contract-source invalid.properties", validate(invalid)},
		{"validate contract-source valid.properties", validate(valid)},
		{"delete src", func(ctx context.Context, c *CLI) error { return c.Delete(ctx, "src") }},
		{"get src", func(ctx context.Context, c *CLI) error { return c.Get(ctx, "src") }},
		{"status src", func(ctx context.Context, c *CLI) error { return c.Status(ctx, "src", false) }},
		{"delete src", func(ctx context.Context, c *CLI) error { return c.Delete(ctx, "src") }},
	})
}

func TestCLIJSON(t *testing.T) {
	src := writeFile(t, "src.properties", srcProperties)
	sink := writeFile(t, "sink.json", sinkFlatJSON)
	transcript(t, "json", OutputJSON, []step{
		{"list -o json", func(ctx context.Context, c *CLI) error { return c.List(ctx, nil) }},
		create(t, src, "", CreateOptions{}),
		create(t, sink, "", CreateOptions{Update: true}),
		{"list -o json", func(ctx context.Context, c *CLI) error { return c.List(ctx, nil) }},
		{"list --expand status,info -o json", func(ctx context.Context, c *CLI) error { return c.List(ctx, []string{"status", "info"}) }},
		{"get src -o json", func(ctx context.Context, c *CLI) error { return c.Get(ctx, "src") }},
		{"config sink -o json", func(ctx context.Context, c *CLI) error { return c.Config(ctx, "sink") }},
		{"status src -o json", func(ctx context.Context, c *CLI) error { return c.Status(ctx, "src", false) }},
		{"tasks sink -o json", func(ctx context.Context, c *CLI) error { return c.Tasks(ctx, "sink") }},
		{"restart src -o json", func(ctx context.Context, c *CLI) error { return c.Restart(ctx, "src", false, false) }},
		{"restart src --include-tasks -o json", func(ctx context.Context, c *CLI) error { return c.Restart(ctx, "src", true, false) }},
		{"pause src -o json", func(ctx context.Context, c *CLI) error { return c.Pause(ctx, "src") }},
		{"offsets src -o json", func(ctx context.Context, c *CLI) error { return c.Offsets(ctx, "src") }},
		{"plugins --connectors-only -o json", func(ctx context.Context, c *CLI) error { return c.Plugins(ctx, true) }},
		{"get nope -o json", func(ctx context.Context, c *CLI) error { return c.Get(ctx, "nope") }},
	})
}

func TestCLIValidateFailsOnErrors(t *testing.T) {
	c := &CLI{Client: newTestClient(t, startREST(t, newMemHerder())), Out: new(bytes.Buffer), Err: new(bytes.Buffer)}
	err := c.Validate(t.Context(), "contract-source", map[string]string{"topic": "reserved"})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("invalid config: %v, want ErrInvalidConfig", err)
	}
	if err := c.Validate(t.Context(), "contract-source", map[string]string{"name": "n", "topic": "t"}); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

func TestCLICreateArguments(t *testing.T) {
	c := &CLI{Client: newTestClient(t, startREST(t, newMemHerder())), Out: new(bytes.Buffer), Err: new(bytes.Buffer)}
	tests := []struct {
		name string
		spec ConnectorSpec
		opts CreateOptions
		want string
	}{
		{"no name", ConnectorSpec{Config: map[string]string{"connector.class": "x"}}, CreateOptions{}, "has no name"},
		{"no class", ConnectorSpec{Name: "a", Config: map[string]string{"name": "a"}}, CreateOptions{}, "has no connector.class"},
		{"bad state", ConnectorSpec{Name: "a", Config: map[string]string{"connector.class": "x"}}, CreateOptions{InitialState: "sleeping"}, `initial state "SLEEPING"`},
		{"state with update", ConnectorSpec{Name: "a", Config: map[string]string{"connector.class": "x"}}, CreateOptions{Update: true, InitialState: "PAUSED"}, "cannot be combined with --update"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Create(t.Context(), tt.spec, tt.opts)
			if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want ErrInvalidArgument containing %q", err, tt.want)
			}
		})
	}
}

func TestParseHelpers(t *testing.T) {
	for in, want := range map[string]int{"0": 0, " 3 ": 3, "src-2": 2} {
		if got, err := ParseTaskID("src", in); err != nil || got != want {
			t.Errorf("ParseTaskID(src, %q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "x", "other-1"} {
		if _, err := ParseTaskID("src", bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseTaskID(src, %q) = %v, want ErrInvalidArgument", bad, err)
		}
	}
	if got, err := ParseExpand([]string{"Status", "info", "status"}); err != nil || strings.Join(got, ",") != "status,info" {
		t.Errorf("ParseExpand = %q, %v", got, err)
	}
	if _, err := ParseExpand([]string{"statuses"}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ParseExpand(statuses) = %v", err)
	}
	for in, want := range map[string]OutputFormat{"": OutputTable, "table": OutputTable, "JSON": OutputJSON} {
		if got, err := ParseOutputFormat(in); err != nil || got != want {
			t.Errorf("ParseOutputFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseOutputFormat("yaml"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ParseOutputFormat(yaml) = %v", err)
	}
}
