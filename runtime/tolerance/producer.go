package tolerance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"conflux/internal/saramaconf"

	"github.com/IBM/sarama"
)

// DLQConfig says how to reach and set up a dead letter queue topic.
type DLQConfig struct {
	// Brokers are the bootstrap servers (host:port). Required.
	Brokers []string
	// Topic is the dead letter queue topic. Required.
	Topic string
	// ReplicationFactor is used when the topic has to be created: at
	// least 1, or -1 for the broker's default. 0 means 3, Kafka's default.
	ReplicationFactor int16
	// ClientID is the producer's client.id (default
	// "connector-dlq-producer").
	ClientID string
	// Sarama is the base client configuration (TLS, SASL, timeouts,
	// version); it is copied, never modified. The producer overrides what
	// delivery depends on: acks=all, idempotence, success and error
	// reporting, Java-compatible murmur2 partitioning, no topic
	// auto-creation. Nil means defaults speaking Kafka 2.8.
	Sarama *sarama.Config
	// Logger receives setup messages (default: discarded).
	Logger *slog.Logger
}

// DLQProducer is the sarama-based [DLQWriter]: an asynchronous producer
// with acks=all that reports each record's outcome.
type DLQProducer struct {
	topic    string
	client   sarama.Client
	producer sarama.AsyncProducer
	drained  sync.WaitGroup

	mu     sync.RWMutex // held for reading by Send, for writing by Close
	closed bool
}

// OpenDLQ creates the dead letter queue topic if it does not exist, with one
// partition and the configured replication factor as Kafka Connect does,
// and starts a producer for it. An existing topic is used as it is. The
// error wraps ErrDeadLetterQueue and the broker's error; a cluster with
// fewer brokers than the replication factor (such as Conflux's embedded
// single broker with the default of 3) answers INVALID_REPLICATION_FACTOR,
// and the message then says which setting to change. ctx bounds the setup.
func OpenDLQ(ctx context.Context, cfg DLQConfig) (*DLQProducer, error) {
	if len(cfg.Brokers) == 0 || cfg.Topic == "" {
		return nil, fmt.Errorf("%w: dead letter queue needs brokers and a topic", ErrInvalidConfig)
	}
	if cfg.ReplicationFactor == 0 {
		cfg.ReplicationFactor = DefaultDLQReplicationFactor
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "connector-dlq-producer"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	fail := func(err error) error {
		return fmt.Errorf("%w: could not initialize dead letter queue with topic=%s: %w", ErrDeadLetterQueue, cfg.Topic, err)
	}
	client, err := sarama.NewClient(cfg.Brokers, producerConfig(cfg, true))
	if err != nil {
		return nil, fail(err)
	}
	if err := ensureTopic(ctx, client, cfg); err != nil {
		client.Close()
		return nil, fail(err)
	}
	producer, err := sarama.NewAsyncProducerFromClient(client)
	if err != nil && (errors.Is(err, sarama.ErrClusterAuthorizationFailed) || errors.Is(err, sarama.ErrUnsupportedVersion)) {
		// No idempotent writes allowed here (an ACL, an old broker):
		// acks=all alone still keeps every acknowledged record.
		client.Close()
		cfg.Logger.Warn("dead letter queue producer runs without idempotence", "topic", cfg.Topic, "error", err)
		if client, err = sarama.NewClient(cfg.Brokers, producerConfig(cfg, false)); err != nil {
			return nil, fail(err)
		}
		producer, err = sarama.NewAsyncProducerFromClient(client)
	}
	if err != nil {
		client.Close()
		return nil, fail(err)
	}
	p := &DLQProducer{topic: cfg.Topic, client: client, producer: producer}
	p.drained.Add(2)
	go p.drainSuccesses()
	go p.drainErrors()
	return p, nil
}

// producerConfig derives the producer's sarama settings.
func producerConfig(cfg DLQConfig, idempotent bool) *sarama.Config {
	sc := saramaconf.Derive(cfg.Sarama, cfg.ClientID)
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Return.Successes = true
	sc.Producer.Return.Errors = true
	sc.Producer.Partitioner = sarama.NewMurmur2Partitioner
	sc.Producer.Idempotent = idempotent
	sc.Producer.Transaction.ID = ""
	if sc.Producer.Retry.Max < 1 {
		sc.Producer.Retry.Max = 3
	}
	if idempotent {
		sc.Net.MaxOpenRequests = 1
	}
	return sc
}

// ensureTopic creates the topic when it does not exist and waits until its
// partitions have leaders.
func ensureTopic(ctx context.Context, client sarama.Client, cfg DLQConfig) error {
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	// Closing admin would close the shared client; it holds nothing else.
	exists, err := topicExists(admin, cfg.Topic)
	if err != nil {
		return err
	}
	if !exists {
		cfg.Logger.Info("dead letter queue topic does not exist; creating it", "topic", cfg.Topic,
			"partitions", 1, "replication_factor", cfg.ReplicationFactor)
		err := admin.CreateTopic(cfg.Topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: cfg.ReplicationFactor}, false)
		switch {
		case err == nil, errors.Is(err, sarama.ErrTopicAlreadyExists):
			// Created, or another task of the connector won the race.
		case errors.Is(err, sarama.ErrInvalidReplicationFactor):
			return fmt.Errorf("create topic with replication factor %d: %w (set errors.deadletterqueue.topic.replication.factor "+
				"to at most the number of brokers, or to -1 for the broker's default)", cfg.ReplicationFactor, err)
		default:
			return fmt.Errorf("create topic: %w", err)
		}
	}
	for {
		err := leadersKnown(client, cfg.Topic)
		if err == nil {
			return nil
		}
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wait for topic metadata: %w (last error: %w)", context.Cause(ctx), err)
		}
	}
}

func topicExists(admin sarama.ClusterAdmin, topic string) (bool, error) {
	md, err := admin.DescribeTopics([]string{topic})
	if err != nil {
		return false, fmt.Errorf("describe topic: %w", err)
	}
	for _, t := range md {
		if t.Name != topic {
			continue
		}
		switch {
		case errors.Is(t.Err, sarama.ErrNoError):
			return true, nil
		case errors.Is(t.Err, sarama.ErrUnknownTopicOrPartition):
			return false, nil
		default:
			return false, fmt.Errorf("describe topic: %w", t.Err)
		}
	}
	return false, nil
}

// leadersKnown refreshes the topic's metadata and fails unless every
// partition has a leader.
func leadersKnown(client sarama.Client, topic string) error {
	if err := client.RefreshMetadata(topic); err != nil {
		return err
	}
	parts, err := client.Partitions(topic)
	if err != nil {
		return err
	}
	if len(parts) == 0 {
		return sarama.ErrUnknownTopicOrPartition
	}
	for _, p := range parts {
		if _, err := client.Leader(topic, p); err != nil {
			return err
		}
	}
	return nil
}

// Send implements [DLQWriter].
func (p *DLQProducer) Send(ctx context.Context, rec *DLQRecord, done func(error)) error {
	msg := &sarama.ProducerMessage{Topic: p.topic, Timestamp: rec.Timestamp, Metadata: done}
	if rec.Key != nil {
		msg.Key = sarama.ByteEncoder(rec.Key)
	}
	if rec.Value != nil {
		msg.Value = sarama.ByteEncoder(rec.Value)
	}
	if len(rec.Headers) > 0 {
		msg.Headers = make([]sarama.RecordHeader, len(rec.Headers))
		for i, h := range rec.Headers {
			msg.Headers[i] = sarama.RecordHeader{Key: []byte(h.Key), Value: h.Value}
		}
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	select {
	case p.producer.Input() <- msg:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (p *DLQProducer) drainSuccesses() {
	defer p.drained.Done()
	for msg := range p.producer.Successes() {
		msg.Metadata.(func(error))(nil)
	}
}

func (p *DLQProducer) drainErrors() {
	defer p.drained.Done()
	for perr := range p.producer.Errors() {
		err := perr.Err
		if err == nil {
			err = errors.New("unknown producer error")
		}
		perr.Msg.Metadata.(func(error))(err)
	}
}

// Close implements [DLQWriter]: it writes the records handed over, reports
// their outcome, and closes the producer and its client. It is idempotent.
func (p *DLQProducer) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.producer.AsyncClose()
	p.drained.Wait()
	if err := p.client.Close(); err != nil && !errors.Is(err, sarama.ErrClosedClient) {
		return fmt.Errorf("%w: close producer: %w", ErrDeadLetterQueue, err)
	}
	return nil
}

var _ DLQWriter = (*DLQProducer)(nil)
