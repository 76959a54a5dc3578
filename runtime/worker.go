package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"conflux/configs"
	"conflux/connectors"
	"conflux/offsets"
	"conflux/runtime/cluster"
	"conflux/runtime/rest/validation"
	"conflux/runtime/status"
)

// Options are a worker's collaborators and identity, beside its
// configuration.
type Options struct {
	// WorkerID is the worker's id in statuses: its advertised REST
	// host:port, as in Kafka Connect. Required.
	WorkerID string
	// URL is the advertised REST URL other workers reach this one at
	// (default "http://" + WorkerID).
	URL string
	// Registry holds the plugins (default connectors.Default()).
	Registry *connectors.Registry
	// Resolver resolves config-provider placeholders (default: one built
	// from the worker's config.providers, with env and file).
	Resolver *configs.Resolver
	// Logger receives the worker's logs (default: discarded).
	Logger *slog.Logger
	// Metrics is where the worker registers its Prometheus metrics (nil:
	// not registered).
	Metrics prometheus.Registerer
}

// Worker is a Kafka Connect worker: a member of the Connect cluster
// GroupID that runs the connectors and tasks the group leader assigns it,
// keeps configs, offsets and statuses in the internal topics, and serves
// the REST API's operations (it implements Herder). Create it with
// NewWorker, run it with Run.
type Worker struct {
	cfg       WorkerConfig
	id, url   string
	reg       *connectors.Registry
	validator *validation.Validator
	resolver  *configs.Resolver
	logger    *slog.Logger
	metrics   *metrics
	clusterID string
	base      *sarama.Config // settings shared by the worker's Kafka clients

	// Set once by Run before ready is closed.
	configs  *configs.Store
	offsets  *offsets.Store
	statuses *status.Store
	member   *cluster.Member
	ready    chan struct{}
	joined   chan struct{} // closed at the first assignment
	joinOnce sync.Once
	runErr   atomic.Pointer[error] // why Run ended early, for Healthy

	queue workQueue // closures run by the loop goroutine

	// State owned by the loop goroutine.
	owned      map[string]bool // connectors this worker handles: running, failed or stopped
	conns      map[string]*connectorInstance
	tasks      map[TaskID]*runningHandle // running or failed to start
	assignment cluster.Work
	closing    bool                          // Run is shutting down: start nothing
	keyTimer   *time.Timer                   // the leader's next session key rotation
	forwards   map[string]context.CancelFunc // task configs being sent to the leader, by connector
	generation atomic.Int32
	leader     atomic.Bool
	leaderURL  atomic.Pointer[string]
	membership atomic.Pointer[Membership] // as of the last assignment, for Membership

	background sync.WaitGroup // goroutines Run waits for before closing the stores
	reported   sync.Map       // TaskID -> status.Status: each task's last status written here
}

// runningHandle is a running task and how to control it; both are nil for
// a task that failed to start.
type runningHandle struct {
	handle *taskHandle
	task   runningTask
	config map[string]string // the task config it runs with, as stored
}

// NewWorker checks the configuration and connects to the Kafka cluster to
// learn its id; it fails with a clear error if the cluster cannot be
// reached before ctx ends.
func NewWorker(ctx context.Context, cfg WorkerConfig, opts Options) (*Worker, error) {
	if opts.WorkerID == "" {
		return nil, fmt.Errorf("%w: the worker needs an id (its REST host:port)", ErrInvalidWorkerConfig)
	}
	if opts.URL == "" {
		opts.URL = "http://" + opts.WorkerID
	}
	if opts.Registry == nil {
		opts.Registry = connectors.Default()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Resolver == nil {
		r, err := resolverFromConfig(cfg.Originals)
		if err != nil {
			return nil, err
		}
		opts.Resolver = r
	}
	w := &Worker{
		cfg:       cfg,
		id:        opts.WorkerID,
		url:       opts.URL,
		reg:       opts.Registry,
		validator: validation.New(opts.Registry, opts.Resolver),
		resolver:  opts.Resolver,
		logger:    opts.Logger,
		metrics:   newMetrics(opts.Metrics),
		base:      baseSarama("conflux-worker"),
		ready:     make(chan struct{}),
		joined:    make(chan struct{}),
		owned:     make(map[string]bool),
		conns:     make(map[string]*connectorInstance),
		tasks:     make(map[TaskID]*runningHandle),
		forwards:  make(map[string]context.CancelFunc),
	}
	w.queue.init()
	id, err := fetchClusterID(ctx, cfg.BootstrapServers, w.base)
	if err != nil {
		return nil, err
	}
	w.clusterID = id
	return w, nil
}

// resolverFromConfig builds the resolver of the worker's config.providers:
// env and file are always there; other aliases must name one of them.
func resolverFromConfig(originals map[string]string) (*configs.Resolver, error) {
	r := configs.NewResolver()
	for _, alias := range aliasList(originals[configs.KeyConfigProviders]) {
		class := originals[configs.KeyConfigProviders+"."+alias+".class"]
		p, ok := configs.BuiltinProvider(class)
		if !ok {
			return nil, fmt.Errorf("%w: config provider %s: unknown class %q (built in: env, file, or their Kafka class names)",
				ErrInvalidWorkerConfig, alias, class)
		}
		r.Register(alias, p)
	}
	return r, nil
}

// fetchClusterID asks the cluster for its id, retrying until ctx ends.
func fetchClusterID(ctx context.Context, brokers []string, base *sarama.Config) (string, error) {
	for {
		id, err := tryClusterID(brokers, base)
		if err == nil {
			return id, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w: cannot reach the Kafka cluster at %v: %w", ErrNotReady, brokers, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func tryClusterID(brokers []string, base *sarama.Config) (string, error) {
	sc := *base
	var lastErr error
	for _, addr := range brokers {
		b := sarama.NewBroker(addr)
		if err := b.Open(&sc); err != nil {
			lastErr = err
			continue
		}
		resp, err := b.GetMetadata(&sarama.MetadataRequest{Version: 2})
		b.Close()
		if err != nil {
			lastErr = err
			continue
		}
		if resp.ClusterID == nil {
			return "", nil
		}
		return *resp.ClusterID, nil
	}
	return "", lastErr
}

// ID returns the worker's id.
func (w *Worker) ID() string { return w.id }

// Run opens the internal topics, joins the Connect cluster and runs the
// assigned connectors and tasks until ctx ends; it then stops them
// gracefully, leaves the group and closes the stores. It returns nil after
// a clean stop, the error that kept the worker from starting, or, having
// stopped its work, the error wrapping cluster.ErrFatalGroupError that
// ended its membership (another worker took its group.instance.id).
func (w *Worker) Run(ctx context.Context) error {
	if err := w.open(ctx); err != nil {
		w.runErr.Store(&err)
		return err
	}
	memberCtx, stopMember := context.WithCancel(context.Background())
	memberDone := make(chan error, 1)
	// A member that ends on its own (fenced by a worker with the same
	// group.instance.id, or refused by the coordinator) has stopped the
	// work and left the group: the worker ends with its error.
	loopCtx, stopLoop := context.WithCancel(ctx)
	defer stopLoop()
	var fatal error
	go func() {
		err := w.member.Run(memberCtx)
		if memberCtx.Err() == nil {
			fatal = err
			stopLoop()
		}
		memberDone <- err
	}()
	close(w.ready)
	w.logger.Info("worker started", "worker", w.id, "group", w.cfg.GroupID, "cluster", w.clusterID)

	w.queue.run(loopCtx)

	// Shut down: stop the work first so that its last offsets and statuses
	// are written, then leave the group and close the stores. The member
	// may still deliver an assignment, whose closure now runs inline on its
	// goroutine; stopping through the queue serialises the two, and closing
	// keeps that assignment from starting work again.
	w.queue.post(func() {
		w.closing = true
		w.stopAll()
	})
	// The stopped work's last statuses reach the topic while this worker
	// is still in the group: once it has left, another worker may start
	// that work, and an UNASSIGNED landing after its RUNNING would hide it.
	fctx, cancel := context.WithTimeout(context.Background(), w.cfg.OffsetFlushTimeout)
	defer cancel()
	if err := w.statuses.Flush(fctx); err != nil {
		w.logger.Warn("statuses not all written at shutdown", "error", err)
	}
	stopMember()
	if err := <-memberDone; err != nil && !errors.Is(err, context.Canceled) && fatal == nil {
		w.logger.Warn("leaving the Connect group", "error", err)
	}
	w.background.Wait()
	if fatal != nil {
		fatal = fmt.Errorf("worker %s left the Connect group: %w", w.id, fatal)
	}
	return errors.Join(fatal, w.statuses.Close(), w.offsets.Close(), w.configs.Close())
}

// replicationHint adds to an internal topic's replication-factor error the
// worker key that sets it: Kafka Connect's default of 3 is more than a
// single-node broker, such as Conflux's, can hold.
func replicationHint(err error, key string) error {
	if errors.Is(err, sarama.ErrInvalidReplicationFactor) {
		return fmt.Errorf("%w (set %s to at most the number of brokers, or to -1 for the broker's default)", err, key)
	}
	return err
}

// open opens the three stores and the group membership.
func (w *Worker) open(ctx context.Context) error {
	var err error
	w.configs, err = configs.OpenStore(ctx, configs.StoreConfig{
		Brokers:           w.cfg.BootstrapServers,
		Topic:             w.cfg.ConfigTopic,
		ReplicationFactor: w.cfg.ConfigReplication,
		TopicConfigs:      w.cfg.topicSettings("config.storage"),
		ClientID:          "conflux-configs",
		Sarama:            w.base,
		StoreOptions:      configs.StoreOptions{Listener: w.onConfigChange, Logger: w.logger},
	})
	if err != nil {
		return replicationHint(err, configs.KeyConfigStorageReplication)
	}
	w.offsets, err = offsets.OpenStore(ctx, offsets.StoreConfig{
		Brokers:           w.cfg.BootstrapServers,
		Topic:             w.cfg.OffsetTopic,
		Partitions:        w.cfg.OffsetPartitions,
		ReplicationFactor: w.cfg.OffsetReplication,
		TopicConfigs:      w.cfg.topicSettings("offset.storage"),
		ClientID:          "conflux-offsets",
		Sarama:            w.base,
		Logger:            w.logger,
	})
	if err != nil {
		w.configs.Close()
		return replicationHint(err, configs.KeyOffsetStorageReplication)
	}
	w.statuses, err = status.OpenStore(ctx, status.StoreConfig{
		Brokers:           w.cfg.BootstrapServers,
		Topic:             w.cfg.StatusTopic,
		Partitions:        w.cfg.StatusPartitions,
		ReplicationFactor: w.cfg.StatusReplication,
		TopicConfigs:      w.cfg.topicSettings("status.storage"),
		ClientID:          "conflux-statuses",
		Sarama:            w.base,
		StoreOptions:      status.StoreOptions{Logger: w.logger, Listener: w.onStatusChange, Current: w.inGroup},
	})
	if err != nil {
		w.offsets.Close()
		w.configs.Close()
		return replicationHint(err, configs.KeyStatusStorageReplication)
	}
	w.member, err = cluster.NewMember(cluster.Config{
		Brokers:                    w.cfg.BootstrapServers,
		GroupID:                    w.cfg.GroupID,
		URL:                        w.url,
		InstanceID:                 w.cfg.GroupInstanceID,
		Protocol:                   w.cfg.ConnectProtocol,
		SessionTimeout:             w.cfg.SessionTimeout,
		HeartbeatInterval:          w.cfg.HeartbeatInterval,
		RebalanceTimeout:           w.cfg.RebalanceTimeout,
		ScheduledRebalanceMaxDelay: w.cfg.ScheduledRebalanceMaxDelay,
		ClientID:                   "conflux-worker-" + w.id,
		Sarama:                     w.base,
		Logger:                     w.logger,
	}, (*memberHandler)(w))
	if err != nil {
		w.statuses.Close()
		w.offsets.Close()
		w.configs.Close()
		return err
	}
	return nil
}

// awaitReady waits until Run has opened the stores.
func (w *Worker) awaitReady(ctx context.Context) error {
	select {
	case <-w.ready:
		return nil
	default:
	}
	if p := w.runErr.Load(); p != nil {
		return fmt.Errorf("%w: %w", ErrNotReady, *p)
	}
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: still reading the internal topics", ErrNotReady)
	}
}

// workQueue runs closures on one goroutine, in the order they were posted.
// post never blocks, so store listeners and connector callbacks can post
// from any goroutine without risking a deadlock with the loop. Once the
// loop has ended, closures run at once on the caller's goroutine, one at a
// time, so that shutdown steps posted late still happen.
type workQueue struct {
	mu      sync.Mutex
	items   []func()
	stopped bool
	inline  sync.Mutex // serialises closures run after the loop ended
	signal  chan struct{}
}

func (q *workQueue) init() { q.signal = make(chan struct{}, 1) }

// post queues fn.
func (q *workQueue) post(fn func()) {
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		q.inline.Lock()
		defer q.inline.Unlock()
		fn()
		return
	}
	q.items = append(q.items, fn)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// do runs fn on the loop and waits for it, or for ctx.
func (q *workQueue) do(ctx context.Context, fn func()) error {
	done := make(chan struct{})
	q.post(func() {
		defer close(done)
		fn()
	})
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run runs queued closures until ctx ends, then runs what is left and
// switches the queue to running closures inline.
func (q *workQueue) run(ctx context.Context) {
	for {
		q.mu.Lock()
		items := q.items
		q.items = nil
		if len(items) == 0 && ctx.Err() != nil {
			q.stopped = true
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		for _, fn := range items {
			fn()
		}
		if len(items) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-q.signal:
		}
	}
}
