// Package loggers keeps named log levels that can be changed while the
// process runs, for Kafka Connect's /admin/loggers endpoints (KIP-495).
//
// A [Registry] hands out *slog.Logger values by name ("conflux.runtime",
// "conflux.runtime.worker" …); each is filtered by its own slog.LevelVar.
// Names form a dotted hierarchy as log4j's do: a new logger starts at the
// level of its nearest ancestor ("root" when it has none), and setting a
// level on a name sets it on every known logger whose name starts with it,
// exactly as Kafka Connect's LoggingResource does.
//
// The package imports nothing from Conflux, so the worker, the broker and
// the REST API can share one Registry built by the command.
//
// The one thing to know: the Registry does the level filtering. Give it a
// base handler that accepts every level (slog.HandlerOptions{Level:
// slog.LevelDebug - 4} or lower); a base handler at INFO would drop the
// DEBUG records an operator just enabled.
package loggers
