package runtime_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"conflux/configs"
)

// TestWorkerConfigProviders gives a connector secrets through ${env:…}, the
// built-in ${file:…} and a worker-configured alias of the file provider:
// the connector and its task get the resolved values, while everything a
// user or another worker can read (Herder answers, REST, the config topic,
// statuses, logs) shows the placeholders only.
func TestWorkerConfigProviders(t *testing.T) {
	const envSecret, fileSecret = "env-s3cr3t-8d1f", "file-s3cr3t-27aa"
	t.Setenv("CONFLUX_ITEST_SECRET", envSecret)
	secrets := filepath.Join(t.TempDir(), "secrets.properties")
	if err := os.WriteFile(secrets, []byte("password="+fileSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newTestCluster(t, map[string]string{
		configs.KeyConfigProviders:     "vault",
		"config.providers.vault.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
	})
	createTopic(t, c.addr, "secret-topic", 1)
	w := c.startWorker(t)
	p, id := newSourceProbe(t, "secret-topic", 5)
	raw := map[string]string{
		"connector.class": probeSourceClass,
		"probe":           id,
		"value.converter": stringConverter,
		"db.password":     "${env:CONFLUX_ITEST_SECRET}",
		"api.key":         "${file:" + secrets + ":password}",
		"vault.key":       "${vault:" + secrets + ":password}",
		"dsn":             "postgres://app:${env:CONFLUX_ITEST_SECRET}@db/app",
	}
	createConnector(t, w, "secretive", raw)
	waitStates(t, w, "secretive", "RUNNING RUNNING")
	eventually(t, "the records", func() error {
		if n := len(readTopic(t, c.addr, "secret-topic")); n != 5 {
			return fmt.Errorf("%d records", n)
		}
		return nil
	})

	resolved := map[string]string{
		"db.password": envSecret,
		"api.key":     fileSecret,
		"vault.key":   fileSecret,
		"dsn":         "postgres://app:" + envSecret + "@db/app",
	}
	check := func(what string, config map[string]string) {
		t.Helper()
		for k, want := range resolved {
			if config[k] != want {
				t.Errorf("%s: %s = %q, want the resolved %q", what, k, config[k], want)
			}
		}
	}
	p.mu.Lock()
	connConfigs := p.connConfigs
	p.mu.Unlock()
	if len(connConfigs) == 0 {
		t.Fatal("the connector never started")
	}
	check("connector config", connConfigs[0])
	starts := p.startsSeen()
	if len(starts) == 0 {
		t.Fatal("the task never started")
	}
	check("task config", starts[0].config)

	leaks := func(what, text string) {
		t.Helper()
		if strings.Contains(text, envSecret) || strings.Contains(text, fileSecret) {
			t.Errorf("%s shows a resolved secret:\n%s", what, text)
		}
	}
	want := maps.Clone(raw)
	want["name"] = "secretive"
	got, err := w.ConnectorConfig(ctxT(t), "secretive")
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Errorf("ConnectorConfig = %v, want the config as given %v", got, want)
	}
	info, err := w.ConnectorInfo(ctxT(t), "secretive")
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(info.Config, want) {
		t.Errorf("ConnectorInfo.Config = %v, want the config as given", info.Config)
	}
	tasks, err := w.TaskConfigs(ctxT(t), "secretive")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		leaks("TaskConfigs", fmt.Sprint(task.Config))
		if task.Config["db.password"] != raw["db.password"] {
			t.Errorf("task config db.password = %q, want the placeholder", task.Config["db.password"])
		}
	}
	for _, path := range []string{"/connectors/secretive", "/connectors/secretive/config", "/connectors/secretive/tasks",
		"/connectors/secretive/status", "/connectors?expand=info&expand=status"} {
		var body any
		if code := restGet(t, w, c.reg, path, &body); code != 200 {
			t.Errorf("GET %s: %d", path, code)
		}
		b, _ := json.Marshal(body)
		leaks("GET "+path, string(b))
	}
	var topics strings.Builder
	for _, topic := range []string{configs.KeyConfigStorageTopic, configs.KeyStatusStorageTopic, configs.KeyOffsetStorageTopic} {
		for _, r := range readTopic(t, c.addr, c.props[topic]) {
			fmt.Fprintf(&topics, "%s %s\n", r.Key, r.Value)
		}
	}
	if !strings.Contains(topics.String(), "${env:CONFLUX_ITEST_SECRET}") {
		t.Errorf("the config topic lacks the connector's placeholders:\n%s", topics.String())
	}
	leaks("the internal topics", topics.String())

	// A resolved value that fails validation is not echoed in the error.
	bad := maps.Clone(raw)
	bad["tasks.max"] = "${env:CONFLUX_ITEST_SECRET}"
	if _, _, err := w.PutConnectorConfig(ctxT(t), "invalid", bad, false, ""); err == nil {
		t.Error("a connector with tasks.max set to a non-number was accepted")
	} else {
		leaks("the validation error", err.Error())
	}

	// Restarting the connector and its task resolves again, and the worker
	// stops cleanly: their logs must not show the secrets either.
	if _, err := w.RestartConnector(ctxT(t), "secretive", true, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the restarted task", func() error {
		if n := len(p.startsSeen()); n < 2 {
			return fmt.Errorf("%d task starts", n)
		}
		return nil
	})
	check("restarted task config", p.startsSeen()[1].config)
	waitStates(t, w, "secretive", "RUNNING RUNNING")
	w.stop(t)
	logs := c.logs.String()
	if !strings.Contains(logs, "secretive") {
		t.Errorf("the logs do not mention the connector at all; is the logger wired?\n%s", logs)
	}
	leaks("the worker's logs", logs)
}
