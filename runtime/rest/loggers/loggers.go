package loggers

import (
	"context"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// Root is the name of the root logger, as Kafka Connect spells it.
const Root = "root"

// Log levels with log4j's names. slog has no TRACE, FATAL, OFF or ALL; they
// sit below DEBUG, above ERROR, above everything and below everything.
const (
	LevelAll   slog.Level = math.MinInt32
	LevelTrace slog.Level = slog.LevelDebug - 4
	LevelFatal slog.Level = slog.LevelError + 4
	LevelOff   slog.Level = math.MaxInt32
)

// levelNames maps log4j's level names to slog levels.
var levelNames = []struct {
	name  string
	level slog.Level
}{
	{"OFF", LevelOff},
	{"FATAL", LevelFatal},
	{"ERROR", slog.LevelError},
	{"WARN", slog.LevelWarn},
	{"INFO", slog.LevelInfo},
	{"DEBUG", slog.LevelDebug},
	{"TRACE", LevelTrace},
	{"ALL", LevelAll},
}

// ParseLevel parses a log4j level name (OFF, FATAL, ERROR, WARN, INFO,
// DEBUG, TRACE, ALL), ignoring case; WARNING is accepted for WARN.
func ParseLevel(s string) (slog.Level, bool) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if u == "WARNING" {
		u = "WARN"
	}
	for _, l := range levelNames {
		if l.name == u {
			return l.level, true
		}
	}
	return 0, false
}

// LevelName returns the log4j name of l, or slog's name for a level between
// the named ones ("DEBUG+2").
func LevelName(l slog.Level) string {
	for _, n := range levelNames {
		if n.level == l {
			return n.name
		}
	}
	return l.String()
}

// Level is a logger's level as GET /admin/loggers reports it.
type Level struct {
	// Level is the log4j name of the logger's level.
	Level string `json:"level"`
	// LastModified is when the level was last set through SetLevel, in
	// milliseconds since the epoch; null when never.
	LastModified *int64 `json:"last_modified"`
}

// entry is one named logger.
type entry struct {
	level    slog.LevelVar
	modified int64 // ms since epoch of the last SetLevel; 0 = never
}

// Registry holds named loggers and their levels. The zero value is not
// usable; call New. Methods are safe for concurrent use.
type Registry struct {
	base slog.Handler
	now  func() time.Time

	mu      sync.Mutex
	entries map[string]*entry // includes Root
}

// New returns a registry whose loggers write to base, with the root logger
// at rootLevel. base should accept every level; see the package
// documentation.
func New(base slog.Handler, rootLevel slog.Level) *Registry {
	if base == nil {
		panic("loggers: New: nil handler")
	}
	r := &Registry{base: base, now: time.Now, entries: make(map[string]*entry)}
	root := &entry{}
	root.level.Set(rootLevel)
	r.entries[Root] = root
	return r
}

// ancestorLevel returns the level of name's nearest known ancestor, or the
// root's. The caller holds r.mu.
func (r *Registry) ancestorLevel(name string) slog.Level {
	for n := name; ; {
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[:i]
		if e, ok := r.entries[n]; ok {
			return e.level.Level()
		}
	}
	return r.entries[Root].level.Level()
}

// get returns the entry of name, creating it at its ancestor's level.
func (r *Registry) get(name string) *entry {
	if name == "" {
		name = Root
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.entries[name]; ok {
		return e
	}
	e := &entry{}
	e.level.Set(r.ancestorLevel(name))
	r.entries[name] = e
	return e
}

// LevelVar returns the level variable of the named logger, creating the
// logger if needed. Code with its own slog handler can filter with it.
func (r *Registry) LevelVar(name string) *slog.LevelVar { return &r.get(name).level }

// Logger returns a logger that writes to the base handler with the
// attribute logger=name, at the named logger's current level. Calling it
// again with the same name returns an equivalent logger.
func (r *Registry) Logger(name string) *slog.Logger {
	if name == "" {
		name = Root
	}
	e := r.get(name)
	return slog.New(&handler{base: r.base.WithAttrs([]slog.Attr{slog.String("logger", name)}), level: &e.level})
}

// Levels returns every known logger with its level, root included.
func (r *Registry) Levels() map[string]Level {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]Level, len(r.entries))
	for name, e := range r.entries {
		out[name] = e.info()
	}
	return out
}

// Level returns the level of a known logger ("root" included).
func (r *Registry) Level(name string) (Level, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[name]
	if !ok {
		return Level{}, false
	}
	return e.info(), true
}

// SetLevel sets level on the logger named namespace and on every known
// logger whose name starts with namespace (for "root", on every logger),
// creating namespace if it is not known, and returns the names it changed,
// sorted, as PUT /admin/loggers/{name} reports them.
func (r *Registry) SetLevel(namespace string, level slog.Level) []string {
	if namespace == "" {
		namespace = Root
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now().UnixMilli()
	if _, ok := r.entries[namespace]; !ok {
		r.entries[namespace] = &entry{}
	}
	var changed []string
	for _, name := range slices.Sorted(maps.Keys(r.entries)) {
		if namespace != Root && !strings.HasPrefix(name, namespace) {
			continue
		}
		e := r.entries[name]
		e.level.Set(level)
		e.modified = now
		changed = append(changed, name)
	}
	return changed
}

func (e *entry) info() Level {
	l := Level{Level: LevelName(e.level.Level())}
	if e.modified != 0 {
		m := e.modified
		l.LastModified = &m
	}
	return l
}

// handler filters records by a logger's level and passes them on.
type handler struct {
	base  slog.Handler
	level *slog.LevelVar
}

// Enabled reports whether l reaches the logger's level.
func (h *handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// Handle passes the record to the base handler.
func (h *handler) Handle(ctx context.Context, rec slog.Record) error { return h.base.Handle(ctx, rec) }

// WithAttrs returns a handler with more attributes and the same level.
func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &handler{base: h.base.WithAttrs(attrs), level: h.level}
}

// WithGroup returns a handler with a group and the same level.
func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{base: h.base.WithGroup(name), level: h.level}
}
