package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"conflux/broker"
)

func newBrokerCommand() *cobra.Command {
	var (
		listen, advertised, dataDir, configFile string
		logLevel                                string
	)
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run a single-node Kafka-protocol broker",
		Long: `Run a single-node broker that speaks the Kafka wire protocol, so any Kafka client
(kcat, sarama, franz-go, librdkafka, kafka-python, kafkajs, Java) can produce and consume.
--config reads Kafka server.properties keys (num.partitions, auto.create.topics.enable,
log.retention.ms, log.segment.bytes, ...); flags override the file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := newLogger(logLevel)
			if err != nil {
				return err
			}
			cfg := broker.DefaultConfig()
			if configFile != "" {
				if err := applyConfigFile(&cfg, configFile, logger); err != nil {
					return err
				}
			}
			flags := cmd.Flags()
			if flags.Changed("listen") || cfg.Listen == "" {
				cfg.Listen = listen
			}
			if flags.Changed("advertised-listener") {
				cfg.AdvertisedListener = advertised
			}
			if flags.Changed("data-dir") || cfg.DataDir == "" {
				cfg.DataDir = dataDir
			}
			cfg.Logger = logger
			srv, err := broker.New(cfg)
			if err != nil {
				return err
			}
			if err := srv.Start(); err != nil {
				srv.Close()
				return err
			}
			stop := make(chan os.Signal, 1)
			signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
			sig := <-stop
			logger.Info("shutting down", "signal", sig.String())
			return srv.Close()
		},
	}
	d := broker.DefaultConfig()
	cmd.Flags().StringVar(&listen, "listen", d.Listen, "address to accept Kafka clients on")
	cmd.Flags().StringVar(&advertised, "advertised-listener", "", "host:port clients are told to connect to (default: the listen address)")
	cmd.Flags().StringVar(&dataDir, "data-dir", d.DataDir, "directory for topic metadata and partition logs")
	cmd.Flags().StringVar(&configFile, "config", "", "Kafka-style server.properties file")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

// applyConfigFile loads server.properties keys into cfg, warning about keys
// Conflux does not know.
func applyConfigFile(cfg *broker.Config, path string, logger interface{ Warn(string, ...any) }) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read broker config: %w", err)
	}
	defer f.Close()
	props, err := broker.ParseProperties(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	unknown, err := cfg.ApplyProperties(props)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, key := range unknown {
		logger.Warn("ignoring unknown broker config key", "file", path, "key", key)
	}
	return nil
}
