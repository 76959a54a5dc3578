package main

import (
	"github.com/spf13/cobra"
)

// newRootCommand builds the conflux command tree.
func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "conflux",
		Short:         "Kafka-protocol broker and Kafka Connect-style data integration runtime in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newStandaloneCommand())
	root.AddCommand(newWorkerCommand())
	root.AddCommand(newBrokerCommand())
	root.AddCommand(newTopicCommand())
	root.AddCommand(newProduceCommand())
	root.AddCommand(newConsumeCommand())
	root.AddCommand(newGroupCommand())
	root.AddCommand(newPerfCommand())
	root.AddCommand(newConnectorCommand())
	return root
}
