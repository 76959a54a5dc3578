package offsets

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"github.com/IBM/sarama"

	"conflux/internal/kafkalog"
)

// Defaults of the Kafka-backed store, Kafka Connect's.
const (
	// DefaultTopic is the sample offset.storage.topic.
	DefaultTopic = "connect-offsets"
	// DefaultPartitions is offset.storage.partitions.
	DefaultPartitions = 25
)

// PartitionOffset is one source partition and its offset; a nil Offset
// stands for "no offset" (a tombstone when written). Its JSON form is the
// entity of Kafka Connect's GET/PATCH /connectors/{name}/offsets.
type PartitionOffset struct {
	Partition map[string]any `json:"partition"`
	Offset    map[string]any `json:"offset"`
}

// backingLog is what the store needs from its topic; *kafkalog.Log and
// *kafkalog.MemoryLog provide it.
type backingLog interface {
	Write(ctx context.Context, msgs ...kafkalog.Message) error
	ReadToEnd(ctx context.Context) error
	Close() error
}

// Store holds the offsets topic's content in memory: per connector, the
// latest offset of every source partition. Writes go to the topic and come
// back through it, so every store on the same topic converges to the same
// content. All methods are safe for concurrent use.
type Store struct {
	log    backingLog
	logger *slog.Logger

	// keys caches the parsed form of every record key seen, so that the
	// flush after flush rewriting the same partitions costs no JSON
	// parsing. Only apply touches it, and apply calls never overlap.
	keys map[string]*keyInfo

	mu   sync.RWMutex
	data map[string]map[PartitionKey]entry // connector → partition → offset
}

// keyInfo is a parsed record key.
type keyInfo struct {
	connector string
	partition map[string]any // never modified once parsed
	key       PartitionKey
}

// entry is a stored offset: the partition as parsed from the key and the
// offset as written, decoded only when asked for.
type entry struct {
	partition map[string]any
	value     []byte
}

// StoreConfig configures a Kafka-backed Store.
type StoreConfig struct {
	// Brokers are the bootstrap servers. Required.
	Brokers []string
	// Topic is offset.storage.topic (default connect-offsets).
	Topic string
	// Partitions is offset.storage.partitions, used when the topic is
	// created (default 25; -1 = broker default).
	Partitions int32
	// ReplicationFactor is offset.storage.replication.factor, used when
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
	// Logger receives warnings about records that are skipped (default:
	// discarded).
	Logger *slog.Logger
}

// OpenStore opens the offsets topic (creating it, compacted, if missing),
// reads it to the end and returns the store.
func OpenStore(ctx context.Context, cfg StoreConfig) (*Store, error) {
	if cfg.Topic == "" {
		cfg.Topic = DefaultTopic
	}
	if cfg.Partitions == 0 {
		cfg.Partitions = DefaultPartitions
	}
	s := newStore(cfg.Logger)
	l, err := kafkalog.Open(ctx, kafkalog.Config{
		Brokers:           cfg.Brokers,
		Topic:             cfg.Topic,
		Partitions:        cfg.Partitions,
		ReplicationFactor: cfg.ReplicationFactor,
		TopicConfigs:      cfg.TopicConfigs,
		ConfigKey:         "offset.storage.topic",
		Purpose:           "source offsets",
		ClientID:          cfg.ClientID,
		Sarama:            cfg.Sarama,
		Logger:            cfg.Logger,
	}, s.apply)
	if err != nil {
		return nil, fmt.Errorf("open offset store: %w", err)
	}
	s.log = l
	return s, nil
}

// NewMemoryStore returns a store over an in-process topic. Stores built on
// the same topic share their offsets as workers sharing a Kafka topic do; a
// nil topic gets a fresh one with 25 partitions.
func NewMemoryStore(topic *kafkalog.MemoryTopic) *Store {
	if topic == nil {
		topic = kafkalog.NewMemoryTopic(DefaultPartitions)
	}
	s := newStore(nil)
	l, err := kafkalog.OpenMemory(context.Background(), topic, s.apply)
	if err != nil {
		panic(fmt.Sprintf("offsets: open memory log: %v", err)) // only fails on a nil apply
	}
	s.log = l
	return s
}

func newStore(logger *slog.Logger) *Store {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Store{logger: logger, keys: map[string]*keyInfo{}, data: map[string]map[PartitionKey]entry{}}
}

// apply folds one record of the topic into the store. Keys that are not
// ["<connector>",{…}] are skipped, as Kafka Connect skips them. A value that
// is not a JSON object removes the partition's offset like a tombstone: it
// is the latest record of its key, so compaction would leave no valid offset
// either.
func (s *Store) apply(r kafkalog.Record) {
	k := s.keys[string(r.Key)]
	if k == nil {
		connector, partition, err := DecodeKey(r.Key)
		if err != nil {
			s.logger.Warn("skipping offsets record with an unexpected key", "partition", r.Partition, "offset", r.Offset, "error", err)
			return
		}
		kb, err := compactJSON(partition)
		if err != nil {
			s.logger.Warn("skipping offsets record with an unusable key", "partition", r.Partition, "offset", r.Offset, "error", err)
			return
		}
		k = &keyInfo{connector: connector, partition: partition, key: PartitionKey(kb)}
		s.keys[string(r.Key)] = k
	}
	value := r.Value
	if value != nil && !isJSONObject(value) {
		s.logger.Warn("offsets record with a value that is not a JSON object; treating it as a tombstone", "connector", k.connector, "partition", r.Partition, "offset", r.Offset)
		value = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := s.data[k.connector]
	if value == nil {
		delete(parts, k.key)
		if len(parts) == 0 {
			delete(s.data, k.connector)
		}
		return
	}
	if parts == nil {
		parts = map[PartitionKey]entry{}
		s.data[k.connector] = parts
	}
	// The record's bytes may share a fetch buffer; keep a copy only.
	parts[k.key] = entry{partition: k.partition, value: bytes.Clone(value)}
}

// isJSONObject reports whether b is one valid JSON object.
func isJSONObject(b []byte) bool {
	t := bytes.TrimLeft(b, " \t\r\n")
	return len(t) > 0 && t[0] == '{' && json.Valid(t)
}

// Sync reads the topic to the end, so the store reflects every write that
// completed anywhere before the call.
func (s *Store) Sync(ctx context.Context) error {
	if err := s.log.ReadToEnd(ctx); err != nil {
		return fmt.Errorf("offset store: %w", err)
	}
	return nil
}

// Get reads the topic to the end and returns the offsets of the given source
// partitions of a connector, keyed by KeyOf(partition). Partitions without
// an offset are absent from the result. The returned maps are copies.
func (s *Store) Get(ctx context.Context, connector string, partitions []map[string]any) (map[PartitionKey]map[string]any, error) {
	keys := make([]PartitionKey, len(partitions))
	for i, p := range partitions {
		k, err := KeyOf(p)
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	if err := s.Sync(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[PartitionKey]map[string]any, len(keys))
	for _, k := range keys {
		if e, ok := s.data[connector][k]; ok {
			out[k] = e.offset()
		}
	}
	return out, nil
}

// Set writes the offsets of a connector's source partitions, a nil Offset
// writing a tombstone, in one batch, and returns once every record is
// acknowledged by Kafka (acks=all) and visible in this store. If it fails,
// some of the records may have been written and others not; writing the
// same offsets again is harmless.
func (s *Store) Set(ctx context.Context, connector string, offsets []PartitionOffset) error {
	msgs := make([]kafkalog.Message, 0, len(offsets))
	index := make(map[string]int, len(offsets)) // a repeated partition: the last one wins
	for _, po := range offsets {
		key, err := EncodeKey(connector, po.Partition)
		if err != nil {
			return err
		}
		value, err := EncodeValue(po.Offset)
		if err != nil {
			return err
		}
		if i, ok := index[string(key)]; ok {
			msgs[i].Value = value
			continue
		}
		index[string(key)] = len(msgs)
		msgs = append(msgs, kafkalog.Message{Key: key, Value: value})
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := s.log.Write(ctx, msgs...); err != nil {
		return fmt.Errorf("write offsets of %s: %w", connector, err)
	}
	return nil
}

// ConnectorOffsets reads the topic to the end and returns every source
// partition of the connector that has an offset, sorted by partition key:
// the body of GET /connectors/{name}/offsets. The maps are copies.
func (s *Store) ConnectorOffsets(ctx context.Context, connector string) ([]PartitionOffset, error) {
	if err := s.Sync(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	parts := s.data[connector]
	keys := slices.Sorted(maps.Keys(parts))
	out := make([]PartitionOffset, 0, len(keys))
	for _, k := range keys {
		e := parts[k]
		out = append(out, PartitionOffset{Partition: deepCopy(e.partition), Offset: e.offset()})
	}
	return out, nil
}

// Connectors returns, sorted, the connectors that have at least one offset
// in the store as last read.
func (s *Store) Connectors() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.data))
}

// Alter changes offsets as PATCH /connectors/{name}/offsets does (KIP-875):
// each partition gets the given offset, or loses its offset when Offset is
// nil. The store is read to the end first and the write is visible when
// Alter returns. Callers check that the connector is stopped.
func (s *Store) Alter(ctx context.Context, connector string, offsets []PartitionOffset) error {
	for _, po := range offsets {
		if len(po.Partition) == 0 {
			return fmt.Errorf("%w: every offset needs a non-empty partition", ErrInvalidPartition)
		}
	}
	if err := s.Sync(ctx); err != nil {
		return err
	}
	return s.Set(ctx, connector, offsets)
}

// Reset removes every offset of the connector, writing a tombstone per
// source partition, as DELETE /connectors/{name}/offsets does (KIP-875). The
// store is read to the end first, so offsets written by other workers are
// removed too. Callers check that the connector is stopped.
func (s *Store) Reset(ctx context.Context, connector string) error {
	current, err := s.ConnectorOffsets(ctx, connector)
	if err != nil {
		return err
	}
	for i := range current {
		current[i].Offset = nil
	}
	return s.Set(ctx, connector, current)
}

// Close stops reading the topic and releases the connections. It is
// idempotent.
func (s *Store) Close() error {
	return s.log.Close()
}

// offset decodes the stored value; apply only keeps values that decode.
func (e entry) offset() map[string]any {
	m, _ := DecodeValue(e.value)
	return m
}

// deepCopy copies a decoded JSON object.
func deepCopy(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return deepCopy(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	}
	return v
}
