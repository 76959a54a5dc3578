package runtime

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"conflux/configs"
)

// WorkerConfig is a worker's configuration: Kafka Connect's distributed
// worker keys, parsed and typed. Build it with [ParseWorkerConfig].
type WorkerConfig struct {
	// BootstrapServers are the Kafka brokers to connect to first.
	BootstrapServers []string
	// GroupID is the Connect cluster's group.
	GroupID string
	// ConfigTopic, OffsetTopic and StatusTopic are the internal topics.
	ConfigTopic, OffsetTopic, StatusTopic string
	// Replication factors and partition counts of the internal topics when
	// the worker creates them (-1: the broker's default).
	ConfigReplication, OffsetReplication, StatusReplication int16
	OffsetPartitions, StatusPartitions                      int32
	// OffsetFlushInterval is how often source offsets are flushed and sink
	// offsets committed; OffsetFlushTimeout bounds one flush.
	OffsetFlushInterval, OffsetFlushTimeout time.Duration
	// GroupInstanceID is group.instance.id: the worker's id as a static
	// member of the group, "" for a dynamic member.
	GroupInstanceID string
	// Group membership timings.
	SessionTimeout, HeartbeatInterval, RebalanceTimeout time.Duration
	// ScheduledRebalanceMaxDelay is how long a departed worker's work waits
	// for it before being reassigned.
	ScheduledRebalanceMaxDelay time.Duration
	// ConnectProtocol is eager, compatible or sessioned.
	ConnectProtocol string
	// Session is how internal requests are signed under the sessioned
	// protocol.
	Session SessionConfig
	// TaskShutdownTimeout bounds how long a task may take to stop.
	TaskShutdownTimeout time.Duration
	// TopicTracking and TopicTrackingAllowReset are topic.tracking.enable
	// and topic.tracking.allow.reset.
	TopicTracking, TopicTrackingAllowReset bool
	// UIEnable is rest.ui.enable: whether the REST listener serves the web
	// console.
	UIEnable bool
	// Originals holds every key as given, including the ones the worker
	// definition does not name (converter settings, producer.*, consumer.*,
	// config.providers.*).
	Originals map[string]string
}

// ParseWorkerConfig parses a worker configuration (the keys of a Kafka
// Connect worker.properties) with Kafka's defaults; errors carry Kafka
// Connect's messages.
func ParseWorkerConfig(raw map[string]string) (WorkerConfig, error) {
	v, err := configs.WorkerDef().Parse(raw)
	if err != nil {
		return WorkerConfig{}, fmt.Errorf("%w: %w", ErrInvalidWorkerConfig, err)
	}
	ms := func(key string) time.Duration { return time.Duration(v.Long(key)) * time.Millisecond }
	msInt := func(key string) time.Duration { return time.Duration(v.Int(key)) * time.Millisecond }
	c := WorkerConfig{
		BootstrapServers:           v.List(configs.KeyBootstrapServers),
		GroupID:                    v.String(configs.KeyGroupID),
		GroupInstanceID:            v.String(configs.KeyGroupInstanceID),
		ConfigTopic:                v.String(configs.KeyConfigStorageTopic),
		OffsetTopic:                v.String(configs.KeyOffsetStorageTopic),
		StatusTopic:                v.String(configs.KeyStatusStorageTopic),
		ConfigReplication:          v.Short(configs.KeyConfigStorageReplication),
		OffsetReplication:          v.Short(configs.KeyOffsetStorageReplication),
		StatusReplication:          v.Short(configs.KeyStatusStorageReplication),
		OffsetPartitions:           int32(v.Int(configs.KeyOffsetStoragePartitions)),
		StatusPartitions:           int32(v.Int(configs.KeyStatusStoragePartitions)),
		OffsetFlushInterval:        ms(configs.KeyOffsetFlushInterval),
		OffsetFlushTimeout:         ms(configs.KeyOffsetFlushTimeout),
		SessionTimeout:             msInt(configs.KeySessionTimeout),
		HeartbeatInterval:          msInt(configs.KeyHeartbeatInterval),
		RebalanceTimeout:           msInt(configs.KeyRebalanceTimeout),
		ScheduledRebalanceMaxDelay: msInt(configs.KeyScheduledRebalanceMaxDelay),
		ConnectProtocol:            strings.ToLower(v.String(configs.KeyConnectProtocol)),
		TaskShutdownTimeout:        ms(configs.KeyTaskShutdownGracefulTimeout),
		TopicTracking:              v.Bool(configs.KeyTopicTrackingEnable),
		TopicTrackingAllowReset:    v.Bool(configs.KeyTopicTrackingAllowReset),
		UIEnable:                   v.Bool(configs.KeyRestUIEnable),
		Session: SessionConfig{
			KeyAlgorithm:           v.String(configs.KeyInterWorkerKeyAlgorithm),
			KeyTTL:                 msInt(configs.KeyInterWorkerKeyTTL),
			SignatureAlgorithm:     v.String(configs.KeyInterWorkerSignatureAlgorithm),
			VerificationAlgorithms: v.List(configs.KeyInterWorkerVerificationAlgos),
		},
		Originals: maps.Clone(raw),
	}
	if v.Get(configs.KeyInterWorkerKeySize) != nil {
		bits := v.Int(configs.KeyInterWorkerKeySize)
		if bits%8 != 0 {
			return WorkerConfig{}, fmt.Errorf("%w: %s must be a multiple of 8 bits, got %d", ErrInvalidWorkerConfig, configs.KeyInterWorkerKeySize, bits)
		}
		c.Session.KeyBytes = bits / 8
	}
	if !slices.Contains(c.Session.VerificationAlgorithms, c.Session.SignatureAlgorithm) {
		return WorkerConfig{}, fmt.Errorf("%w: %s (%s) must be one of %s (%s), or this worker would reject its own requests",
			ErrInvalidWorkerConfig, configs.KeyInterWorkerSignatureAlgorithm, c.Session.SignatureAlgorithm,
			configs.KeyInterWorkerVerificationAlgos, strings.Join(c.Session.VerificationAlgorithms, ","))
	}
	if c.HeartbeatInterval >= c.SessionTimeout {
		return WorkerConfig{}, fmt.Errorf("%w: %s (%v) must be lower than %s (%v)", ErrInvalidWorkerConfig,
			configs.KeyHeartbeatInterval, c.HeartbeatInterval, configs.KeySessionTimeout, c.SessionTimeout)
	}
	return c, nil
}

// topicSettings returns the topic configs given for an internal topic as
// "<prefix>.<topic config>" keys (offset.storage.segment.bytes …), without
// the keys that are the worker's own.
func (c WorkerConfig) topicSettings(prefix string) map[string]string {
	own := map[string]bool{"topic": true, "replication.factor": true, "partitions": true, "cleanup.policy": true}
	out := make(map[string]string)
	for k, v := range configs.WithPrefix(c.Originals, prefix+".") {
		if !own[k] {
			out[k] = v
		}
	}
	return out
}

// clientSettings returns the worker's settings for one Kafka client kind
// (producer., consumer. or admin.), prefix removed.
func (c WorkerConfig) clientSettings(prefix string) map[string]string {
	return configs.WithPrefix(c.Originals, prefix)
}
