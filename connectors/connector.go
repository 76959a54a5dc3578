package connectors

import (
	"context"

	"conflux/configs"
)

// SourceConnector is the plugin that sets up a source: it validates the
// user's configuration, decides how the work is split into tasks and
// creates them (Kafka's SourceConnector). It does not move data; its
// SourceTasks do.
//
// Lifecycle. The runtime makes an instance with Plugin.New, calls Start
// once, then TaskConfigs (again whenever the connector asks through its
// ConnectorContext, or its config changes), and finally Stop once. An
// instance is never started twice: a restart uses a new instance. Start,
// TaskConfigs and Stop are never called concurrently with each other, and
// Stop is called only if Start returned nil (a failing Start cleans up after
// itself).
//
// The ctx given to Start lives as long as the instance: it is cancelled when
// the connector is being stopped, before Stop is called. Goroutines the
// connector starts (to watch an external system, say) must watch it and be
// finished when Stop returns.
type SourceConnector interface {
	// Start starts the connector with its configuration, placeholders
	// resolved and already checked against the plugin's ConfigDef and the
	// framework's keys. The map belongs to the connector.
	Start(ctx context.Context, cctx ConnectorContext, config map[string]string) error
	// TaskConfigs returns one configuration per task to run, at most
	// maxTasks (tasks.max) of them; fewer is fine when the work does not
	// split further. Each becomes the config of one SourceTask.Start.
	TaskConfigs(maxTasks int) ([]map[string]string, error)
	// Stop releases what Start acquired.
	Stop() error
	// NewTask returns a new, unstarted task. It may be called on an
	// instance that was never started (tasks run on other workers than
	// their connector), so it must not depend on Start.
	NewTask() SourceTask
}

// SinkConnector is the plugin that sets up a sink; see SourceConnector for
// the lifecycle, which is the same. The topics to consume come from the
// framework keys topics or topics.regex, which the runtime handles.
type SinkConnector interface {
	// Start starts the connector; see SourceConnector.Start.
	Start(ctx context.Context, cctx ConnectorContext, config map[string]string) error
	// TaskConfigs returns at most maxTasks task configurations.
	TaskConfigs(maxTasks int) ([]map[string]string, error)
	// Stop releases what Start acquired.
	Stop() error
	// NewTask returns a new, unstarted task; it must not depend on Start.
	NewTask() SinkTask
}

// ConnectorContext lets a connector talk to the runtime. Its methods are
// safe to call from any goroutine while the connector runs.
type ConnectorContext interface {
	// RequestTaskReconfiguration asks the runtime to call TaskConfigs again
	// and to restart the tasks if their configurations changed, for example
	// after a new table appeared.
	RequestTaskReconfiguration()
	// RaiseError reports that the connector failed in the background: the
	// runtime marks it FAILED with err and stops it.
	RaiseError(err error)
}

// ConfigValidator is implemented by connectors that check more than their
// ConfigDef can express, for example that a database is reachable. The
// runtime calls ValidateConfig on a new, unstarted instance for the REST
// validate endpoint and before creating or updating a connector, after the
// ConfigDef checks; each returned error is added to the key it names. ctx
// bounds the call.
type ConfigValidator interface {
	ValidateConfig(ctx context.Context, config map[string]string) []*configs.Error
}
