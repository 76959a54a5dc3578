package main

import (
	"fmt"
	"strings"
	"testing"

	"conflux/broker"
	"conflux/internal/brokertest"
)

// groupRows parses the rows of the tables "conflux group" prints into maps
// from column header to value.
func groupRows(out string) []map[string]string {
	var header []string
	var rows []map[string]string
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case fields[0] == "GROUP":
			header = fields
		case header != nil && len(fields) >= len(header):
			row := map[string]string{}
			for i, h := range header {
				row[h] = fields[i]
			}
			rows = append(rows, row)
		}
	}
	return rows
}

func TestGroupCommands(t *testing.T) {
	addr := brokertest.StartWith(t, broker.Config{GroupInitialRebalanceDelay: -1})
	if _, _, err := runConsoleCommand(t, newTopicCommand(), "", "create", "events", "-p", "1", "-b", addr); err != nil {
		t.Fatal(err)
	}
	var input strings.Builder
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&input, "r%d\n", i)
	}
	if _, _, err := runConsoleCommand(t, newProduceCommand(), input.String(), "events", "-b", addr); err != nil {
		t.Fatal(err)
	}

	consume := func(args ...string) string {
		t.Helper()
		out, errOut, err := runConsoleCommand(t, newConsumeCommand(), "",
			append([]string{"events", "--timeout-ms", "10000", "-b", addr}, args...)...)
		if err != nil {
			t.Fatalf("consume %q: %v (%s)", args, err, errOut)
		}
		return out
	}
	group := func(args ...string) (string, error) {
		t.Helper()
		out, _, err := runConsoleCommand(t, newGroupCommand(), "", append(args, "-b", addr)...)
		return out, err
	}

	if out := consume("--group", "g", "--from-beginning", "--max-messages", "4"); out != "r1\nr2\nr3\nr4\n" {
		t.Fatalf("first consume printed %q", out)
	}
	out, err := group("describe", "g")
	rows := groupRows(out)
	if err != nil || !strings.Contains(out, "Consumer group 'g' has no active members.") || len(rows) != 1 ||
		rows[0]["CURRENT-OFFSET"] != "4" || rows[0]["LOG-END-OFFSET"] != "10" || rows[0]["LAG"] != "6" {
		t.Fatalf("describe: %v\n%s", err, out)
	}
	if out := consume("--group", "g", "--max-messages", "6"); out != "r5\nr6\nr7\nr8\nr9\nr10\n" {
		t.Fatalf("second consume printed %q", out)
	}

	out, err = group("list")
	if rows := groupRows(out); err != nil || len(rows) != 1 || rows[0]["GROUP"] != "g" || rows[0]["STATE"] != "Empty" ||
		rows[0]["PROTOCOL-TYPE"] != "consumer" {
		t.Errorf("list: %v\n%s", err, out)
	}
	out, err = group("describe", "g", "--state")
	if rows := groupRows(out); err != nil || len(rows) != 1 || rows[0]["STATE"] != "Empty" || rows[0]["#MEMBERS"] != "0" {
		t.Errorf("describe --state: %v\n%s", err, out)
	}

	// Dry run (default) prints the plan and changes nothing.
	out, errOut, err := runConsoleCommand(t, newGroupCommand(), "", "reset-offsets", "g", "--topic", "events",
		"--shift-by", "-3", "-b", addr)
	if rows := groupRows(out); err != nil || len(rows) != 1 || rows[0]["NEW-OFFSET"] != "7" ||
		!strings.Contains(errOut, "--execute option is missing") {
		t.Errorf("reset dry run: %v\n%s%s", err, out, errOut)
	}
	out, _ = group("describe", "g")
	if rows := groupRows(out); len(rows) != 1 || rows[0]["CURRENT-OFFSET"] != "10" {
		t.Errorf("the dry run changed the offset:\n%s", out)
	}
	if _, err := group("reset-offsets", "g", "--topic", "events:0", "--to-offset", "8", "--execute"); err != nil {
		t.Fatalf("reset --execute: %v", err)
	}
	if out := consume("--group", "g", "--max-messages", "2"); out != "r9\nr10\n" {
		t.Errorf("after reset to 8 printed %q", out)
	}
	if _, err := group("reset-offsets", "g", "--all-topics", "--to-earliest", "--execute"); err != nil {
		t.Fatalf("reset --to-earliest: %v", err)
	}
	if out := consume("--group", "g", "--max-messages", "1"); out != "r1\n" {
		t.Errorf("after reset to earliest printed %q", out)
	}

	for _, args := range [][]string{
		{"reset-offsets", "g", "--topic", "events", "--to-earliest", "--to-latest"},
		{"reset-offsets", "g", "--topic", "events", "--to-earliest", "--dry-run", "--execute"},
		{"reset-offsets", "g", "--topic", "events"},
		{"reset-offsets", "g", "--to-earliest"},
		{"reset-offsets", "g", "--topic", "events", "--to-datetime", "last tuesday"},
		{"describe"},
		{"describe", "g", "--members", "--state"},
	} {
		if _, err := group(args...); err == nil || !strings.Contains(err.Error(), "invalid argument") {
			t.Errorf("%q: %v, want an invalid argument error", args, err)
		}
	}
	for _, args := range [][]string{
		{"--group", "g", "--partition", "0"},
		{"--group", "g", "--offset", "3"},
		{"--assignor", "roundrobin"},
	} {
		_, _, err := runConsoleCommand(t, newConsumeCommand(), "", append([]string{"events", "-b", addr}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "--group") {
			t.Errorf("consume %q: %v, want an error naming --group", args, err)
		}
	}

	if _, err := group("describe", "missing"); err == nil || !strings.Contains(err.Error(), "Consumer group 'missing' does not exist.") {
		t.Errorf("describe missing: %v", err)
	}
	if out, err := group("delete", "g"); err != nil || out != "Deletion of requested consumer groups ('g') was successful.\n" {
		t.Errorf("delete: %q %v", out, err)
	}
	if _, err := group("delete", "g"); err == nil || !strings.Contains(err.Error(), "GROUP_ID_NOT_FOUND") {
		t.Errorf("delete again: %v", err)
	}
	if out, err := group("list"); err != nil || len(groupRows(out)) != 0 {
		t.Errorf("list after delete: %v\n%s", err, out)
	}
}
