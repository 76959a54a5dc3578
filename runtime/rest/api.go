package rest

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"conflux/configs"
	"conflux/connectors"
	"conflux/runtime"
	"conflux/runtime/rest/loggers"
	"conflux/runtime/rest/validation"
)

// Defaults of Config's optional fields.
const (
	// DefaultRequestTimeout bounds each Herder call, as Kafka Connect's
	// REST API does.
	DefaultRequestTimeout = 90 * time.Second
	// DefaultHealthTimeout bounds the health check.
	DefaultHealthTimeout = 10 * time.Second
	// DefaultMaxBodyBytes limits request bodies.
	DefaultMaxBodyBytes = 8 << 20
)

// Config configures the REST API built by [New]. Herder is required.
type Config struct {
	// Herder is the worker cluster the API drives.
	Herder runtime.Herder
	// Registry holds the plugins GET /connector-plugins lists and the
	// validate endpoint checks against; nil means connectors.Default().
	Registry *connectors.Registry
	// Resolver, when set, resolves config-provider placeholders for the
	// validate endpoint, as the worker does; resolved values are never
	// shown.
	Resolver *configs.Resolver
	// Version and Commit are reported by GET /.
	Version, Commit string
	// Logger receives the API's own logs: unexpected errors, panics and
	// (at debug level) one line per request, never a request body. nil
	// discards them.
	Logger *slog.Logger
	// AdminEnabled serves the /admin endpoints (GET/PUT /admin/loggers).
	AdminEnabled bool
	// Loggers holds the levels /admin/loggers reads and changes; nil
	// means a registry of its own on Logger's handler.
	Loggers *loggers.Registry
	// RequestTimeout bounds each Herder call; 0 means
	// DefaultRequestTimeout (90 s).
	RequestTimeout time.Duration
	// HealthTimeout bounds GET /health; 0 means DefaultHealthTimeout.
	HealthTimeout time.Duration
	// MaxBodyBytes limits request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Metrics, when set, serves GET /metrics (the worker's Prometheus
	// metrics).
	Metrics http.Handler
	// UI, when set, serves /ui and every path below it (the web console),
	// behind the same middleware as the API.
	UI http.Handler
}

// ClusterLoggerSetter is implemented by herders that can set a log level on
// every worker of the cluster (KIP-976), for PUT
// /admin/loggers/{name}?scope=cluster. Without it the API sets the level on
// this worker only, as a standalone Kafka Connect worker does, and still
// answers 204.
type ClusterLoggerSetter interface {
	// SetClusterLoggerLevel records namespace's level (a log4j level name
	// such as DEBUG) for every worker.
	SetClusterLoggerLevel(ctx context.Context, namespace, level string) error
}

// api holds what the handlers share.
type api struct {
	herder        runtime.Herder
	reg           *connectors.Registry
	validator     *validation.Validator
	version       string
	commit        string
	log           *slog.Logger
	loggers       *loggers.Registry
	timeout       time.Duration
	healthTimeout time.Duration
	maxBody       int64
}

// New returns the REST API as an http.Handler: every endpoint of Kafka
// Connect's REST API, with its paths, JSON entities, status codes and error
// body. It panics if cfg.Herder is nil. Building it does no I/O, so a
// server can answer GET / as soon as it listens.
func New(cfg Config) http.Handler {
	if cfg.Herder == nil {
		panic("rest: New: Config.Herder is nil")
	}
	a := &api{
		herder:        cfg.Herder,
		reg:           cfg.Registry,
		version:       cfg.Version,
		commit:        cfg.Commit,
		log:           cfg.Logger,
		loggers:       cfg.Loggers,
		timeout:       cfg.RequestTimeout,
		healthTimeout: cfg.HealthTimeout,
		maxBody:       cfg.MaxBodyBytes,
	}
	if a.reg == nil {
		a.reg = connectors.Default()
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.loggers == nil {
		a.loggers = loggers.New(a.log.Handler(), slog.LevelInfo)
	}
	if a.timeout <= 0 {
		a.timeout = DefaultRequestTimeout
	}
	if a.healthTimeout <= 0 {
		a.healthTimeout = DefaultHealthTimeout
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	a.validator = validation.New(a.reg, cfg.Resolver)
	return a.routes(cfg.AdminEnabled, cfg.Metrics, cfg.UI)
}

// routes builds the router.
func (a *api) routes(admin bool, metrics, ui http.Handler) http.Handler {
	r := chi.NewRouter()
	r.Use(a.recoverer, a.accessLog, stripSlash)
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusNotFound, errorBody{ErrorCode: http.StatusNotFound, Message: msgNotFound})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusMethodNotAllowed, errorBody{ErrorCode: http.StatusMethodNotAllowed, Message: msgNotAllowed})
	})

	r.Get("/", a.handle(a.serverInfo))
	r.Get("/health", a.handle(a.health))
	if metrics != nil {
		r.Method(http.MethodGet, "/metrics", metrics)
	}
	if ui != nil {
		r.Handle("/ui", ui)
		r.Handle("/ui/*", ui)
	}

	r.Route("/connectors", func(r chi.Router) {
		r.Get("/", a.handle(a.listConnectors))
		r.Post("/", a.handle(a.createConnector))
		r.Route("/{connector}", func(r chi.Router) {
			r.Get("/", a.handle(a.getConnector))
			r.Delete("/", a.handle(a.deleteConnector))
			r.Get("/config", a.handle(a.getConnectorConfig))
			r.Put("/config", a.handle(a.putConnectorConfig))
			r.Patch("/config", a.handle(a.patchConnectorConfig))
			r.Get("/status", a.handle(a.connectorStatus))
			r.Post("/restart", a.handle(a.restartConnector))
			r.Put("/pause", a.handle(a.targetState(runtime.TargetPaused, http.StatusAccepted)))
			r.Put("/resume", a.handle(a.targetState(runtime.TargetStarted, http.StatusAccepted)))
			r.Put("/stop", a.handle(a.targetState(runtime.TargetStopped, http.StatusNoContent)))
			r.Get("/tasks", a.handle(a.taskConfigs))
			if writer, ok := a.herder.(runtime.TaskConfigWriter); ok {
				r.Post("/tasks", a.handle(a.putTaskConfigs(writer)))
			}
			r.Get("/tasks-config", a.handle(a.tasksConfig))
			r.Get("/tasks/{task}/status", a.handle(a.taskStatus))
			r.Post("/tasks/{task}/restart", a.handle(a.restartTask))
			r.Get("/topics", a.handle(a.connectorTopics))
			r.Put("/topics/reset", a.handle(a.resetConnectorTopics))
			r.Get("/offsets", a.handle(a.connectorOffsets))
			r.Patch("/offsets", a.handle(a.alterConnectorOffsets))
			r.Delete("/offsets", a.handle(a.resetConnectorOffsets))
		})
	})

	r.Route("/connector-plugins", func(r chi.Router) {
		r.Get("/", a.handle(a.listPlugins))
		r.Get("/{plugin}/config", a.handle(a.pluginConfig))
		r.Put("/{plugin}/config/validate", a.handle(a.validateConfig))
	})

	if admin {
		r.Route("/admin/loggers", func(r chi.Router) {
			r.Get("/", a.handle(a.listLoggers))
			r.Get("/{logger}", a.handle(a.getLogger))
			r.Put("/{logger}", a.handle(a.setLogger))
		})
	}
	return r
}

// handlerFunc is an endpoint: it writes a response, or returns an error
// for handle to write.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts an endpoint to http.HandlerFunc, writing its error as
// Kafka Connect's error entity: an apiError with its status, anything else
// as 500 with its message (and logged).
func (a *api) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		ae, ok := err.(*apiError)
		if !ok {
			a.log.Error("REST request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			ae = &apiError{status: http.StatusInternalServerError, msg: err.Error()}
		}
		WriteJSON(w, ae.status, errorBody{ErrorCode: ae.status, Message: ae.msg})
	}
}

// call runs one Herder call with the request timeout and maps its error.
// The call's context carries the request's forward query parameter, which
// tells the worker whether it may pass the request on to another worker.
func (a *api) call(r *http.Request, m herderMessages, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	ctx = runtime.WithForwarding(ctx, runtime.ForwardingOf(r.URL.Query().Get("forward")))
	return herderError(ctx, f(ctx), m)
}

// param returns a path parameter, percent-decoded: chi matches on the raw
// path when the request has escapes (a connector name with a '/'), and
// then hands out the raw segment.
func param(r *http.Request, name string) string {
	v := chi.URLParam(r, name)
	if r.URL.RawPath == "" {
		return v
	}
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// queryBool reads a boolean query parameter as JAX-RS does: true when the
// value is "true" in any case, false for any other value, def when absent
// or empty.
func queryBool(r *http.Request, name string, def bool) bool {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def
	}
	return strings.EqualFold(v, "true")
}

// stripSlash drops a trailing slash, so /connectors/ is /connectors, as in
// Kafka Connect.
func stripSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
			r.URL.Path = strings.TrimRight(p, "/")
			if r.URL.Path == "" {
				r.URL.Path = "/"
			}
			if r.URL.RawPath != "" {
				r.URL.RawPath = strings.TrimRight(r.URL.RawPath, "/")
			}
		}
		next.ServeHTTP(w, r)
	})
}

// recoverer answers 500 when a handler panics, and logs the panic with its
// stack.
func (a *api) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			a.log.Error("REST handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			WriteJSON(w, http.StatusInternalServerError, errorBody{ErrorCode: http.StatusInternalServerError, Message: "Internal server error"})
		}()
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status a handler wrote, for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// accessLog logs method, path, status and duration of each request at
// debug level. It never logs bodies or query strings, which may hold
// secrets.
func (a *api) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		a.log.Debug("REST request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
	})
}
