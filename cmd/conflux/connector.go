package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"conflux/internal/connectcli"
)

// connectorRunner runs a function with the CLI built from the connector
// command's persistent flags, under a context cancelled by SIGINT/SIGTERM.
type connectorRunner func(cmd *cobra.Command, run func(ctx context.Context, c *connectcli.CLI) error) error

// newConnectorCommand builds "conflux connector", a client of Kafka
// Connect's REST API that drives Conflux and Kafka Connect workers alike.
func newConnectorCommand() *cobra.Command {
	var (
		restURL string
		output  string
		timeout = connectcli.DefaultTimeout
	)
	cmd := &cobra.Command{
		Use:   "connector",
		Short: "Create, inspect and control connectors through the Kafka Connect REST API",
		Long: "Drive a worker through Kafka Connect's REST API: Conflux (`conflux standalone`) or any Kafka\n" +
			"Connect worker. Requests answered 409 during a rebalance are retried a few times.\n" +
			"Failures print the worker's message and its HTTP status, and exit non-zero.",
	}
	f := cmd.PersistentFlags()
	f.StringVarP(&restURL, "rest", "u", connectcli.DefaultBaseURL(),
		"REST API URL (http[s]://host:port[/prefix], or host:port); the default is $"+connectcli.EnvURL+" when set")
	f.StringVarP(&output, "output", "o", "table", "output format: table, or json (the response body, indented)")
	f.DurationVar(&timeout, "timeout", timeout, "time limit of each HTTP request (0: none)")

	withCLI := func(cmd *cobra.Command, run func(ctx context.Context, c *connectcli.CLI) error) error {
		format, err := connectcli.ParseOutputFormat(output)
		if err != nil {
			return err
		}
		client, err := connectcli.NewClient(restURL, connectcli.WithTimeout(timeout))
		if err != nil {
			return err
		}
		ctx, cancel := signalContext(cmd)
		defer cancel()
		return run(ctx, &connectcli.CLI{Client: client, Out: cmd.OutOrStdout(), Err: cmd.ErrOrStderr(), Format: format})
	}
	cmd.AddCommand(
		newConnectorListCommand(withCLI),
		newConnectorCreateCommand(withCLI),
		newConnectorPluginsCommand(withCLI),
		newConnectorValidateCommand(withCLI),
		newConnectorStatusCommand(withCLI),
		newConnectorRestartCommand(withCLI),
		newConnectorRestartTaskCommand(withCLI),
		newConnectorOffsetsCommand(withCLI),
	)
	for _, c := range []struct {
		use, short string
		run        func(c *connectcli.CLI, ctx context.Context, name string) error
	}{
		{"get NAME", "Show a connector's type, task ids and config", (*connectcli.CLI).Get},
		{"config NAME", "Print a connector's config as a .properties file (passwords read [hidden] on Conflux)", (*connectcli.CLI).Config},
		{"tasks NAME", "Show a connector's task configs", (*connectcli.CLI).Tasks},
		{"pause NAME", "Pause a connector and its tasks", (*connectcli.CLI).Pause},
		{"resume NAME", "Resume a paused or stopped connector", (*connectcli.CLI).Resume},
		{"stop NAME", "Stop a connector and shut its tasks down (needed before offsets can change)", (*connectcli.CLI).Stop},
		{"delete NAME", "Delete a connector (its source offsets are kept)", (*connectcli.CLI).Delete},
	} {
		cmd.AddCommand(newConnectorNameCommand(withCLI, c.use, c.short, c.run))
	}
	return cmd
}

// newConnectorNameCommand builds a subcommand whose only argument is a
// connector name.
func newConnectorNameCommand(withCLI connectorRunner, use, short string, run func(c *connectcli.CLI, ctx context.Context, name string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCLI(cmd, func(ctx context.Context, c *connectcli.CLI) error { return run(c, ctx, args[0]) })
		},
	}
}

func newConnectorListCommand(withCLI connectorRunner) *cobra.Command {
	var expand []string
	list := &cobra.Command{
		Use:   "list",
		Short: "List connectors, with --expand status and/or info as a table",
		Long: "Print the connectors' names, one a line. --expand status adds each connector's state, its\n" +
			"tasks' states (RUNNING:2,FAILED:1) and its worker; --expand info its class and task count.\n" +
			"Both may be given (--expand status,info).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			exp, err := connectcli.ParseExpand(expand)
			if err != nil {
				return err
			}
			return withCLI(cmd, func(ctx context.Context, c *connectcli.CLI) error { return c.List(ctx, exp) })
		},
	}
	list.Flags().StringSliceVar(&expand, "expand", nil, "status, info, or both (comma-separated or repeated)")
	return list
}

func newConnectorCreateCommand(withCLI connectorRunner) *cobra.Command {
	var (
		name string
		opts connectcli.CreateOptions
	)
	create := &cobra.Command{
		Use:   "create FILE|-",
		Short: "Create a connector from a .properties or JSON file (--update: create or replace)",
		Long: "Create a connector from FILE (- reads stdin): a .properties file of config keys, as Kafka\n" +
			"Connect's standalone mode takes, or JSON, either {\"name\":…,\"config\":{…}} or a flat config\n" +
			"with \"name\". JSON is recognised by a .json name or a leading '{'.\n\n" +
			"Without --update this sends POST /connectors, which fails if the connector exists. With\n" +
			"--update it sends PUT /connectors/NAME/config, which creates the connector or replaces its\n" +
			"config: the form to re-run from scripts. --name overrides the file's name.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := connectcli.ReadConnectorSpec(args[0], cmd.InOrStdin(), name)
			if err != nil {
				return err
			}
			return withCLI(cmd, func(ctx context.Context, c *connectcli.CLI) error { return c.Create(ctx, spec, opts) })
		},
	}
	f := create.Flags()
	f.StringVar(&name, "name", "", "connector name, overriding the file's")
	f.BoolVar(&opts.Update, "update", false, "create or replace (PUT /connectors/NAME/config) instead of create only")
	f.StringVar(&opts.InitialState, "initial-state", "", "state a new connector starts in: RUNNING, PAUSED or STOPPED (not with --update)")
	return create
}

func newConnectorStatusCommand(withCLI connectorRunner) *cobra.Command {
	var trace bool
	status := &cobra.Command{
		Use:   "status NAME",
		Short: "Show the state of a connector and of each of its tasks, with their workers",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCLI(cmd, func(ctx context.Context, c *connectcli.CLI) error { return c.Status(ctx, args[0], trace) })
		},
	}
	status.Flags().BoolVar(&trace, "trace", false, "show the error traces of FAILED instances")
	return status
}

func newConnectorRestartCommand(withCLI connectorRunner) *cobra.Command {
	var includeTasks, onlyFailed bool
	restart := &cobra.Command{
		Use:   "restart NAME",
		Short: "Restart a connector, with --include-tasks its tasks too",
		Long: "Restart the connector instance. --include-tasks restarts its tasks too; --only-failed\n" +
			"restarts only the instances that are FAILED. With either flag the instances being restarted\n" +
			"are listed.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCLI(cmd, func(ctx context.Context, c *connectcli.CLI) error {
				return c.Restart(ctx, args[0], includeTasks, onlyFailed)
			})
		},
	}
	restart.Flags().BoolVar(&includeTasks, "include-tasks", false, "restart the tasks too")
	restart.Flags().BoolVar(&onlyFailed, "only-failed", false, "restart only FAILED instances")
	return restart
}

func newConnectorRestartTaskCommand(withCLI connectorRunner) *cobra.Command {
	return &cobra.Command{
		Use:   "restart-task NAME TASK",
		Short: "Restart one task of a connector (TASK: its number, such as 0)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			task, err := connectcli.ParseTaskID(args[0], args[1])
			if err != nil {
				return err
			}
			return withCLI(cmd, func(ctx context.Context, c *connectcli.CLI) error { return c.RestartTask(ctx, args[0], task) })
		},
	}
}

func newConnectorOffsetsCommand(withCLI connectorRunner) *cobra.Command {
	var (
		reset bool
		alter string
	)
	offsets := &cobra.Command{
		Use:   "offsets NAME",
		Short: "Show a connector's committed offsets, or reset (--reset) or alter (--alter FILE) them",
		Long: "Show the connector's committed offsets. --reset removes them all; --alter FILE (- reads\n" +
			"stdin) changes them from {\"offsets\":[{\"partition\":{…},\"offset\":{…}}]} (or the bare list),\n" +
			"where a null offset removes the partition's. Both need the connector to be stopped first\n" +
			"(conflux connector stop NAME).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			switch {
			case reset && alter != "":
				return fmt.Errorf("%w: --reset and --alter exclude each other", connectcli.ErrInvalidArgument)
			case reset:
				return withCLI(cmd, func(ctx context.Context, c *connectcli.CLI) error { return c.ResetOffsets(ctx, name) })
			case alter != "":
				o, err := connectcli.ReadOffsets(alter, cmd.InOrStdin())
				if err != nil {
					return err
				}
				return withCLI(cmd, func(ctx context.Context, c *connectcli.CLI) error { return c.AlterOffsets(ctx, name, o) })
			}
			return withCLI(cmd, func(ctx context.Context, c *connectcli.CLI) error { return c.Offsets(ctx, name) })
		},
	}
	offsets.Flags().BoolVar(&reset, "reset", false, "remove every committed offset (DELETE)")
	offsets.Flags().StringVar(&alter, "alter", "", "change offsets from a JSON file, - for stdin (PATCH)")
	return offsets
}

func newConnectorPluginsCommand(withCLI connectorRunner) *cobra.Command {
	var connectorsOnly bool
	plugins := &cobra.Command{
		Use:   "plugins",
		Short: "List the worker's plugins: connectors, converters, transformations, predicates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCLI(cmd, func(ctx context.Context, c *connectcli.CLI) error { return c.Plugins(ctx, connectorsOnly) })
		},
	}
	plugins.Flags().BoolVar(&connectorsOnly, "connectors-only", false, "list connector plugins only")
	return plugins
}

func newConnectorValidateCommand(withCLI connectorRunner) *cobra.Command {
	return &cobra.Command{
		Use:   "validate PLUGIN FILE|-",
		Short: "Check a connector config against a connector plugin without creating anything",
		Long: "Validate the config in FILE (formats as for create; - reads stdin) against the connector\n" +
			"PLUGIN (class name or alias), which becomes connector.class when the file has none. Errors\n" +
			"are listed per key, and the command exits non-zero when there are any.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := connectcli.ReadConnectorSpec(args[1], cmd.InOrStdin(), "")
			if err != nil {
				return err
			}
			return withCLI(cmd, func(ctx context.Context, c *connectcli.CLI) error { return c.Validate(ctx, args[0], spec.Config) })
		},
	}
}
