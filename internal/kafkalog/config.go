package kafkalog

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/IBM/sarama"

	"conflux/internal/cutdial"
	"conflux/internal/saramaconf"
)

// DefaultClientID is the client.id the log's clients send when Config.ClientID
// is empty.
const DefaultClientID = "conflux"

// Config describes the topic a Log mirrors and how to reach it.
type Config struct {
	// Brokers are the bootstrap servers (host:port). Required.
	Brokers []string
	// Topic is the topic name. Required.
	Topic string
	// Partitions is the partition count used when the topic has to be
	// created; 0 or -1 leave it to the broker default (num.partitions).
	// An existing topic keeps its partition count.
	Partitions int32
	// ReplicationFactor is used when the topic has to be created; 0 or -1
	// leave it to the broker default.
	ReplicationFactor int16
	// TopicConfigs are topic configs passed on creation (the worker's
	// "<prefix>.<topic-config>" settings). cleanup.policy is always set to
	// compact, whatever is given here.
	TopicConfigs map[string]string
	// ConfigKey and Purpose only make errors clearer: the worker setting
	// that named the topic (offset.storage.topic) and what the topic keeps
	// (source offsets).
	ConfigKey, Purpose string
	// ClientID is the client.id of the log's Kafka clients (default
	// "conflux").
	ClientID string
	// Sarama is the base client configuration (TLS, SASL, timeouts,
	// version). It is copied, never modified; the log overrides what its
	// guarantees depend on: acks=all, idempotence, murmur2 partitioning,
	// success and error reporting, and no topic auto-creation. Nil means a
	// default configuration speaking Kafka 2.8.
	Sarama *sarama.Config
	// RetryBackoff is the pause between attempts after a retriable failure
	// (default 100ms).
	RetryBackoff time.Duration
	// Logger receives warnings about skipped data and reconnections
	// (default: discarded).
	Logger *slog.Logger
}

// fetchMaxWait is how long a fetch long-polls the broker for new records.
// It bounds how long Close waits for the fetch loop to notice cancellation.
const fetchMaxWait = 500 * time.Millisecond

// validate checks the required fields and fills defaults.
func (c *Config) validate() error {
	if len(c.Brokers) == 0 {
		return fmt.Errorf("%w: no brokers", ErrInvalidConfig)
	}
	if c.Topic == "" {
		return fmt.Errorf("%w: no topic", ErrInvalidConfig)
	}
	if c.Partitions == 0 || c.Partitions < -1 {
		c.Partitions = -1
	}
	if c.ReplicationFactor == 0 || c.ReplicationFactor < -1 {
		c.ReplicationFactor = -1
	}
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if c.ConfigKey == "" {
		c.ConfigKey = "topic"
	}
	if c.Purpose == "" {
		c.Purpose = "its data"
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 100 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Sarama != nil && !c.Sarama.Version.IsAtLeast(sarama.V0_11_0_0) {
		return fmt.Errorf("%w: Kafka protocol version %s is older than 0.11 (record batches v2)", ErrInvalidConfig, c.Sarama.Version)
	}
	return nil
}

// baseSarama returns a copy of the configured sarama settings, or defaults.
func (c *Config) baseSarama() *sarama.Config {
	return saramaconf.Derive(c.Sarama, c.ClientID)
}

// producerSarama is the configuration of the producer-side client, which also
// serves admin requests and ListOffsets. Idempotence needs a single
// in-flight request per connection, which also keeps records in order.
func (c *Config) producerSarama(idempotent bool) *sarama.Config {
	sc := c.baseSarama()
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Return.Successes = true
	sc.Producer.Return.Errors = true
	sc.Producer.Partitioner = sarama.NewMurmur2Partitioner
	sc.Producer.Idempotent = idempotent
	sc.Producer.Transaction.ID = ""
	if sc.Producer.Retry.Max < 1 {
		sc.Producer.Retry.Max = 3
	}
	sc.Net.MaxOpenRequests = 1
	return sc
}

// consumerSarama is the configuration of the fetch-side client. It has its
// own connections so that long-polling fetches never delay produce or
// ListOffsets requests queued behind them, dialled through d so that Close
// can cut them.
func (c *Config) consumerSarama(d *cutdial.Dialer) *sarama.Config {
	sc := c.baseSarama()
	d.Install(sc)
	sc.Metadata.Full = false // this client only ever asks about the topic
	sc.Producer.Idempotent = false
	sc.Producer.Transaction.ID = ""
	return sc
}

// fetchVersion picks the Fetch request version for the negotiated Kafka
// version, as sarama's consumer does. Version 4 is the oldest that carries
// record batches v2.
func fetchVersion(v sarama.KafkaVersion) int16 {
	switch {
	case v.IsAtLeast(sarama.V2_7_0_0):
		return 12
	case v.IsAtLeast(sarama.V2_3_0_0):
		return 11
	case v.IsAtLeast(sarama.V2_1_0_0):
		return 10
	case v.IsAtLeast(sarama.V2_0_0_0):
		return 8
	case v.IsAtLeast(sarama.V1_1_0_0):
		return 7
	case v.IsAtLeast(sarama.V1_0_0_0):
		return 6
	default:
		return 5
	}
}
