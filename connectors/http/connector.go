package http

import (
	"context"
	"fmt"
	"maps"

	"conflux/connectors"
)

// Version is the connector's version.
const Version = "1.0.0"

func init() {
	connectors.Register(connectors.Plugin{
		Name:      "http",
		Aliases:   []string{"conflux.connectors.http.HttpSinkConnector"},
		Type:      connectors.PluginSink,
		Version:   Version,
		Summary:   "Sends records to an HTTP endpoint in batches, with retries, Retry-After, OAuth2 and a dead letter queue.",
		ConfigDef: configDef,
		New:       func() any { return &Connector{} },
	})
}

// Connector is the HTTP sink connector: tasks.max tasks with the same
// configuration share the topics' partitions.
type Connector struct {
	config map[string]string
}

// Start implements connectors.SinkConnector.
func (c *Connector) Start(_ context.Context, _ connectors.ConnectorContext, config map[string]string) error {
	s, err := parseSettings(config)
	if err != nil {
		return fmt.Errorf("http sink: %w", err)
	}
	if _, err := s.tls.config(); err != nil {
		return fmt.Errorf("http sink: %w", err)
	}
	c.config = config
	return nil
}

// TaskConfigs implements connectors.SinkConnector.
func (c *Connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, maxTasks)
	for i := range out {
		out[i] = maps.Clone(c.config)
	}
	return out, nil
}

// Stop implements connectors.SinkConnector.
func (c *Connector) Stop() error { return nil }

// NewTask implements connectors.SinkConnector.
func (c *Connector) NewTask() connectors.SinkTask { return &SinkTask{} }
