package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"conflux/internal/console"
)

// newProduceCommand builds "conflux produce", the kafka-console-producer
// equivalent.
func newProduceCommand() *cobra.Command {
	var (
		bootstrap   string
		parseKey    bool
		keySep      string
		partition   int32
		headers     []string
		acks        string
		compression string
		idempotent  bool
		maxBytes    int
		lingerMs    int
		verbose     bool
	)
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Produce lines from standard input to a topic, one record per line",
		Long: "Read standard input and produce one record per line (without its line ending).\n" +
			"Keyed records (--parse-key) go to the partition Kafka's Java client would choose (murmur2);\n" +
			"records without a key are spread over all partitions. Exits non-zero if any record failed.",
		Args: cobra.ExactArgs(1),
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
			hs, err := console.ParseHeaders(headers)
			if err != nil {
				return err
			}
			p, err := console.NewProducer(console.ProducerOptions{
				Brokers: addrs, Topic: args[0], ParseKey: parseKey, KeySeparator: keySep,
				Partition: partition, Headers: hs, Acks: ack, Compression: codec, Idempotent: idempotent,
				MaxMessageBytes: maxBytes, Linger: time.Duration(lingerMs) * time.Millisecond,
			})
			if err != nil {
				return err
			}
			ctx, cancel := signalContext(cmd)
			defer cancel()
			stats, err := p.Run(ctx, cmd.InOrStdin(), cmd.ErrOrStderr())
			if verbose || stats.Failed > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d records produced to %s, %d failed\n",
					stats.Records-stats.Failed, args[0], stats.Failed)
			}
			return err
		},
	}
	f := cmd.Flags()
	addBootstrapServerFlag(cmd, &bootstrap, false)
	f.BoolVar(&parseKey, "parse-key", false, "split each line into key and value at the key separator")
	f.StringVar(&keySep, "key-separator", ":", "separator between key and value with --parse-key")
	f.Int32Var(&partition, "partition", -1, "send every record to this partition (default: choose by key)")
	f.StringArrayVarP(&headers, "header", "H", nil, "header key=value added to every record (repeatable)")
	f.StringVar(&acks, "acks", "all", "acknowledgements: all, 1 or 0")
	f.StringVar(&compression, "compression", "none", "compression: none, gzip, snappy, lz4 or zstd")
	f.BoolVar(&idempotent, "idempotent", false, "use the idempotent producer (needs --acks all)")
	f.IntVar(&maxBytes, "max-message-bytes", console.DefaultMaxMessageBytes, "largest record (and input line) in bytes")
	f.IntVar(&lingerMs, "linger-ms", 0, "how long to wait to fill batches (0: send as soon as possible)")
	f.BoolVarP(&verbose, "verbose", "v", false, "print a summary on standard error")
	return cmd
}
