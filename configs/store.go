package configs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"github.com/IBM/sarama"

	"conflux/internal/kafkalog"
)

// DefaultConfigTopic is the sample config.storage.topic.
const DefaultConfigTopic = "connect-configs"

// TargetState is the state a user asked a connector to be in, as written to
// the config topic.
type TargetState string

// Target states.
const (
	TargetStarted TargetState = "STARTED"
	TargetPaused  TargetState = "PAUSED"
	TargetStopped TargetState = "STOPPED"
)

func (t TargetState) valid() bool {
	return t == TargetStarted || t == TargetPaused || t == TargetStopped
}

// RestartRequest asks the connector's owner to restart it (KIP-745).
type RestartRequest struct {
	Connector string
	// IncludeTasks restarts the tasks too; OnlyFailed restricts the
	// restart to instances that are FAILED.
	IncludeTasks, OnlyFailed bool
}

// ChangeKind says what a Change is about.
type ChangeKind int

// Kinds of change, after Kafka Connect's ConfigBackingStore.UpdateListener.
const (
	// ChangeConnectorConfig: a connector was created or its config
	// replaced.
	ChangeConnectorConfig ChangeKind = iota + 1
	// ChangeConnectorRemoved: a connector was deleted.
	ChangeConnectorRemoved
	// ChangeTaskConfigs: a commit record arrived. Tasks lists the task
	// ids now current; if the set was incomplete, Tasks is empty and the
	// connector is marked inconsistent in the snapshot (the leader should
	// regenerate its task configs).
	ChangeTaskConfigs
	// ChangeTargetState: a target state was written (it may be
	// unchanged), or removed while its connector still exists (which
	// makes it STARTED again).
	ChangeTargetState
	// ChangeRestart: a restart was requested; Restart holds the request.
	ChangeRestart
	// ChangeSessionKey: the leader wrote a new session key.
	ChangeSessionKey
)

func (k ChangeKind) String() string {
	switch k {
	case ChangeConnectorConfig:
		return "connector config"
	case ChangeConnectorRemoved:
		return "connector removed"
	case ChangeTaskConfigs:
		return "task configs"
	case ChangeTargetState:
		return "target state"
	case ChangeRestart:
		return "restart request"
	case ChangeSessionKey:
		return "session key"
	}
	return fmt.Sprintf("ChangeKind(%d)", int(k))
}

// Change is one update read from the config topic.
type Change struct {
	Kind      ChangeKind
	Connector string
	Tasks     []int          // ChangeTaskConfigs
	Restart   RestartRequest // ChangeRestart
}

// Snapshot is the config topic's content at one point, Kafka Connect's
// ClusterConfigState. Its maps are copies owned by the caller.
type Snapshot struct {
	// Offset is the config topic offset just after the last record read
	// (-1 before any): the config offset the worker group protocol
	// carries and compares.
	Offset int64
	// Connectors holds every connector's config, by name.
	Connectors map[string]map[string]string
	// Tasks holds the committed task configs of each connector, indexed
	// by task id. Connectors that have no committed tasks yet, or whose
	// last commit was incomplete, are absent.
	Tasks map[string][]map[string]string
	// TaskCounts is the task count of each connector's last complete
	// commit.
	TaskCounts map[string]int
	// TargetStates holds the target state of each connector (STARTED when
	// none was ever written).
	TargetStates map[string]TargetState
	// Inconsistent marks connectors whose task configs could not be
	// applied because the committed set was incomplete (compaction, or a
	// leader that died halfway through writing them).
	Inconsistent map[string]bool
}

// ConnectorNames returns the connectors' names, sorted.
func (s Snapshot) ConnectorNames() []string {
	return slices.Sorted(maps.Keys(s.Connectors))
}

// Contains reports whether the connector exists.
func (s Snapshot) Contains(name string) bool {
	_, ok := s.Connectors[name]
	return ok
}

// backingLog is what the store needs from its topic; *kafkalog.Log and
// *kafkalog.MemoryLog provide it.
type backingLog interface {
	Write(ctx context.Context, msgs ...kafkalog.Message) error
	ReadToEnd(ctx context.Context) error
	Close() error
}

// StoreOptions are the settings every config store takes.
type StoreOptions struct {
	// Listener, if set, is told of every change read from the topic after
	// the store was opened (changes before are in the first Snapshot),
	// in topic order, whichever worker wrote it. It runs on the store's
	// reading goroutine: it may call Snapshot but must not block or write
	// to the store (writes wait for the reading goroutine); hand the
	// change to another goroutine for anything more.
	Listener func(Change)
	// Logger receives warnings about records that are skipped (default:
	// discarded).
	Logger *slog.Logger
}

// StoreConfig configures a Kafka-backed Store.
type StoreConfig struct {
	// Brokers are the bootstrap servers. Required.
	Brokers []string
	// Topic is config.storage.topic (default connect-configs). It always
	// has a single partition: an existing topic with more fails Open.
	Topic string
	// ReplicationFactor is config.storage.replication.factor, used when
	// the topic is created (0 or -1 = broker default).
	ReplicationFactor int16
	// TopicConfigs are passed on creation (cleanup.policy is always
	// compact).
	TopicConfigs map[string]string
	// ClientID is the Kafka client.id (default "conflux").
	ClientID string
	// Sarama is the base client configuration (nil = defaults); see
	// kafkalog.Config.
	Sarama *sarama.Config
	StoreOptions
}

// Store keeps connector configs, task configs, target states and restart
// requests on the compacted config topic in Kafka Connect's record format,
// and mirrors the topic in memory. Every write goes to the topic and is
// applied when read back, so all stores on one topic see the same sequence
// of changes; write methods return once their records are acknowledged and
// applied locally. All methods are safe for concurrent use.
type Store struct {
	log      backingLog
	logger   *slog.Logger
	listener func(Change)

	writeMu sync.Mutex // keeps multi-record writes (tasks, then commit) together

	mu      sync.RWMutex
	state   *configState
	started bool // changes are announced from now on
}

// OpenStore opens the config topic (creating it, compacted, with one
// partition, if missing), reads it to the end and returns the store. It
// fails with ErrConfigTopicPartitions if the topic has more than one
// partition.
func OpenStore(ctx context.Context, cfg StoreConfig) (*Store, error) {
	if cfg.Topic == "" {
		cfg.Topic = DefaultConfigTopic
	}
	s := newStore(cfg.StoreOptions)
	l, err := kafkalog.Open(ctx, kafkalog.Config{
		Brokers:           cfg.Brokers,
		Topic:             cfg.Topic,
		Partitions:        1,
		ReplicationFactor: cfg.ReplicationFactor,
		TopicConfigs:      cfg.TopicConfigs,
		ConfigKey:         "config.storage.topic",
		Purpose:           "connector configurations",
		ClientID:          cfg.ClientID,
		Sarama:            cfg.Sarama,
		Logger:            cfg.Logger,
	}, s.apply)
	if err != nil {
		return nil, fmt.Errorf("open config store: %w", err)
	}
	if n := l.Partitions(); n != 1 {
		l.Close()
		return nil, fmt.Errorf("%w: topic '%s' supplied via the 'config.storage.topic' property is required to have a single partition in order to guarantee consistency of connector configurations, but found %d partitions",
			ErrConfigTopicPartitions, cfg.Topic, n)
	}
	s.start(l)
	return s, nil
}

// NewMemoryStore returns a store over an in-process topic. Stores built on
// the same topic behave like workers sharing a Kafka config topic; a nil
// topic gets a fresh one.
func NewMemoryStore(topic *kafkalog.MemoryTopic, opts StoreOptions) *Store {
	if topic == nil {
		topic = kafkalog.NewMemoryTopic(1)
	}
	s := newStore(opts)
	l, err := kafkalog.OpenMemory(context.Background(), topic, s.apply)
	if err != nil {
		panic(fmt.Sprintf("configs: open memory log: %v", err)) // only fails on a nil apply
	}
	s.start(l)
	return s
}

func newStore(opts StoreOptions) *Store {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Store{logger: logger, listener: opts.Listener, state: newConfigState()}
}

func (s *Store) start(l backingLog) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = l
	s.started = true
}

// apply folds one record of the topic into the state and announces the
// change. Calls never overlap (the log guarantees it).
func (s *Store) apply(r kafkalog.Record) {
	s.mu.Lock()
	ch, err := s.state.apply(r.Offset, string(r.Key), r.Value)
	announce := s.started && ch != nil && s.listener != nil
	s.mu.Unlock()
	if err != nil {
		s.logger.Warn("skipping config topic record", "offset", r.Offset, "error", err)
	}
	if announce {
		s.listener(*ch)
	}
}

// Snapshot returns a copy of the store's content as last read.
func (s *Store) Snapshot() Snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.state.snapshot()
}

// Sync reads the topic to the end, so the store reflects every write that
// completed anywhere before the call.
func (s *Store) Sync(ctx context.Context) error {
	if err := s.log.ReadToEnd(ctx); err != nil {
		return fmt.Errorf("config store: %w", err)
	}
	return nil
}

// PutConnectorConfig writes a connector's config, creating or replacing it.
// A non-empty initial state is written first as the connector's target
// state (KIP-980), so that no worker ever starts a connector meant to be
// created paused or stopped.
func (s *Store) PutConnectorConfig(ctx context.Context, name string, config map[string]string, initial TargetState) error {
	if err := checkName(name); err != nil {
		return err
	}
	if initial != "" && !initial.valid() {
		return fmt.Errorf("%w: target state %q", ErrInvalidStoreWrite, initial)
	}
	if config == nil {
		config = map[string]string{}
	}
	value, err := encodeStoreJSON(struct {
		Properties map[string]string `json:"properties"`
	}{config})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidStoreWrite, err)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if initial != "" {
		if err := s.write(ctx, targetStateMessage(name, initial)); err != nil {
			return err
		}
	}
	return s.write(ctx, kafkalog.Message{Key: []byte(prefixConnector + name), Value: value})
}

// RemoveConnectorConfig deletes a connector: tombstones for its config and
// its target state. Its committed task configs are forgotten by readers;
// its offsets and statuses live elsewhere.
func (s *Store) RemoveConnectorConfig(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.write(ctx,
		kafkalog.Message{Key: []byte(prefixConnector + name)},
		kafkalog.Message{Key: []byte(prefixTargetState + name)})
}

// PutTaskConfigs replaces a connector's task configs: it writes one
// task-<name>-<i> record per task, and once they are all acknowledged, the
// commit-<name> record that makes them current. Readers apply task configs
// only on their commit, so they never see half a set. An empty list commits
// zero tasks (a stopped connector).
func (s *Store) PutTaskConfigs(ctx context.Context, name string, tasks []map[string]string) error {
	if err := checkName(name); err != nil {
		return err
	}
	msgs := make([]kafkalog.Message, 0, len(tasks))
	for i, t := range tasks {
		if t == nil {
			t = map[string]string{}
		}
		value, err := encodeStoreJSON(struct {
			Properties map[string]string `json:"properties"`
		}{t})
		if err != nil {
			return fmt.Errorf("%w: task %d: %v", ErrInvalidStoreWrite, i, err)
		}
		msgs = append(msgs, kafkalog.Message{Key: fmt.Appendf(nil, "%s%s-%d", prefixTask, name, i), Value: value})
	}
	commit, _ := encodeStoreJSON(struct {
		Tasks int `json:"tasks"`
	}{len(tasks)})
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// Read to the end first, as Kafka Connect does, so that nothing older
	// lands between our task records and the state they build on.
	if err := s.Sync(ctx); err != nil {
		return err
	}
	if len(msgs) > 0 {
		if err := s.write(ctx, msgs...); err != nil {
			return err
		}
	}
	return s.write(ctx, kafkalog.Message{Key: []byte(prefixCommit + name), Value: commit})
}

// PutTargetState writes a connector's target state. STOPPED is written with
// "state":"PAUSED" beside "state.v2":"STOPPED", for workers that predate
// STOPPED; readers prefer state.v2.
func (s *Store) PutTargetState(ctx context.Context, name string, state TargetState) error {
	if err := checkName(name); err != nil {
		return err
	}
	if !state.valid() {
		return fmt.Errorf("%w: target state %q", ErrInvalidStoreWrite, state)
	}
	return s.write(ctx, targetStateMessage(name, state))
}

// PutRestartRequest writes a restart request for the connector's owner to
// act on (listeners receive it as a ChangeRestart).
func (s *Store) PutRestartRequest(ctx context.Context, req RestartRequest) error {
	if err := checkName(req.Connector); err != nil {
		return err
	}
	value, _ := encodeStoreJSON(struct {
		IncludeTasks bool `json:"include-tasks"`
		OnlyFailed   bool `json:"only-failed"`
	}{req.IncludeTasks, req.OnlyFailed})
	return s.write(ctx, kafkalog.Message{Key: []byte(prefixRestart + req.Connector), Value: value})
}

// Close stops reading the topic and releases the connections. It is
// idempotent.
func (s *Store) Close() error {
	return s.log.Close()
}

func (s *Store) write(ctx context.Context, msgs ...kafkalog.Message) error {
	if err := s.log.Write(ctx, msgs...); err != nil {
		return fmt.Errorf("write to config topic: %w", err)
	}
	return nil
}

func targetStateMessage(name string, state TargetState) kafkalog.Message {
	old := state
	if state == TargetStopped {
		old = TargetPaused
	}
	value, _ := encodeStoreJSON(struct {
		State   TargetState `json:"state"`
		StateV2 TargetState `json:"state.v2"`
	}{old, state})
	return kafkalog.Message{Key: []byte(prefixTargetState + name), Value: value}
}

func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty connector name", ErrInvalidStoreWrite)
	}
	return nil
}
