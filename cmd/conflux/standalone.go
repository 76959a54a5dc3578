package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"conflux/broker"
	"conflux/configs"
	"conflux/internal/node"
)

func newStandaloneCommand() *cobra.Command {
	var (
		rest, listen, dataDir, workerConfig, logLevel string
	)
	cmd := &cobra.Command{
		Use:   "standalone [CONNECTOR.properties|CONNECTOR.json ...]",
		Short: "Run an embedded broker and a Connect worker with its REST API in one process",
		Long: `Run Conflux on one machine: an embedded Kafka-protocol broker, one Connect worker and
Kafka Connect's REST API. Connector files (Kafka Connect .properties, or JSON as POST /connectors
takes it) are created, or updated, at start. Connector configs, source offsets and statuses live in
the compacted topics connect-configs, connect-offsets and connect-status, so a restart resumes
where the node stopped. --worker-config reads Kafka Connect worker keys over the defaults
(JsonConverter with schemas, offset.flush.interval.ms=10000).`,
		RunE: func(cmd *cobra.Command, files []string) error {
			logger, err := newLogger(logLevel)
			if err != nil {
				return err
			}
			props, err := readProperties(workerConfig)
			if err != nil {
				return err
			}
			bc := broker.DefaultConfig()
			bc.Listen, bc.DataDir = listen, dataDir
			bc.GroupInitialRebalanceDelay = -1 // one process: nobody to wait for
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			node.TuneGC(ctx)
			return node.RunStandalone(ctx, node.StandaloneConfig{
				Broker: bc,
				Worker: node.WorkerConfig{Props: props, REST: rest, ConnectorFiles: files, Logger: logger},
			})
		},
	}
	d := broker.DefaultConfig()
	cmd.Flags().StringVar(&rest, "rest", "127.0.0.1:8083", "address of the REST API")
	cmd.Flags().StringVar(&listen, "listen", d.Listen, "address the embedded broker accepts Kafka clients on")
	cmd.Flags().StringVar(&dataDir, "data-dir", d.DataDir, "directory of the embedded broker's data")
	cmd.Flags().StringVar(&workerConfig, "worker-config", "", "Kafka Connect worker.properties file to read over the defaults")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

func newWorkerCommand() *cobra.Command {
	var (
		rest, bootstrap, groupID, logLevel string
	)
	cmd := &cobra.Command{
		Use:   "worker [worker.properties]",
		Short: "Run a Connect worker that joins a cluster on any Kafka-protocol broker",
		Long: `Run a Connect worker with Kafka Connect's REST API. It joins the Connect cluster group.id on
the brokers of bootstrap.servers (another conflux process, or any Kafka cluster) and keeps its state
in the internal topics, exactly as a Kafka Connect distributed worker: the properties file takes
the same keys. Flags override the file.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			logger, err := newLogger(logLevel)
			if err != nil {
				return err
			}
			file := ""
			if len(args) == 1 {
				file = args[0]
			}
			props, err := readProperties(file)
			if err != nil {
				return err
			}
			for key, def := range node.StandaloneDefaults() {
				if key == configs.KeyScheduledRebalanceMaxDelay || key == configs.KeyConnectProtocol {
					continue // a real cluster keeps Kafka's defaults
				}
				if _, ok := props[key]; !ok && file == "" {
					props[key] = def
				}
			}
			flags := cmd.Flags()
			if flags.Changed("bootstrap-servers") || props[configs.KeyBootstrapServers] == "" {
				props[configs.KeyBootstrapServers] = bootstrap
			}
			if flags.Changed("group-id") {
				props[configs.KeyGroupID] = groupID
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			node.TuneGC(ctx)
			return node.RunWorker(ctx, node.WorkerConfig{Props: props, REST: rest, Logger: logger})
		},
	}
	cmd.Flags().StringVar(&rest, "rest", "127.0.0.1:8083", "address of the REST API")
	cmd.Flags().StringVar(&bootstrap, "bootstrap-servers", "127.0.0.1:9092", "Kafka brokers to connect to (bootstrap.servers)")
	cmd.Flags().StringVar(&groupID, "group-id", "connect-cluster", "Connect cluster to join (group.id)")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

// readProperties reads a Java properties file; "" gives an empty map.
func readProperties(path string) (map[string]string, error) {
	if path == "" {
		return map[string]string{}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read worker config: %w", err)
	}
	defer f.Close()
	props, err := configs.ParseProperties(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return props, nil
}
