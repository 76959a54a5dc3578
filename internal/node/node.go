// Package node assembles Conflux processes from their parts: a Connect
// worker with its REST API, metrics and web console ([RunWorker]), and the standalone
// node, which adds an embedded broker ([RunStandalone]). The conflux
// command parses flags and calls these; end-to-end tests run the binary.
//
// The one thing to know: the REST listener is bound before anything else
// starts, so the worker's id (its advertised host:port) is known, and
// GET / answers as soon as the worker knows the cluster id, while the
// worker is still reading its internal topics.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"conflux/broker"
	"conflux/configs"
	"conflux/connectors"
	"conflux/runtime"
	"conflux/runtime/rest"
	"conflux/runtime/rest/ui"

	// The built-in plugins register themselves.
	_ "conflux/connectors/datagen"
	_ "conflux/connectors/file"
	_ "conflux/connectors/filetail"
	_ "conflux/connectors/http"
	_ "conflux/connectors/postgres"
	_ "conflux/runtime/convert"
	_ "conflux/transforms"
)

// Version is what GET / reports.
const Version = "0.1.0"

// WorkerConfig describes one worker process.
type WorkerConfig struct {
	// Props are the worker's settings (Kafka Connect's worker.properties
	// keys).
	Props map[string]string
	// REST is the address the REST API listens on (host:port).
	REST string
	// ConnectorFiles are connector definitions (.properties or .json) to
	// create, or update, once the worker is up.
	ConnectorFiles []string
	// Logger receives the logs.
	Logger *slog.Logger
	// Ready, if set, is called once the REST API listens, with its
	// address.
	Ready func(restAddr string)
}

// StandaloneConfig describes a standalone node: an embedded broker and one
// worker.
type StandaloneConfig struct {
	// Broker is the embedded broker's configuration.
	Broker broker.Config
	// Worker is the worker's; bootstrap.servers is set to the embedded
	// broker, and StandaloneDefaults fill what Props leaves unset.
	Worker WorkerConfig
}

// StandaloneDefaults are the worker settings of a standalone node: Kafka
// Connect's sample worker settings for a one-broker cluster. A departed
// worker's work is reassigned at once, since a restarted standalone node
// is the only worker there is.
func StandaloneDefaults() map[string]string {
	return map[string]string{
		configs.KeyGroupID:                       "connect-cluster",
		configs.KeyConfigStorageTopic:            "connect-configs",
		configs.KeyOffsetStorageTopic:            "connect-offsets",
		configs.KeyStatusStorageTopic:            "connect-status",
		configs.KeyConfigStorageReplication:      "1",
		configs.KeyOffsetStorageReplication:      "1",
		configs.KeyStatusStorageReplication:      "1",
		configs.KeyKeyConverter:                  "org.apache.kafka.connect.json.JsonConverter",
		configs.KeyValueConverter:                "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":           "true",
		"value.converter.schemas.enable":         "true",
		configs.KeyOffsetFlushInterval:           "10000",
		configs.KeyScheduledRebalanceMaxDelay:    "0",
		configs.KeyConnectProtocol:               configs.ProtocolCompatible,
		configs.KeyTaskShutdownGracefulTimeout:   "5000",
		configs.KeyTopicTrackingEnable:           "true",
		configs.KeyConnectorClientOverridePolicy: "All",
	}
}

// RunStandalone runs an embedded broker and one worker until ctx ends.
func RunStandalone(ctx context.Context, cfg StandaloneConfig) error {
	if cfg.Broker.Logger == nil {
		cfg.Broker.Logger = cfg.Worker.Logger.With("component", "broker")
	}
	srv, err := broker.New(cfg.Broker)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		return err
	}
	props := StandaloneDefaults()
	maps.Copy(props, cfg.Worker.Props)
	props[configs.KeyBootstrapServers] = srv.Addr()
	wc := cfg.Worker
	wc.Props = props
	err = RunWorker(ctx, wc)
	return errors.Join(err, srv.Close())
}

// RunWorker runs a worker with its REST API until ctx ends.
func RunWorker(ctx context.Context, cfg WorkerConfig) error {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	wcfg, err := runtime.ParseWorkerConfig(cfg.Props)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	server := rest.NewServer(mux, logger.With("component", "rest"), 0)
	if err := server.Listen(cfg.REST); err != nil {
		return err
	}
	addr := server.Addr().String()
	workerID, err := advertised(addr, cfg.Props)
	if err != nil {
		return err
	}

	// The worker's own series are gathered apart from the process's, so
	// that the console's history samples only what it plots; /metrics
	// serves both.
	workerMetrics := prometheus.NewRegistry()
	processMetrics := prometheus.NewRegistry()
	processMetrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	worker, err := runtime.NewWorker(ctx, wcfg, runtime.Options{
		WorkerID: workerID,
		Registry: connectors.Default(),
		Logger:   logger.With("component", "worker"),
		Metrics:  workerMetrics,
	})
	if err != nil {
		return err
	}
	var console *ui.Console
	if wcfg.UIEnable {
		console, err = ui.New(ui.Config{
			Herder:   worker,
			Member:   worker,
			Gatherer: workerMetrics,
			Brokers:  wcfg.BootstrapServers,
			Version:  Version,
			Logger:   logger.With("component", "ui"),
		})
		if err != nil {
			return err
		}
		defer console.Close()
	}
	restCfg := rest.Config{
		Herder:       worker,
		Registry:     connectors.Default(),
		Version:      Version,
		Logger:       logger.With("component", "rest"),
		AdminEnabled: true,
		Metrics:      promhttp.HandlerFor(prometheus.Gatherers{processMetrics, workerMetrics}, promhttp.HandlerOpts{}),
	}
	if console != nil {
		restCfg.UI = console
	}
	mux.Handle("/", rest.New(restCfg))

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	served := make(chan error, 1)
	go func() { served <- server.Run(ctx) }()
	recorded := make(chan struct{})
	if console != nil {
		go func() {
			defer close(recorded)
			_ = console.Run(ctx) // ends with ctx
		}()
	} else {
		close(recorded)
	}
	if cfg.Ready != nil {
		cfg.Ready(addr)
	}
	logger.Info("REST API listening", "address", addr, "worker", workerID)
	if len(cfg.ConnectorFiles) > 0 {
		go func() {
			if err := applyConnectorFiles(ctx, worker, cfg.ConnectorFiles, logger); err != nil {
				cancel(err)
			}
		}()
	}
	runErr := worker.Run(ctx)
	cancel(nil)
	<-recorded
	if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
		runErr = errors.Join(runErr, err)
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		runErr = errors.Join(cause, runErr)
	}
	return runErr
}

// applyConnectorFiles creates or updates the connectors of the files.
func applyConnectorFiles(ctx context.Context, h runtime.Herder, files []string, logger *slog.Logger) error {
	for _, path := range files {
		name, config, err := runtime.ReadConnectorFile(path)
		if err != nil {
			return err
		}
		if _, created, err := h.PutConnectorConfig(ctx, name, config, true, ""); err != nil {
			// Show Kafka Connect's message, without the REST status it maps to.
			msg, _ := strings.CutPrefix(err.Error(), runtime.ErrBadRequest.Error()+": ")
			return fmt.Errorf("connector %s from %s: %s", name, path, msg)
		} else if created {
			logger.Info("created connector", "connector", name, "file", path)
		} else {
			logger.Info("updated connector", "connector", name, "file", path)
		}
	}
	return nil
}

// advertised returns the worker's id, host:port as other workers reach its
// REST API: rest.advertised.host.name and rest.advertised.port when set,
// else the listener's address, with this machine's name for a wildcard
// host.
func advertised(listen string, props map[string]string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", err
	}
	if h := props[configs.KeyRestAdvertisedHostName]; h != "" {
		host = h
	} else if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		if host, err = os.Hostname(); err != nil {
			return "", err
		}
	}
	if p := props[configs.KeyRestAdvertisedPort]; p != "" {
		if _, err := strconv.Atoi(p); err != nil {
			return "", fmt.Errorf("%s: %q is not a port", configs.KeyRestAdvertisedPort, p)
		}
		port = p
	}
	return net.JoinHostPort(host, port), nil
}
