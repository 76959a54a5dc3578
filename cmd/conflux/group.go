package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"conflux/internal/console"
)

// newGroupCommand builds "conflux group", the kafka-consumer-groups
// equivalent.
func newGroupCommand() *cobra.Command {
	var bootstrap string
	cmd := &cobra.Command{
		Use:   "group",
		Short: "List, describe and delete consumer groups and reset their offsets",
	}
	addBootstrapServerFlag(cmd, &bootstrap, true)
	withAdmin := func(run func(a *console.GroupAdmin) error) error {
		addrs, err := console.SplitBootstrap(bootstrap)
		if err != nil {
			return err
		}
		a, err := console.NewGroupAdmin(addrs)
		if err != nil {
			return err
		}
		defer a.Close()
		return run(a)
	}
	cmd.AddCommand(
		newGroupListCommand(withAdmin),
		newGroupDescribeCommand(withAdmin),
		newGroupDeleteCommand(withAdmin),
		newGroupResetOffsetsCommand(withAdmin),
	)
	return cmd
}

// groupAdminRunner runs a function with a connected GroupAdmin.
type groupAdminRunner func(run func(a *console.GroupAdmin) error) error

func newGroupListCommand(withAdmin groupAdminRunner) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List consumer groups with their state and protocol type",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(func(a *console.GroupAdmin) error {
				groups, err := a.List()
				if err != nil {
					return err
				}
				return console.WriteGroupList(cmd.OutOrStdout(), groups)
			})
		},
	}
}

func newGroupDescribeCommand(withAdmin groupAdminRunner) *cobra.Command {
	var members, state, verbose, allGroups bool
	describe := &cobra.Command{
		Use:   "describe GROUP...",
		Short: "Show a group's committed offsets, lag and owners per partition, or its members or state",
		Long: "Show, per partition, the group's committed offset (CURRENT-OFFSET), the log end offset, the\n" +
			"lag between them and the member the partition is assigned to. --members lists the members\n" +
			"instead (--verbose adds their assignment), --state the coordinator, assignment strategy,\n" +
			"state and member count.",
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case members && state:
				return fmt.Errorf("%w: --members and --state exclude each other", console.ErrInvalidArgument)
			case verbose && !members:
				return fmt.Errorf("%w: --verbose needs --members", console.ErrInvalidArgument)
			case allGroups && len(args) > 0:
				return fmt.Errorf("%w: --all-groups and group names exclude each other", console.ErrInvalidArgument)
			case !allGroups && len(args) == 0:
				return fmt.Errorf("%w: name a group, or give --all-groups", console.ErrInvalidArgument)
			}
			return withAdmin(func(a *console.GroupAdmin) error {
				groups := args
				if allGroups {
					all, err := a.List()
					if err != nil {
						return err
					}
					for _, g := range all {
						groups = append(groups, g.Group)
					}
					if len(groups) == 0 {
						return nil
					}
				}
				descs, derr := a.Describe(groups)
				if derr != nil && !errors.Is(derr, console.ErrGroupNotFound) {
					return derr
				}
				var err error
				switch w := cmd.OutOrStdout(); {
				case members:
					err = console.WriteGroupMembers(w, descs, verbose)
				case state:
					err = console.WriteGroupStates(w, descs)
				default:
					err = console.WriteGroupOffsets(w, descs)
				}
				return errors.Join(err, derr)
			})
		},
	}
	f := describe.Flags()
	f.BoolVar(&members, "members", false, "list the group's members")
	f.BoolVar(&verbose, "verbose", false, "with --members, also show each member's assignment")
	f.BoolVar(&state, "state", false, "show the group's coordinator, assignment strategy, state and member count")
	f.BoolVar(&allGroups, "all-groups", false, "describe every group")
	return describe
}

func newGroupDeleteCommand(withAdmin groupAdminRunner) *cobra.Command {
	return &cobra.Command{
		Use:   "delete GROUP...",
		Short: "Delete consumer groups without members, with their committed offsets",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(func(a *console.GroupAdmin) error {
				deleted, err := a.Delete(args)
				if len(deleted) > 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "Deletion of requested consumer groups ('%s') was successful.\n",
						strings.Join(deleted, "', '"))
				}
				return err
			})
		},
	}
}

func newGroupResetOffsetsCommand(withAdmin groupAdminRunner) *cobra.Command {
	var (
		topics               []string
		allTopics            bool
		toEarliest, toLatest bool
		toOffset, shiftBy    int64
		toDatetime           string
		dryRun, execute      bool
	)
	reset := &cobra.Command{
		Use:   "reset-offsets GROUP",
		Short: "Move a group's committed offsets (dry run unless --execute)",
		Long: "Compute new committed offsets for the partitions named with --topic (TOPIC or TOPIC:0,1,...,\n" +
			"repeatable) or for every partition the group has committed (--all-topics), and print them.\n" +
			"With --execute they are committed. The group must have no active members.\n\n" +
			"Targets: --to-earliest, --to-latest, --to-offset N, --shift-by N (from the committed offset;\n" +
			"negative moves back), --to-datetime 2006-01-02T15:04:05.000 (local time; RFC 3339 with a\n" +
			"zone also works): the first record at or after that time. Targets beyond the log are\n" +
			"clamped to its start or end.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dryRun && execute {
				return fmt.Errorf("%w: --dry-run and --execute exclude each other", console.ErrInvalidArgument)
			}
			opts := console.ResetOptions{Group: args[0], AllTopics: allTopics, Execute: execute}
			for _, t := range topics {
				tp, err := console.ParseTopicPartitions(t)
				if err != nil {
					return err
				}
				opts.Topics = append(opts.Topics, tp)
			}
			var chosen []string
			f := cmd.Flags()
			if toEarliest {
				opts.Method, chosen = console.ResetToEarliest, append(chosen, "--to-earliest")
			}
			if toLatest {
				opts.Method, chosen = console.ResetToLatest, append(chosen, "--to-latest")
			}
			if f.Changed("to-offset") {
				opts.Method, opts.Offset, chosen = console.ResetToOffset, toOffset, append(chosen, "--to-offset")
			}
			if f.Changed("shift-by") {
				opts.Method, opts.Offset, chosen = console.ResetShiftBy, shiftBy, append(chosen, "--shift-by")
			}
			if f.Changed("to-datetime") {
				t, err := console.ParseResetDatetime(toDatetime)
				if err != nil {
					return err
				}
				opts.Method, opts.Time, chosen = console.ResetToDatetime, t, append(chosen, "--to-datetime")
			}
			if len(chosen) > 1 {
				return fmt.Errorf("%w: %s exclude each other", console.ErrInvalidArgument, strings.Join(chosen, ", "))
			}
			return withAdmin(func(a *console.GroupAdmin) error {
				plan, err := a.ResetOffsets(opts)
				if err != nil {
					return err
				}
				if !execute && !dryRun {
					fmt.Fprintln(cmd.ErrOrStderr(), "No action will be performed as the --execute option is missing; "+
						"add --execute to commit these offsets, or --dry-run to silence this note.")
				}
				return console.WriteOffsetResets(cmd.OutOrStdout(), opts.Group, plan)
			})
		},
	}
	f := reset.Flags()
	f.StringArrayVar(&topics, "topic", nil, "topic to reset, TOPIC or TOPIC:0,1,... (repeatable)")
	f.BoolVar(&allTopics, "all-topics", false, "reset every partition the group has a committed offset for")
	f.BoolVar(&toEarliest, "to-earliest", false, "reset to the log start offset")
	f.BoolVar(&toLatest, "to-latest", false, "reset to the log end offset")
	f.Int64Var(&toOffset, "to-offset", 0, "reset to this offset")
	f.Int64Var(&shiftBy, "shift-by", 0, "move the committed offset by this many records (negative: back)")
	f.StringVar(&toDatetime, "to-datetime", "", "reset to the first record at or after this time (2006-01-02T15:04:05.000)")
	f.BoolVar(&dryRun, "dry-run", false, "only print the new offsets (the default)")
	f.BoolVar(&execute, "execute", false, "commit the new offsets")
	return reset
}
