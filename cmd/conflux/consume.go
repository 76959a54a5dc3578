package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"conflux/internal/console"
)

// newConsumeCommand builds "conflux consume", the kafka-console-consumer
// equivalent.
func newConsumeCommand() *cobra.Command {
	var (
		bootstrap     string
		fromBeginning bool
		offset        string
		partition     int32
		maxMessages   int64
		printKey      bool
		timeoutMs     int64
		format        string
		quiet         bool
		group         string
		assignor      string
	)
	cmd := &cobra.Command{
		Use:   "consume TOPIC",
		Short: "Print the records of a topic",
		Long: "Print the records of a topic, from all partitions unless --partition is given.\n\n" +
			"With --group the consumer joins that consumer group: the group's members share the\n" +
			"partitions, each starts at the group's committed offset (--from-beginning: at the earliest\n" +
			"offset where the group has none; default: the end), and the offsets of printed records are\n" +
			"committed every second and on exit. --partition and --offset do not apply to a group.\n\n" +
			"--format takes a template or \"json\". Template directives: %t topic, %p partition,\n" +
			"%o offset, %k key, %v value, %T timestamp (Unix ms), %h headers (k=v,k2=v2), %K and %S\n" +
			"key and value length, %% a percent sign; escapes \\n \\t \\r \\\\. A newline is added when\n" +
			"the template does not end with one. Null keys and values print as \"null\".\n\n" +
			"\"json\" prints one object per line: {\"topic\",\"partition\",\"offset\",\"timestamp\",\"key\",\n" +
			"\"value\",\"headers\":{...}}. Keys, values and header values that are not valid UTF-8 are\n" +
			"base64-encoded and flagged with \"key_encoding\", \"value_encoding\" or \"headers_encoding\":\"base64\".",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addrs, err := console.SplitBootstrap(bootstrap)
			if err != nil {
				return err
			}
			if group != "" {
				for _, name := range []string{"partition", "offset"} {
					if cmd.Flags().Changed(name) {
						return fmt.Errorf("%w: --%s cannot be used with --group: the group assigns partitions and starts at its committed offsets",
							console.ErrInvalidArgument, name)
					}
				}
			} else if cmd.Flags().Changed("assignor") {
				return fmt.Errorf("%w: --assignor needs --group", console.ErrInvalidArgument)
			}
			start, err := console.ParseStartOffset(offset, fromBeginning)
			if err != nil {
				return err
			}
			f, err := console.NewFormatter(format, printKey)
			if err != nil {
				return err
			}
			c, err := console.NewConsumer(console.ConsumerOptions{
				Brokers: addrs, Topic: args[0], Partition: partition, StartOffset: start,
				MaxMessages: maxMessages, IdleTimeout: time.Duration(timeoutMs) * time.Millisecond, Formatter: f,
				Group: group, Assignor: assignor,
			})
			if err != nil {
				return err
			}
			ctx, cancel := signalContext(cmd)
			defer cancel()
			n, err := c.Run(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr())
			if !quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "Processed a total of %d messages\n", n)
			}
			return err
		},
	}
	f := cmd.Flags()
	addBootstrapServerFlag(cmd, &bootstrap, false)
	f.BoolVar(&fromBeginning, "from-beginning", false, "start at the earliest offset (default: only new records)")
	f.StringVar(&offset, "offset", "", "start offset: a number (needs --partition), earliest or latest")
	f.Int32Var(&partition, "partition", -1, "read only this partition (default: all)")
	f.Int64Var(&maxMessages, "max-messages", 0, "exit after this many records (0: no limit)")
	f.BoolVar(&printKey, "print-key", false, "print the key and a tab before the value (default format only)")
	f.Int64Var(&timeoutMs, "timeout-ms", 0, "exit when no record arrives for this long (0: wait forever)")
	f.StringVar(&format, "format", "", "output template, or \"json\" (see above)")
	f.BoolVarP(&quiet, "quiet", "q", false, "do not print the record count on standard error")
	f.StringVar(&group, "group", "", "consume as a member of this consumer group, committing offsets")
	f.StringVar(&assignor, "assignor", "range", "partition assignor of the group: range, roundrobin or sticky")
	return cmd
}
