package main

import (
	"encoding/json"
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"conflux/internal/connectcli"
	"conflux/runtime/rest"
	"conflux/runtime/rest/resttest"
)

// startConnectREST serves Conflux's REST API over an in-memory herder and
// returns its URL.
func startConnectREST(t *testing.T) string {
	t.Helper()
	reg := resttest.NewRegistry()
	srv := httptest.NewServer(rest.New(rest.Config{Herder: resttest.NewMemHerder(reg), Registry: reg}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestConnectorCommands(t *testing.T) {
	url := startConnectREST(t)
	connector := func(stdin string, args ...string) (string, string, error) {
		t.Helper()
		return runConsoleCommand(t, newConnectorCommand(), stdin, append(args, "--rest", url)...)
	}

	props := "name=src\nconnector.class=contract-source\ntopic=orders\ntasks.max=2\nfail.tasks=1\n"
	if out, _, err := connector(props, "create", "-"); err != nil || out != "Created connector src.\n" {
		t.Fatalf("create from stdin: %q %v", out, err)
	}
	_, _, err := connector(props, "create", "-")
	if !errors.Is(err, connectcli.ErrConflict) || err.Error() != "Connector src already exists (HTTP 409)" {
		t.Errorf("second create: %v", err)
	}
	if out, _, err := connector(props, "create", "-", "--update"); err != nil || out != "Updated connector src.\n" {
		t.Errorf("create --update: %q %v", out, err)
	}
	flat := `{"name":"ignored","connector.class":"contract-sink","topics":"orders"}`
	if out, _, err := connector(flat, "create", "-", "--name", "sink", "--initial-state", "paused"); err != nil || out != "Created connector sink.\n" {
		t.Errorf("create JSON with --name: %q %v", out, err)
	}

	out, _, err := connector("", "list", "--expand", "status")
	if err != nil || !strings.Contains(out, "src   source  RUNNING  RUNNING:1,FAILED:1") || !strings.Contains(out, "sink  sink    PAUSED") {
		t.Errorf("list --expand status: %v\n%s", err, out)
	}
	out, _, err = connector("", "status", "src", "--trace")
	if err != nil || !strings.Contains(out, "1     FAILED   ") || !strings.Contains(out, "contract task 1 failed on purpose") {
		t.Errorf("status --trace: %v\n%s", err, out)
	}
	out, _, err = connector("", "status", "src", "-o", "json")
	var st struct {
		Tasks []struct{ State string } `json:"tasks"`
	}
	if err != nil || json.Unmarshal([]byte(out), &st) != nil || len(st.Tasks) != 2 || st.Tasks[1].State != "FAILED" {
		t.Errorf("status -o json: %v\n%s", err, out)
	}
	if out, _, err = connector("", "restart-task", "src", "src-1"); err != nil || out != "Restarting task 1 of connector src.\n" {
		t.Errorf("restart-task: %q %v", out, err)
	}
	if out, _, err = connector("", "restart", "src", "--include-tasks", "--only-failed"); err != nil || !strings.Contains(out, "1     RESTARTING") {
		t.Errorf("restart --include-tasks --only-failed: %v\n%s", err, out)
	}
	if out, _, err = connector("", "config", "src"); err != nil || !strings.Contains(out, "connector.class=contract-source\n") {
		t.Errorf("config: %v\n%s", err, out)
	}
	if out, _, err = connector("", "plugins", "--connectors-only"); err != nil || strings.Count(out, "\n") != 3 {
		t.Errorf("plugins --connectors-only: %v\n%s", err, out)
	}

	if _, _, err = connector("", "stop", "src"); err != nil {
		t.Fatal(err)
	}
	alter := `[{"partition":{"file":"a"},"offset":{"line":3}}]`
	if out, _, err = connector(alter, "offsets", "src", "--alter", "-"); err != nil || !strings.Contains(out, "altered successfully") {
		t.Errorf("offsets --alter: %v\n%s", err, out)
	}
	if out, _, err = connector("", "offsets", "src"); err != nil || !strings.Contains(out, `{"file":"a"}  {"line":3}`) {
		t.Errorf("offsets: %v\n%s", err, out)
	}
	if _, _, err = connector("", "offsets", "src", "--reset", "--alter", "x.json"); !errors.Is(err, connectcli.ErrInvalidArgument) {
		t.Errorf("--reset with --alter: %v", err)
	}
	if out, _, err = connector("", "offsets", "src", "--reset"); err != nil || !strings.Contains(out, "reset successfully") {
		t.Errorf("offsets --reset: %v\n%s", err, out)
	}

	_, _, err = connector("topic=reserved\n", "validate", "contract-source", "-")
	if !errors.Is(err, connectcli.ErrInvalidConfig) {
		t.Errorf("validate: %v", err)
	}
	if out, _, err = connector("", "delete", "src"); err != nil || out != "Deleted connector src.\n" {
		t.Errorf("delete: %q %v", out, err)
	}
	_, _, err = connector("", "get", "src")
	if err == nil || err.Error() != "Connector src not found (HTTP 404)" {
		t.Errorf("get after delete: %v", err)
	}
	for _, args := range [][]string{
		{"list", "-o", "yaml"},
		{"list", "--expand", "everything"},
		{"restart-task", "sink", "first"},
		{"create", "-", "--update", "--initial-state", "PAUSED"},
	} {
		if _, _, err := connector(flat, args...); !errors.Is(err, connectcli.ErrInvalidArgument) {
			t.Errorf("%q: %v, want ErrInvalidArgument", args, err)
		}
	}
}

func TestConnectorRESTAddress(t *testing.T) {
	url := startConnectREST(t)

	// host:port without scheme, from $CONFLUX_REST.
	t.Setenv(connectcli.EnvURL, strings.TrimPrefix(url, "http://"))
	out, _, err := runConsoleCommand(t, newConnectorCommand(), "", "list", "-o", "json")
	if err != nil || out != "[]\n" {
		t.Errorf("list via $%s: %q %v", connectcli.EnvURL, out, err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, _, err = runConsoleCommand(t, newConnectorCommand(), "", "list", "-u", addr)
	if !errors.Is(err, connectcli.ErrUnreachable) || !strings.Contains(err.Error(), "http://"+addr) ||
		!strings.Contains(err.Error(), "conflux standalone") {
		t.Errorf("nothing listening: %v", err)
	}
}
