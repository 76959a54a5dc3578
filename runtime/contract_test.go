package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"testing"

	"conflux/broker"
	"conflux/configs"
	"conflux/connectors"
	"conflux/internal/brokertest"
	"conflux/internal/node"
	"conflux/runtime"
	"conflux/runtime/rest/resttest"

	// The worker's converters (JsonConverter by default) register here.
	_ "conflux/runtime/convert"
)

// update is read by resttest.RunContract through flag.Lookup; golden files
// are only ever rewritten against the reference MemHerder, so this test
// refuses the flag.
var update = flag.Bool("update", false, "not allowed here: rewrite goldens with go test ./runtime/rest -update")

// TestRESTContract runs Kafka Connect's REST contract against real
// workers: each scenario gets its own Worker, in its own Connect cluster
// (group.id and internal topics), on one real broker reached over TCP.
func TestRESTContract(t *testing.T) {
	if *update {
		t.Fatal("-update rewrites the golden files; run it against MemHerder in ./runtime/rest only")
	}
	addr := brokertest.StartWith(t, broker.Config{GroupInitialRebalanceDelay: -1, AutoCreateTopics: true})
	var cluster atomic.Int32
	resttest.RunContract(t, func(t *testing.T) runtime.Herder {
		return startContractWorker(t, addr, fmt.Sprintf("contract-%d", cluster.Add(1)))
	})
}

// contractRegistry is the contract suite's registry with the worker's
// built-in converters added, so that the worker runs with the standalone
// node's converter settings.
func contractRegistry() *connectors.Registry {
	reg := resttest.NewRegistry()
	seen := make(map[string]bool)
	for _, p := range connectors.Default().List(connectors.PluginConverter, connectors.PluginHeaderConverter) {
		if !seen[p.Name] { // a converter that also converts headers is listed twice
			seen[p.Name] = true
			reg.Register(p)
		}
	}
	return reg
}

// startContractWorker runs a worker of the Connect cluster named cluster on the
// broker at addr until the test ends.
func startContractWorker(t *testing.T, addr, cluster string) *runtime.Worker {
	t.Helper()
	props := node.StandaloneDefaults()
	maps.Copy(props, map[string]string{
		configs.KeyBootstrapServers:    addr,
		configs.KeyGroupID:             cluster,
		configs.KeyConfigStorageTopic:  cluster + "-configs",
		configs.KeyOffsetStorageTopic:  cluster + "-offsets",
		configs.KeyStatusStorageTopic:  cluster + "-status",
		configs.KeyOffsetFlushInterval: "100",
	})
	cfg, err := runtime.ParseWorkerConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	logs := &contractLogs{}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := runtime.NewWorker(ctx, cfg, runtime.Options{WorkerID: "127.0.0.1:8083", Registry: contractRegistry(), Logger: logs.logger()})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("worker %s: Run: %v", cluster, err)
		}
		if t.Failed() {
			t.Logf("worker %s logs:\n%s", cluster, logs.String())
		}
	})
	return w
}

// contractLogs keeps a worker's debug logs, shown only when its test fails;
// writes may come after the test ends, so they never go to t directly.
type contractLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *contractLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *contractLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *contractLogs) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
