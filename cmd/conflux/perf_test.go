package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"conflux/internal/brokertest"
)

func TestPerfCommands(t *testing.T) {
	addr := brokertest.Start(t)
	if _, _, err := runConsoleCommand(t, newTopicCommand(), "", "create", "bench", "-p", "2", "-b", addr); err != nil {
		t.Fatal(err)
	}
	out, _, err := runConsoleCommand(t, newPerfCommand(), "", "produce", "--topic", "bench", "--num-records", "5000",
		"--record-size", "64", "--throughput", "-1", "--acks", "1", "--linger-ms", "1", "-b", addr)
	if err != nil || !strings.HasPrefix(out, "5000 records sent, ") || !strings.Contains(out, "client CPU") {
		t.Fatalf("perf produce: %v\n%s", err, out)
	}
	out, _, err = runConsoleCommand(t, newPerfCommand(), "", "consume", "--topic", "bench", "--messages", "5000", "-b", addr)
	if err != nil || !strings.HasPrefix(out, "5000 records consumed, ") {
		t.Fatalf("perf consume: %v\n%s", err, out)
	}
	// The broker runs in this process, so --broker-pid is this process.
	pid := strconv.Itoa(os.Getpid())
	out, _, err = runConsoleCommand(t, newPerfCommand(), "", "consume", "--topic", "bench", "--messages", "5000", "-b", addr, "--broker-pid", pid)
	if err != nil || !regexp.MustCompile(`broker \(pid \d+\) CPU: \d+\.\d\ds, \d+ ns/record; RSS [1-9][0-9.]* MB, peak [1-9][0-9.]* MB`).MatchString(out) {
		t.Fatalf("perf consume --broker-pid: %v\n%s", err, out)
	}
	if _, _, err := runConsoleCommand(t, newPerfCommand(), "", "produce", "--topic", "bench", "-b", addr, "--broker-pid", "999999999"); err == nil ||
		!strings.Contains(err.Error(), "process 999999999") {
		t.Errorf("perf produce with a missing broker process: %v", err)
	}
	if _, _, err := runConsoleCommand(t, newPerfCommand(), "", "produce", "-b", addr); err == nil {
		t.Error("perf produce without --topic: no error")
	}
}
