package runtime_test

import (
	"context"
	"strings"
	"testing"

	"conflux/configs"
	"conflux/runtime"
)

// TestInternalTopicReplication runs a worker with Kafka Connect's default
// replication factor (3) for its internal topics against a single-node
// broker: it must stop with an error naming the key to set. With -1, the
// broker's default, the same worker starts.
func TestInternalTopicReplication(t *testing.T) {
	c := newTestCluster(t, nil)
	for _, k := range []string{configs.KeyConfigStorageReplication, configs.KeyOffsetStorageReplication, configs.KeyStatusStorageReplication} {
		delete(c.props, k)
	}
	cfg, err := runtime.ParseWorkerConfig(c.props)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	w, err := runtime.NewWorker(ctx, cfg, runtime.Options{WorkerID: "127.0.0.1:18999", Registry: c.reg})
	if err == nil {
		err = w.Run(ctx)
	}
	if err == nil || !strings.Contains(err.Error(), "set config.storage.replication.factor to at most the number of brokers, or to -1") {
		t.Fatalf("worker with replication factor 3 on one broker: %v, want an error naming config.storage.replication.factor", err)
	}

	for _, k := range []string{configs.KeyConfigStorageReplication, configs.KeyOffsetStorageReplication, configs.KeyStatusStorageReplication} {
		c.props[k] = "-1"
	}
	c.startWorker(t)
}
