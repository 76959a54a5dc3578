package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"conflux/connectors"
)

// connectorPlugin is what source and sink connectors have in common.
type connectorPlugin interface {
	Start(ctx context.Context, cctx connectors.ConnectorContext, config map[string]string) error
	TaskConfigs(maxTasks int) ([]map[string]string, error)
	Stop() error
}

// asConnector returns the connector interface of a plugin instance.
func asConnector(inst any) (connectorPlugin, bool) {
	switch c := inst.(type) {
	case connectors.SourceConnector:
		return c, true
	case connectors.SinkConnector:
		return c, true
	}
	return nil, false
}

// connectorEvents receives what a running connector asks of the worker.
// Calls may come from any goroutine of the connector and must not block.
type connectorEvents interface {
	requestReconfiguration(name string)
	connectorFailed(name string, err error)
}

// connectorInstance is one connector instance this worker runs (Kafka's
// WorkerConnector): it is started, asked for task configs, and stopped.
// Its methods are called from the worker's loop only; the connector may
// call back through its ConnectorContext from any goroutine.
type connectorInstance struct {
	name     string
	conn     connectorPlugin
	config   map[string]string // resolved
	maxTasks int
	events   connectorEvents
	logger   *slog.Logger
	timeout  time.Duration

	ctx     context.Context
	cancel  context.CancelFunc
	started bool
}

func newConnectorInstance(name string, conn connectorPlugin, config map[string]string, maxTasks int, events connectorEvents, timeout time.Duration, logger *slog.Logger) *connectorInstance {
	ctx, cancel := context.WithCancel(context.Background())
	return &connectorInstance{name: name, conn: conn, config: config, maxTasks: maxTasks, events: events,
		timeout: timeout, logger: logger, ctx: ctx, cancel: cancel}
}

// RequestTaskReconfiguration implements connectors.ConnectorContext.
func (c *connectorInstance) RequestTaskReconfiguration() { c.events.requestReconfiguration(c.name) }

// RaiseError implements connectors.ConnectorContext.
func (c *connectorInstance) RaiseError(err error) { c.events.connectorFailed(c.name, err) }

// start starts the connector; a failure leaves nothing to stop.
func (c *connectorInstance) start() error {
	if err := c.conn.Start(c.ctx, c, c.config); err != nil {
		c.cancel()
		return fmt.Errorf("start connector %s: %w", c.name, err)
	}
	c.started = true
	return nil
}

// taskConfigs asks the started connector for its task configs.
func (c *connectorInstance) taskConfigs() ([]map[string]string, error) {
	tasks, err := c.conn.TaskConfigs(c.maxTasks)
	if err != nil {
		return nil, fmt.Errorf("connector %s task configs: %w", c.name, err)
	}
	if len(tasks) > c.maxTasks {
		return nil, fmt.Errorf("connector %s produced %d task configurations, more than tasks.max (%d)", c.name, len(tasks), c.maxTasks)
	}
	return tasks, nil
}

// stop stops the connector, abandoning a Stop that hangs.
func (c *connectorInstance) stop() {
	c.cancel()
	if !c.started {
		return
	}
	c.started = false
	if !callWithTimeout(c.timeout, func() {
		if err := c.conn.Stop(); err != nil {
			c.logger.Warn("connector stop failed", "connector", c.name, "error", err)
		}
	}) {
		c.logger.Error("connector's Stop did not return in time; abandoning it", "connector", c.name, "timeout", c.timeout)
	}
}
