package main

import (
	"encoding/json"
	"strings"
	"testing"

	"conflux/internal/brokertest"
)

func TestProduceConsumeCommands(t *testing.T) {
	addr := brokertest.Start(t)
	if _, _, err := runConsoleCommand(t, newTopicCommand(), "", "create", "lines", "-p", "3", "-b", addr); err != nil {
		t.Fatal(err)
	}
	input := "user-42:hello\nkey1:world\nk0:a=b\n"
	_, errOut, err := runConsoleCommand(t, newProduceCommand(), input, "lines", "--parse-key", "-H", "origin=test",
		"--compression", "zstd", "--acks", "all", "-v", "-b", addr)
	if err != nil || !strings.Contains(errOut, "3 records produced to lines, 0 failed") {
		t.Fatalf("produce: %v %q", err, errOut)
	}

	out, errOut, err := runConsoleCommand(t, newConsumeCommand(), "", "lines", "--from-beginning", "--max-messages", "3",
		"--format", `%p %k %v %h`, "--timeout-ms", "5000", "-b", addr)
	if err != nil || !strings.Contains(errOut, "Processed a total of 3 messages") {
		t.Fatalf("consume: %v %q", err, errOut)
	}
	for _, want := range []string{"1 user-42 hello origin=test\n", "2 key1 world origin=test\n", "2 k0 a=b origin=test\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("consume output lacks %q:\n%s", want, out)
		}
	}

	out, _, err = runConsoleCommand(t, newConsumeCommand(), "", "lines", "--partition", "2", "--offset", "1",
		"--format", "json", "--timeout-ms", "5000", "--max-messages", "1", "-q", "-b", addr)
	var rec map[string]any
	if err != nil || json.Unmarshal([]byte(out), &rec) != nil || rec["key"] != "k0" || rec["offset"] != float64(1) {
		t.Errorf("consume json: %v %q", err, out)
	}

	out, _, err = runConsoleCommand(t, newConsumeCommand(), "", "lines", "--from-beginning", "--print-key",
		"--partition", "1", "--timeout-ms", "300", "-q", "-b", addr)
	if err != nil || out != "user-42\thello\n" {
		t.Errorf("consume --print-key: %v %q", err, out)
	}

	for _, args := range [][]string{
		{"lines", "--offset", "5"},                          // needs --partition
		{"lines", "--offset", "latest", "--from-beginning"}, // contradicts
		{"lines", "--format", "%x"},
	} {
		if _, _, err := runConsoleCommand(t, newConsumeCommand(), "", append(args, "-b", addr)...); err == nil {
			t.Errorf("consume %q: no error", args)
		}
	}
	if _, _, err := runConsoleCommand(t, newProduceCommand(), "x\n", "lines", "--acks", "2", "-b", addr); err == nil {
		t.Error("produce --acks 2: no error")
	}
	_, _, err = runConsoleCommand(t, newProduceCommand(), "x\n", "missing-topic", "-b", addr)
	if err == nil || !strings.Contains(err.Error(), "UNKNOWN_TOPIC_OR_PARTITION") {
		t.Errorf("produce to a missing topic: %v", err)
	}
}
