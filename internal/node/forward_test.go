package node

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"testing"

	"github.com/IBM/sarama"

	"conflux/broker"
	"conflux/internal/brokertest"
)

// startWorkerNode runs a worker process's parts (worker, REST API) in the
// test against the broker at bootstrap and returns its REST base URL.
func startWorkerNode(t testing.TB, bootstrap string) string {
	t.Helper()
	props := StandaloneDefaults()
	maps.Copy(props, map[string]string{"bootstrap.servers": bootstrap, "offset.flush.interval.ms": "200"})
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- RunWorker(ctx, WorkerConfig{Props: props, REST: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler),
			Ready: func(addr string) { ready <- addr }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	})
	select {
	case addr := <-ready:
		return "http://" + addr
	case err := <-done:
		t.Fatalf("worker did not start: %v", err)
	}
	return ""
}

// TestRestartTaskForwarded restarts a task through a worker that does not
// run it: the worker forwards the request to the owner (204), as Kafka
// Connect does; with forward=false it answers 409 itself, and an unknown
// task stays 404.
func TestRestartTaskForwarded(t *testing.T) {
	bootstrap := brokertest.StartWith(t, broker.Config{GroupInitialRebalanceDelay: -1})
	// The test broker does not auto-create topics: create the one the
	// tasks write to.
	admin, err := sarama.NewClusterAdmin([]string{bootstrap}, sarama.NewConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.CreateTopic("users", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	a, b := startWorkerNode(t, bootstrap), startWorkerNode(t, bootstrap)
	postConnector(t, a, `{"name":"gen","config":{"connector.class":"datagen","kafka.topic":"users","quickstart":"users","tasks.max":"4","max.interval":"200"}}`)

	var status struct {
		Tasks []struct {
			ID       int    `json:"id"`
			State    string `json:"state"`
			WorkerID string `json:"worker_id"`
		}
	}
	workers := map[string]string{"http://" + hostOf(a): a, "http://" + hostOf(b): b}
	var task int
	var other string
	eventually(t, "the four tasks running on both workers", func() bool {
		resp, body := fetch(t, http.MethodGet, a+"/connectors/gen/status", nil)
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &status) != nil || len(status.Tasks) != 4 {
			return false
		}
		seen := map[string]bool{}
		for _, ts := range status.Tasks {
			if ts.State != "RUNNING" {
				return false
			}
			seen[ts.WorkerID] = true
		}
		if len(seen) != 2 {
			return false
		}
		// Pick a task and the worker that does not run it.
		ts := status.Tasks[0]
		task = ts.ID
		for url, base := range workers {
			if url != "http://"+ts.WorkerID {
				other = base
			}
		}
		return other != ""
	})
	restart := fmt.Sprintf("%s/connectors/gen/tasks/%d/restart", other, task)
	if resp, body := fetch(t, http.MethodPost, restart+"?forward=false", nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("restart with forward=false through a worker without the task: %s %s, want 409", resp.Status, body)
	}
	if resp, body := fetch(t, http.MethodPost, restart, nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("restart through a worker without the task: %s %s, want 204 (forwarded)", resp.Status, body)
	}
	if resp, body := fetch(t, http.MethodPost, other+"/connectors/gen/tasks/9/restart", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("restart of an unknown task: %s %s, want 404", resp.Status, body)
	}
}

// hostOf returns the host:port of a base URL.
func hostOf(base string) string { return base[len("http://"):] }
