package status

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"conflux/internal/kafkalog"
)

// Defaults of the Kafka-backed store, Kafka Connect's.
const (
	// DefaultTopic is the sample status.storage.topic.
	DefaultTopic = "connect-status"
	// DefaultPartitions is status.storage.partitions.
	DefaultPartitions = 5
)

// ChangeKind says what a Change is about.
type ChangeKind int

// Kinds of change.
const (
	// ChangeConnector: a connector's status was written or removed.
	// Removing a connector's status also forgets its tasks' statuses;
	// only the connector's change is announced for them.
	ChangeConnector ChangeKind = iota + 1
	// ChangeTask: a task's status was written or removed.
	ChangeTask
	// ChangeTopic: a connector's use of a topic was recorded or reset.
	ChangeTopic
)

func (k ChangeKind) String() string {
	switch k {
	case ChangeConnector:
		return "connector status"
	case ChangeTask:
		return "task status"
	case ChangeTopic:
		return "topic status"
	}
	return fmt.Sprintf("ChangeKind(%d)", int(k))
}

// Change is one update read from the status topic.
type Change struct {
	Kind      ChangeKind
	Connector string
	Task      int    // ChangeTask
	Topic     string // ChangeTopic
	// Removed is set when a tombstone removed the entry; the status
	// fields are then zero.
	Removed     bool
	Status      Status      // ChangeConnector, ChangeTask
	TopicStatus TopicStatus // ChangeTopic
}

// backingLog is what the store needs from its topic; *kafkalog.Log and
// *kafkalog.MemoryLog provide it.
type backingLog interface {
	Write(ctx context.Context, msgs ...kafkalog.Message) error
	ReadToEnd(ctx context.Context) error
	Close() error
}

// StoreOptions are the settings every status store takes.
type StoreOptions struct {
	// Listener, if set, is told of every change read from the topic after
	// the store was opened, in topic order per partition (records of one
	// connector may sit on different partitions), whichever worker wrote
	// it. It runs on the store's reading goroutine: it may call the read
	// methods and the Async write methods, but must not block or call the
	// synchronous write methods (they wait for the reading goroutine).
	// If the topic has to be read again from the start (its log was
	// truncated under the reader), changes are announced again.
	Listener func(Change)
	// Logger receives warnings about records that are skipped (default:
	// discarded).
	Logger *slog.Logger
	// Current, if set, is asked just before each safe write is sent
	// whether the writer still belongs to the generation the status
	// carries; false skips the write (ErrSkipped). A worker that may have
	// been dropped from its group (out of touch with the coordinator for
	// nearly its session timeout, as after a long pause) must not write:
	// its view of the topic may be too old for the safe-write rule to see
	// the later generation's status it would replace.
	Current func(Status) bool
}

// StoreConfig configures a Kafka-backed Store.
type StoreConfig struct {
	// Brokers are the bootstrap servers. Required.
	Brokers []string
	// Topic is status.storage.topic (default connect-status).
	Topic string
	// Partitions is status.storage.partitions, used when the topic is
	// created (default 5; -1 = broker default).
	Partitions int32
	// ReplicationFactor is status.storage.replication.factor, used when
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

// Store keeps connector and task statuses and topic usage on the compacted
// status topic in Kafka Connect's record format, and mirrors the topic in
// memory: reads are answered from the mirror, writes go to the topic and are
// applied when read back. All methods are safe for concurrent use.
//
// Every write goes through the store's single writer, which sends queued
// records in batches, one batch at a time, and never puts two records of one
// key in a batch. Hence, per key (one connector's status, one task's, one
// topic's), writes reach the topic in the order their methods were called —
// synchronous and Async alike — and a write that failed is not retried after
// a later write of its key. Retriable failures (a broker restart, a leader
// change) are retried until the write succeeds or the store is closed.
type Store struct {
	log      backingLog
	w        *writer
	logger   *slog.Logger
	listener func(Change)
	current  func(Status) bool

	mu      sync.RWMutex
	state   *statusState
	started bool // changes are announced from now on

	closeOnce sync.Once
	closeErr  error
}

// OpenStore opens the status topic (creating it, compacted, if missing),
// reads it to the end and returns the store.
func OpenStore(ctx context.Context, cfg StoreConfig) (*Store, error) {
	if cfg.Topic == "" {
		cfg.Topic = DefaultTopic
	}
	if cfg.Partitions == 0 {
		cfg.Partitions = DefaultPartitions
	}
	s := newStore(cfg.StoreOptions)
	l, err := kafkalog.Open(ctx, kafkalog.Config{
		Brokers:           cfg.Brokers,
		Topic:             cfg.Topic,
		Partitions:        cfg.Partitions,
		ReplicationFactor: cfg.ReplicationFactor,
		TopicConfigs:      cfg.TopicConfigs,
		ConfigKey:         "status.storage.topic",
		Purpose:           "connector and task statuses",
		ClientID:          cfg.ClientID,
		Sarama:            cfg.Sarama,
		Logger:            cfg.Logger,
	}, s.apply)
	if err != nil {
		return nil, fmt.Errorf("open status store: %w", err)
	}
	s.start(l)
	return s, nil
}

// NewMemoryStore returns a store over an in-process topic. Stores built on
// the same topic behave like workers sharing a Kafka status topic; a nil
// topic gets a fresh one with 5 partitions.
func NewMemoryStore(topic *kafkalog.MemoryTopic, opts StoreOptions) *Store {
	if topic == nil {
		topic = kafkalog.NewMemoryTopic(DefaultPartitions)
	}
	s := newStore(opts)
	l, err := kafkalog.OpenMemory(context.Background(), topic, s.apply)
	if err != nil {
		panic(fmt.Sprintf("status: open memory log: %v", err)) // only fails on a nil apply
	}
	s.start(l)
	return s
}

func newStore(opts StoreOptions) *Store {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Store{logger: logger, listener: opts.Listener, current: opts.Current, state: newStatusState()}
}

func (s *Store) start(l backingLog) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = l
	s.w = newWriter(l, s.canWrite)
	s.started = true
}

// apply folds one record of the topic into the mirror and announces the
// change. Calls never overlap (the log guarantees it).
func (s *Store) apply(r kafkalog.Record) {
	s.mu.Lock()
	ch, err := s.state.apply(string(r.Key), r.Value)
	announce := s.started && ch != nil && s.listener != nil
	s.mu.Unlock()
	if err != nil {
		s.logger.Warn("skipping status topic record", "key", string(r.Key), "partition", r.Partition, "offset", r.Offset, "error", err)
	}
	if announce {
		s.listener(*ch)
	}
}

// canWrite is the safe-write rule, checked by the writer just before it
// sends a safe write: the writer is current, and there is no stored
// status, or one next may replace.
func (s *Store) canWrite(p *pendingWrite) bool {
	task := -1
	if p.entity.kind == keyTask {
		task = p.entity.task
	}
	if s.current != nil && !s.current(p.next) {
		return false
	}
	s.mu.RLock()
	prev, ok := s.state.lookup(p.entity.connector, task)
	s.mu.RUnlock()
	return !ok || prev.CanBeReplacedBy(p.next)
}

// Connector returns a connector's status as last read.
func (s *Store) Connector(name string) (Status, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.state.connectors[name]
	return st, ok
}

// Task returns a task's status as last read.
func (s *Store) Task(id TaskID) (Status, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.state.tasks[id.Connector][id.Task]
	return st, ok
}

// Tasks returns the statuses of a connector's tasks as last read, sorted by
// task number. Compaction and deletions can leave gaps in the numbering.
func (s *Store) Tasks(connector string) []TaskStatus {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.state.taskList(connector)
}

// Connectors returns, sorted, the connectors that have a status of their own
// or of one of their tasks, as last read.
func (s *Store) Connectors() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.state.connectorNames()
}

// Topics returns, sorted, the topics the connector is recorded as having
// used, as last read: the body of GET /connectors/{name}/topics.
func (s *Store) Topics(connector string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.state.topics[connector]))
}

// Topic returns the record of the connector's use of a topic, as last read.
func (s *Store) Topic(connector, topic string) (TopicStatus, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ts, ok := s.state.topics[connector][topic]
	return ts, ok
}

// Sync reads the topic to the end, so the store reflects every write that
// completed anywhere before the call.
func (s *Store) Sync(ctx context.Context) error {
	if err := s.log.ReadToEnd(ctx); err != nil {
		return fmt.Errorf("status store: %w", err)
	}
	return nil
}

// PutConnector writes a connector's status and returns once it is
// acknowledged and visible in this store. The DESTROYED state writes a
// tombstone, which removes the status. If ctx ends first, PutConnector
// returns its error and the write may still be made.
func (s *Store) PutConnector(ctx context.Context, name string, st Status) error {
	p, err := connectorWrite(name, st, false)
	if err != nil {
		return err
	}
	return s.wait(ctx, p)
}

// PutConnectorSafe writes a connector's status like PutConnector, unless the
// status stored when the write is about to be sent belongs to another worker
// and a later generation (see Status.CanBeReplacedBy); written reports
// which. The check uses this store's view; Sync first to include what other
// workers wrote very recently.
func (s *Store) PutConnectorSafe(ctx context.Context, name string, st Status) (written bool, err error) {
	p, err := connectorWrite(name, st, true)
	if err != nil {
		return false, err
	}
	return safeOutcome(s.wait(ctx, p))
}

// PutTask writes a task's status; see PutConnector.
func (s *Store) PutTask(ctx context.Context, id TaskID, st Status) error {
	p, err := taskWrite(id, st, false)
	if err != nil {
		return err
	}
	return s.wait(ctx, p)
}

// PutTaskSafe writes a task's status unless another worker of a later
// generation owns it; see PutConnectorSafe.
func (s *Store) PutTaskSafe(ctx context.Context, id TaskID, st Status) (written bool, err error) {
	p, err := taskWrite(id, st, true)
	if err != nil {
		return false, err
	}
	return safeOutcome(s.wait(ctx, p))
}

// PutConnectorAsync queues a connector status write and returns at once, as
// Kafka Connect's status writes do, so that a task's or connector's thread
// never waits for Kafka. done, if not nil, is called with the outcome once
// the record is acknowledged and visible in this store (nil) or the write
// failed; it runs on the store's writer goroutine, must not block and must
// not call the synchronous write methods or Flush. PutConnectorAsync itself
// fails only for invalid arguments (ErrInvalidWrite) and after Close
// (ErrClosed); done is then not called.
func (s *Store) PutConnectorAsync(name string, st Status, done func(error)) error {
	p, err := connectorWrite(name, st, false)
	if err != nil {
		return err
	}
	return s.send(p, done)
}

// PutConnectorSafeAsync queues a safe connector status write; done receives
// ErrSkipped if it was not made. See PutConnectorSafe and PutConnectorAsync.
func (s *Store) PutConnectorSafeAsync(name string, st Status, done func(error)) error {
	p, err := connectorWrite(name, st, true)
	if err != nil {
		return err
	}
	return s.send(p, done)
}

// PutTaskAsync queues a task status write; see PutConnectorAsync.
func (s *Store) PutTaskAsync(id TaskID, st Status, done func(error)) error {
	p, err := taskWrite(id, st, false)
	if err != nil {
		return err
	}
	return s.send(p, done)
}

// PutTaskSafeAsync queues a safe task status write; done receives ErrSkipped
// if it was not made. See PutConnectorSafe and PutConnectorAsync.
func (s *Store) PutTaskSafeAsync(id TaskID, st Status, done func(error)) error {
	p, err := taskWrite(id, st, true)
	if err != nil {
		return err
	}
	return s.send(p, done)
}

// Flush waits until every write queued before the call, Async or not, has
// completed and its callback has returned. Failures are reported to each
// write's caller or callback; Flush only fails if ctx ends first.
func (s *Store) Flush(ctx context.Context) error {
	return s.w.flush(ctx)
}

// DeleteConnector removes a connector's statuses as Kafka Connect does when a
// connector is deleted: it reads the topic to the end, then writes a
// tombstone for the status of every task of the connector and finally for
// the connector's own. Its topic records are kept (see ResetTopics).
func (s *Store) DeleteConnector(ctx context.Context, name string) error {
	if err := checkConnector(name); err != nil {
		return err
	}
	if err := s.Sync(ctx); err != nil {
		return err
	}
	var writes []*pendingWrite
	for _, t := range s.Tasks(name) {
		p, _ := taskWrite(t.ID, Status{State: Destroyed}, false)
		writes = append(writes, p)
	}
	p, _ := connectorWrite(name, Status{State: Destroyed}, false)
	return s.wait(ctx, append(writes, p)...)
}

// PutTopic records that a connector's task used a topic (first discovered
// at the given time; zero means now), and returns once the record is
// acknowledged and visible in this store. Kafka Connect writes it the first
// time a task produces to or consumes from a topic, when
// topic.tracking.enable is true.
func (s *Store) PutTopic(ctx context.Context, connector, topic string, task int, discovered time.Time) error {
	p, err := topicWrite(connector, topic, task, discovered)
	if err != nil {
		return err
	}
	return s.wait(ctx, p)
}

// PutTopicAsync queues a topic record and returns at once; see PutTopic and
// PutConnectorAsync.
func (s *Store) PutTopicAsync(connector, topic string, task int, discovered time.Time, done func(error)) error {
	p, err := topicWrite(connector, topic, task, discovered)
	if err != nil {
		return err
	}
	return s.send(p, done)
}

// ResetTopics forgets every topic the connector used, as PUT
// /connectors/{name}/topics/reset does: it reads the topic to the end and
// writes a tombstone per recorded topic.
func (s *Store) ResetTopics(ctx context.Context, connector string) error {
	if err := checkConnector(connector); err != nil {
		return err
	}
	if err := s.Sync(ctx); err != nil {
		return err
	}
	var writes []*pendingWrite
	for _, topic := range s.Topics(connector) {
		writes = append(writes, &pendingWrite{key: topicKey(connector, topic)})
	}
	return s.wait(ctx, writes...)
}

// Close stops taking writes, lets those already queued reach the topic for
// up to 5 seconds (call Flush first to wait longer), fails the rest with
// ErrClosed, then stops reading the topic and releases the connections. It
// is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.w.close()
		s.closeErr = s.log.Close()
	})
	return s.closeErr
}

// wait queues writes and waits for all of them; it returns the first
// failure. If ctx ends first, writes not yet sent are dropped.
func (s *Store) wait(ctx context.Context, writes ...*pendingWrite) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	results := make(chan error, len(writes))
	queued := 0
	var first error
	for _, p := range writes {
		p.done = func(err error) { results <- err }
		if err := s.w.enqueue(p); err != nil {
			first = fmt.Errorf("write to status topic: %w", err)
			break
		}
		queued++
	}
	for i := 0; i < queued; i++ {
		select {
		case err := <-results:
			if err != nil && first == nil {
				first = err
			}
		case <-ctx.Done():
			for _, p := range writes {
				p.abandoned.Store(true)
			}
			return ctx.Err()
		}
	}
	return first
}

// send queues p with its callback.
func (s *Store) send(p *pendingWrite, done func(error)) error {
	p.done = done
	if err := s.w.enqueue(p); err != nil {
		return fmt.Errorf("write to status topic: %w", err)
	}
	return nil
}

func safeOutcome(err error) (bool, error) {
	if errors.Is(err, ErrSkipped) {
		return false, nil
	}
	return err == nil, err
}

func connectorWrite(name string, st Status, safe bool) (*pendingWrite, error) {
	if err := checkConnector(name); err != nil {
		return nil, err
	}
	if !st.State.Valid() {
		return nil, fmt.Errorf("%w: state %q", ErrInvalidWrite, st.State)
	}
	return &pendingWrite{
		key:    connectorKey(name),
		value:  EncodeStatus(st),
		safe:   safe,
		entity: recordKey{kind: keyConnector, connector: name},
		next:   st,
	}, nil
}

func taskWrite(id TaskID, st Status, safe bool) (*pendingWrite, error) {
	if err := checkConnector(id.Connector); err != nil {
		return nil, err
	}
	if err := checkTask(id.Task); err != nil {
		return nil, err
	}
	if !st.State.Valid() || st.State == Stopped {
		return nil, fmt.Errorf("%w: task state %q", ErrInvalidWrite, st.State)
	}
	return &pendingWrite{
		key:    taskKey(id),
		value:  EncodeStatus(st),
		safe:   safe,
		entity: recordKey{kind: keyTask, connector: id.Connector, task: id.Task},
		next:   st,
	}, nil
}

func topicWrite(connector, topic string, task int, discovered time.Time) (*pendingWrite, error) {
	if err := checkConnector(connector); err != nil {
		return nil, err
	}
	if err := checkTask(task); err != nil {
		return nil, err
	}
	if topic == "" || strings.Contains(topic, ":") {
		return nil, fmt.Errorf("%w: topic name %q", ErrInvalidWrite, topic)
	}
	if discovered.IsZero() {
		discovered = time.Now()
	}
	return &pendingWrite{
		key:   topicKey(connector, topic),
		value: EncodeTopicStatus(TopicStatus{Topic: topic, Connector: connector, Task: task, Discovered: discovered}),
	}, nil
}

func checkConnector(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty connector name", ErrInvalidWrite)
	}
	return nil
}

func checkTask(task int) error {
	if task < 0 || task > math.MaxInt32 {
		return fmt.Errorf("%w: task number %d", ErrInvalidWrite, task)
	}
	return nil
}
