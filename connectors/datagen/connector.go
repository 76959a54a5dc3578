package datagen

import (
	"context"
	"fmt"
	"maps"
	"strconv"

	"conflux/connectors"
)

// Version is the connector's version.
const Version = "1.0.0"

func init() {
	connectors.Register(connectors.Plugin{
		Name:      "datagen",
		Aliases:   []string{"io.confluent.kafka.connect.datagen.DatagenConnector"},
		Type:      connectors.PluginSource,
		Version:   Version,
		Summary:   "Generates mock records from a quickstart or a schema, compatible with Confluent's kafka-connect-datagen.",
		ConfigDef: configDef,
		New:       func() any { return &Connector{} },
	})
}

// Connector is the datagen source connector. It runs tasks.max identical
// tasks, each with its own task.id and so its own seed and sequence.
type Connector struct {
	config map[string]string
}

// Start implements connectors.SourceConnector.
func (c *Connector) Start(_ context.Context, _ connectors.ConnectorContext, config map[string]string) error {
	if _, err := parseSettings(config); err != nil {
		return fmt.Errorf("datagen: %w", err)
	}
	c.config = config
	return nil
}

// TaskConfigs implements connectors.SourceConnector: maxTasks copies of
// the configuration, numbered by task.id.
func (c *Connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, maxTasks)
	for i := range out {
		cfg := maps.Clone(c.config)
		cfg[KeyTaskID] = strconv.Itoa(i)
		out[i] = cfg
	}
	return out, nil
}

// Stop implements connectors.SourceConnector.
func (c *Connector) Stop() error { return nil }

// NewTask implements connectors.SourceConnector.
func (c *Connector) NewTask() connectors.SourceTask { return &Task{} }
