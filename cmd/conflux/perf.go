package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"conflux/internal/console"
	"conflux/internal/perf"
)

// newPerfCommand builds "conflux perf", the counterpart of Kafka's
// producer and consumer performance tools.
func newPerfCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "perf",
		Short: "Measure produce and consume throughput and latency",
	}
	cmd.AddCommand(newPerfProduceCommand(), newPerfConsumeCommand())
	return cmd
}

// progressWriter returns stderr when it is a terminal, for the live line.
func progressWriter() *os.File {
	if perf.IsTerminal(os.Stderr) {
		return os.Stderr
	}
	return nil
}

func newPerfProduceCommand() *cobra.Command {
	var (
		bootstrap   string
		topic       string
		numRecords  int64
		recordSize  int
		throughput  float64
		acks        string
		batchSize   int
		lingerMs    int
		compression string
		inFlight    int
		maxPending  int
		idempotent  bool
		brokerPID   int
	)
	cmd := &cobra.Command{
		Use:   "produce",
		Short: "Send records as fast as possible or at a set rate and report throughput and latency",
		Long: "Send --num-records records of --record-size bytes (no key) to --topic and report records/s, MB/s\n" +
			"and the send-to-acknowledgement latency of every record (average, max, p50, p95, p99, p99.9),\n" +
			"plus the CPU time the client used. --throughput paces the sends (-1: unlimited).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			addrs, err := console.SplitBootstrap(bootstrap)
			if err != nil {
				return err
			}
			ack, err := console.ParseAcks(acks)
			if err != nil {
				return err
			}
			codec, err := console.ParseCompression(compression)
			if err != nil {
				return err
			}
			o := perf.ProduceOptions{
				Brokers: addrs, Topic: topic, NumRecords: numRecords, RecordSize: recordSize,
				Throughput: throughput, Acks: ack, Compression: codec, BatchBytes: batchSize,
				Linger: time.Duration(lingerMs) * time.Millisecond, MaxInFlight: inFlight,
				MaxPending: maxPending, Idempotent: idempotent,
			}
			if w := progressWriter(); w != nil {
				o.Progress = w
			}
			watch, err := watchBroker(brokerPID)
			if err != nil {
				return err
			}
			ctx, cancel := signalContext(cmd)
			defer cancel()
			res, err := perf.Produce(ctx, o)
			if res != nil {
				res.WriteSummary(cmd.OutOrStdout())
				writeBrokerSummary(cmd, watch, res.Acked)
			}
			if errors.Is(err, context.Canceled) {
				return nil // interrupted: the summary covers the run so far
			}
			return err
		},
	}
	f := cmd.Flags()
	addBootstrapServerFlag(cmd, &bootstrap, false)
	f.StringVar(&topic, "topic", "", "topic to produce to (must exist)")
	f.Int64Var(&numRecords, "num-records", 1000000, "number of records to send")
	f.IntVar(&recordSize, "record-size", 100, "record value size in bytes")
	f.Float64Var(&throughput, "throughput", -1, "target records per second (-1: unlimited)")
	f.StringVar(&acks, "acks", "all", "acknowledgements: all, 1 or 0")
	f.IntVar(&batchSize, "batch-size", 0, "bytes to buffer per broker before sending (0: send as soon as possible)")
	f.IntVar(&lingerMs, "linger-ms", 0, "longest wait for a batch to fill, in ms (0: none)")
	f.StringVar(&compression, "compression", "none", "compression: none, gzip, snappy, lz4 or zstd")
	f.IntVar(&inFlight, "max-in-flight", 5, "produce requests in flight per broker")
	f.IntVar(&maxPending, "max-pending", 65536, "records sent but not yet acknowledged, at most")
	f.BoolVar(&idempotent, "idempotent", false, "use the idempotent producer (one request in flight)")
	addBrokerPIDFlag(cmd, &brokerPID)
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

func newPerfConsumeCommand() *cobra.Command {
	var (
		bootstrap  string
		topic      string
		messages   int64
		fetchBytes int32
		timeoutMs  int64
		brokerPID  int
	)
	cmd := &cobra.Command{
		Use:   "consume",
		Short: "Read records from the start of a topic and report throughput",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			addrs, err := console.SplitBootstrap(bootstrap)
			if err != nil {
				return err
			}
			o := perf.ConsumeOptions{
				Brokers: addrs, Topic: topic, Messages: messages, FetchBytes: fetchBytes,
				IdleTimeout: time.Duration(timeoutMs) * time.Millisecond,
			}
			if w := progressWriter(); w != nil {
				o.Progress = w
			}
			watch, err := watchBroker(brokerPID)
			if err != nil {
				return err
			}
			ctx, cancel := signalContext(cmd)
			defer cancel()
			res, err := perf.Consume(ctx, o)
			if res != nil {
				res.WriteSummary(cmd.OutOrStdout())
				writeBrokerSummary(cmd, watch, res.Records)
			}
			if errors.Is(err, context.Canceled) {
				return nil // interrupted: the summary covers the run so far
			}
			return err
		},
	}
	f := cmd.Flags()
	addBootstrapServerFlag(cmd, &bootstrap, false)
	f.StringVar(&topic, "topic", "", "topic to read (from the earliest offset)")
	f.Int64Var(&messages, "messages", 1000000, "number of records to read")
	f.Int32Var(&fetchBytes, "fetch-size", 1<<20, "bytes to fetch per partition and request")
	f.Int64Var(&timeoutMs, "timeout-ms", 10000, "give up when no record arrives for this long")
	addBrokerPIDFlag(cmd, &brokerPID)
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

// addBrokerPIDFlag adds --broker-pid, which reports a local broker's CPU
// time and memory for the run.
func addBrokerPIDFlag(cmd *cobra.Command, pid *int) {
	cmd.Flags().IntVar(pid, "broker-pid", 0, "also report the CPU time and memory of this local broker process during the run")
}

// watchBroker starts measuring the broker process pid; nil when pid is 0.
func watchBroker(pid int) (*perf.BrokerWatch, error) {
	if pid == 0 {
		return nil, nil
	}
	return perf.WatchBroker(pid)
}

// writeBrokerSummary prints what the watched broker spent, if any.
func writeBrokerSummary(cmd *cobra.Command, watch *perf.BrokerWatch, records int64) {
	if watch == nil {
		return
	}
	if err := watch.WriteSummary(cmd.OutOrStdout(), records); err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "broker usage:", err)
	}
}
