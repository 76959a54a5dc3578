package postgres

import (
	"context"
	"fmt"
	"maps"

	"github.com/jackc/pgx/v5"

	"conflux/connectors"
)

// Version is the connector's version, reported by GET /connector-plugins
// and in each event's source.version.
const Version = "1.0.0"

func init() {
	connectors.Register(connectors.Plugin{
		Name:      "postgres",
		Aliases:   []string{"io.debezium.connector.postgresql.PostgresConnector"},
		Type:      connectors.PluginSource,
		Version:   Version,
		Summary:   "Snapshots Postgres tables, then streams every change through logical replication, with Debezium's events.",
		ConfigDef: connectorDef,
		New:       func() any { return &Connector{} },
	})
}

// Connector is the postgres source connector. It runs one task, as
// Debezium's does: a replication slot has one reader.
type Connector struct {
	config map[string]string
}

// Start checks the configuration and that the database can be reached with
// it, so that bad credentials or a missing database fail the connector with
// the server's own words.
func (c *Connector) Start(ctx context.Context, _ connectors.ConnectorContext, config map[string]string) error {
	cfg, err := parseConfig(config)
	if err != nil {
		return err
	}
	conn, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	conn.Close(ctx)
	c.config = maps.Clone(config)
	return nil
}

// TaskConfigs returns the one task's configuration.
func (c *Connector) TaskConfigs(int) ([]map[string]string, error) {
	return []map[string]string{maps.Clone(c.config)}, nil
}

// Stop does nothing: the task holds the connections.
func (c *Connector) Stop() error { return nil }

// NewTask returns a new task.
func (c *Connector) NewTask() connectors.SourceTask { return &Task{} }

// connect opens a query connection.
func connect(ctx context.Context, cfg *config) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, cfg.dsn)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %w", ErrConnect, cfg.target, err)
	}
	return conn, nil
}
