package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"conflux/internal/brokertest"
)

// runConsoleCommand executes cmd with args and stdin, returning what it wrote.
func runConsoleCommand(t *testing.T, cmd *cobra.Command, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errw bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errw)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err = cmd.Execute()
	return out.String(), errw.String(), err
}

func TestTopicCommands(t *testing.T) {
	addr := brokertest.Start(t)
	out, _, err := runConsoleCommand(t, newTopicCommand(), "", "create", "events", "-p", "3", "-r", "1",
		"-c", "retention.ms=60000", "--bootstrap-server", addr)
	if err != nil || out != "Created topic events.\n" {
		t.Fatalf("create: %q %v", out, err)
	}
	_, _, err = runConsoleCommand(t, newTopicCommand(), "", "create", "events", "-b", addr)
	if err == nil || !strings.Contains(err.Error(), "TOPIC_ALREADY_EXISTS") {
		t.Errorf("duplicate create: %v", err)
	}
	if _, _, err = runConsoleCommand(t, newTopicCommand(), "", "create", "events", "--if-not-exists", "-b", addr); err != nil {
		t.Errorf("create --if-not-exists: %v", err)
	}
	_, _, err = runConsoleCommand(t, newTopicCommand(), "", "create", "replicated", "-r", "3", "-b", addr)
	if err == nil || !strings.Contains(err.Error(), "INVALID_REPLICATION_FACTOR") {
		t.Errorf("RF 3: %v", err)
	}
	_, _, err = runConsoleCommand(t, newTopicCommand(), "", "create", "bad", "-c", "novalue", "-b", addr)
	if err == nil || !strings.Contains(err.Error(), "key=value") {
		t.Errorf("bad -c: %v", err)
	}

	out, _, err = runConsoleCommand(t, newTopicCommand(), "", "list", "-b", addr)
	if err != nil || out != "events\n" {
		t.Errorf("list: %q %v", out, err)
	}

	if _, _, err = runConsoleCommand(t, newTopicCommand(), "", "alter-config", "events", "-c", "cleanup.policy=compact",
		"--delete-config", "retention.ms", "-b", addr); err != nil {
		t.Errorf("alter-config: %v", err)
	}
	out, _, err = runConsoleCommand(t, newTopicCommand(), "", "describe", "events", "-b", addr)
	if err != nil || !strings.Contains(out, "PartitionCount: 3") || !strings.Contains(out, "Configs: cleanup.policy=compact\n") ||
		strings.Count(out, "LogEndOffset: 0") != 3 {
		t.Errorf("describe: %v\n%s", err, out)
	}
	out, _, err = runConsoleCommand(t, newTopicCommand(), "", "describe", "--all-configs", "-b", addr)
	if err != nil || !strings.Contains(out, "retention.ms=") || !strings.Contains(out, "DEFAULT_CONFIG") {
		t.Errorf("describe --all-configs: %v\n%s", err, out)
	}

	if _, _, err = runConsoleCommand(t, newTopicCommand(), "", "delete", "events", "-b", addr); err != nil {
		t.Errorf("delete: %v", err)
	}
	_, _, err = runConsoleCommand(t, newTopicCommand(), "", "delete", "events", "-b", addr)
	if err == nil || !strings.Contains(err.Error(), "UNKNOWN_TOPIC_OR_PARTITION") {
		t.Errorf("delete missing: %v", err)
	}
	if _, _, err = runConsoleCommand(t, newTopicCommand(), "", "delete", "events", "--if-exists", "-b", addr); err != nil {
		t.Errorf("delete --if-exists: %v", err)
	}
}
