package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"conflux/internal/console"
)

// addBootstrapServerFlag registers --bootstrap-server (-b) on flags of cmd.
func addBootstrapServerFlag(cmd *cobra.Command, dst *string, persistent bool) {
	fs := cmd.Flags()
	if persistent {
		fs = cmd.PersistentFlags()
	}
	fs.StringVarP(dst, "bootstrap-server", "b", console.DefaultBootstrapServer,
		"comma-separated broker addresses (host:port)")
}

// signalContext returns a context cancelled on SIGINT or SIGTERM, so that the
// console tools stop cleanly (flushing output and pending records).
func signalContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
}

// newTopicCommand builds "conflux topic", the kafka-topics equivalent.
func newTopicCommand() *cobra.Command {
	var bootstrap string
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Create, list, describe, delete topics and alter their configs",
	}
	addBootstrapServerFlag(cmd, &bootstrap, true)
	withAdmin := func(run func(a *console.TopicAdmin) error) error {
		addrs, err := console.SplitBootstrap(bootstrap)
		if err != nil {
			return err
		}
		a, err := console.NewTopicAdmin(addrs)
		if err != nil {
			return err
		}
		defer a.Close()
		return run(a)
	}

	var (
		partitions   int32
		replication  int16
		configs      []string
		validateOnly bool
		ifNotExists  bool
	)
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a topic",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := console.ParseConfigs(configs)
			if err != nil {
				return err
			}
			spec := console.TopicSpec{Name: args[0], Partitions: partitions, ReplicationFactor: replication,
				Configs: cfg, ValidateOnly: validateOnly, IfNotExists: ifNotExists}
			return withAdmin(func(a *console.TopicAdmin) error {
				created, err := a.Create(spec)
				if created {
					fmt.Fprintf(cmd.OutOrStdout(), "Created topic %s.\n", spec.Name)
				}
				return err
			})
		},
	}
	create.Flags().Int32VarP(&partitions, "partitions", "p", -1, "number of partitions (-1: the broker's num.partitions)")
	create.Flags().Int16VarP(&replication, "replication-factor", "r", -1, "replication factor (-1: the broker's default)")
	create.Flags().StringArrayVarP(&configs, "config", "c", nil, "topic config override key=value (repeatable)")
	create.Flags().BoolVar(&validateOnly, "validate-only", false, "ask the broker to validate the request without creating the topic")
	create.Flags().BoolVar(&ifNotExists, "if-not-exists", false, "succeed if the topic already exists")

	var includeInternal bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List topic names",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(func(a *console.TopicAdmin) error {
				names, err := a.List(includeInternal)
				if err != nil {
					return err
				}
				for _, n := range names {
					fmt.Fprintln(cmd.OutOrStdout(), n)
				}
				return nil
			})
		},
	}
	list.Flags().BoolVar(&includeInternal, "include-internal", false, "also list internal topics (names starting with __)")

	var allConfigs bool
	describe := &cobra.Command{
		Use:   "describe [NAME...]",
		Short: "Show partitions (leader, replicas, ISR, log start and end offsets) and configs of topics",
		Long: "Show each topic's partitions with leader, replicas, in-sync replicas, log start offset and log\n" +
			"end offset, and the topic-level config overrides. With --all-configs every config is listed\n" +
			"with its source. Without names, every topic is described.",
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(func(a *console.TopicAdmin) error {
				descs, err := a.Describe(args)
				if err != nil {
					return err
				}
				return console.WriteDescriptions(cmd.OutOrStdout(), descs, console.DescribeOptions{AllConfigs: allConfigs})
			})
		},
	}
	describe.Flags().BoolVar(&allConfigs, "all-configs", false, "list every config with its source, not only overrides")

	var ifExists bool
	del := &cobra.Command{
		Use:   "delete NAME...",
		Short: "Delete topics",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(func(a *console.TopicAdmin) error {
				return a.Delete(args, ifExists)
			})
		},
	}
	del.Flags().BoolVar(&ifExists, "if-exists", false, "succeed for topics that do not exist")

	var (
		setConfigs    []string
		deleteConfigs []string
	)
	alter := &cobra.Command{
		Use:   "alter-config NAME",
		Short: "Set or delete topic configs (IncrementalAlterConfigs)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := console.ParseConfigs(setConfigs)
			if err != nil {
				return err
			}
			return withAdmin(func(a *console.TopicAdmin) error {
				return a.AlterConfigs(args[0], set, deleteConfigs)
			})
		},
	}
	alter.Flags().StringArrayVarP(&setConfigs, "config", "c", nil, "config to set, key=value (repeatable)")
	alter.Flags().StringArrayVar(&deleteConfigs, "delete-config", nil, "config to remove, back to its default (repeatable)")

	cmd.AddCommand(create, list, describe, del, alter)
	return cmd
}
