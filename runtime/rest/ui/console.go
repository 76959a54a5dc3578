package ui

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"conflux/internal/console"
	"conflux/runtime"
	"conflux/runtime/rest"
	"conflux/runtime/rest/ui/history"
)

// Prefix is the path the console is served under.
const Prefix = "/ui"

// Member is the worker as the cluster page sees it; *runtime.Worker
// implements it.
type Member interface {
	// Membership returns the worker's generation, leader and assignment.
	Membership() runtime.Membership
}

// Config configures a Console. Herder, Member and Gatherer are required.
type Config struct {
	// Herder answers the cluster page's questions about connectors and
	// their statuses.
	Herder runtime.Herder
	// Member tells the worker's place in its cluster.
	Member Member
	// Gatherer holds the worker's metrics, the registry /metrics serves;
	// the console records the families listed in Families.
	Gatherer prometheus.Gatherer
	// Brokers are the Kafka cluster's bootstrap servers, for the topics
	// page; none disables it.
	Brokers []string
	// Version is shown in the page header.
	Version string
	// Logger receives the console's own errors; nil discards them.
	Logger *slog.Logger
	// SampleInterval and SampleCapacity set the metrics history (0: one
	// sample a second, 16 minutes kept).
	SampleInterval time.Duration
	SampleCapacity int
}

// Console is the web console: an http.Handler for the paths under
// Prefix, and the metrics history it plots, which Run records.
type Console struct {
	herder   runtime.Herder
	member   Member
	history  *history.Recorder
	brokers  []string
	version  string
	log      *slog.Logger
	assets   *assets
	mux      *http.ServeMux
	peekWait time.Duration

	adminMu sync.Mutex
	admin   *console.TopicAdmin // connected on first use, dropped after an error
	closed  bool
}

// New checks cfg and builds the console. It does no I/O: the Kafka
// connection of the topics page is made on first use.
func New(cfg Config) (*Console, error) {
	if cfg.Herder == nil || cfg.Member == nil || cfg.Gatherer == nil {
		return nil, fmt.Errorf("%w: Herder, Member and Gatherer are required", ErrInvalidConfig)
	}
	rec, err := history.New(history.Config{
		Gatherer: cfg.Gatherer, Families: Families,
		Interval: cfg.SampleInterval, Capacity: cfg.SampleCapacity, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	c := &Console{
		herder:   cfg.Herder,
		member:   cfg.Member,
		history:  rec,
		brokers:  cfg.Brokers,
		version:  cfg.Version,
		log:      cfg.Logger,
		assets:   a,
		peekWait: 5 * time.Second,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.mux = c.routes()
	return c, nil
}

// routes builds the console's router.
func (c *Console) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"/api/metrics", c.metrics)
	mux.HandleFunc("GET "+Prefix+"/api/cluster", c.cluster)
	mux.HandleFunc("GET "+Prefix+"/api/topics", c.topics)
	mux.HandleFunc("GET "+Prefix+"/api/topics/{topic}/partitions/{partition}/records", c.records)
	mux.HandleFunc(Prefix+"/api/", func(w http.ResponseWriter, r *http.Request) {
		rest.WriteError(w, http.StatusNotFound, "No such console endpoint: "+r.Method+" "+r.URL.Path)
	})
	mux.HandleFunc(Prefix, c.assets.serve)
	mux.HandleFunc(Prefix+"/{path...}", c.assets.serve)
	return mux
}

// ServeHTTP serves the console's pages and its JSON endpoints.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}

// Run records the metrics history until ctx ends, then returns ctx.Err().
func (c *Console) Run(ctx context.Context) error { return c.history.Run(ctx) }

// Close releases the topics page's Kafka connection. It is idempotent.
func (c *Console) Close() error {
	c.adminMu.Lock()
	defer c.adminMu.Unlock()
	c.closed = true
	if c.admin == nil {
		return nil
	}
	err := c.admin.Close()
	c.admin = nil
	return err
}
