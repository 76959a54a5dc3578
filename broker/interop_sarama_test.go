package broker_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"conflux/internal/brokertest"
)

// saramaVersions are the protocol generations sarama is run with: its default
// (Kafka 2.8, flexible versions) and an old one (Kafka 1.0, the oldest
// request versions sarama still builds for most keys).
var saramaVersions = []struct {
	name    string
	version sarama.KafkaVersion
}{
	{"default", sarama.DefaultVersion},
	{"v1.0", sarama.V1_0_0_0},
}

// saramaConfig returns a sarama config for the version, tuned for tests:
// short backoffs, successes returned, manual partitioning.
func saramaConfig(version sarama.KafkaVersion) *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = version
	cfg.ClientID = "conflux-interop"
	cfg.Net.DialTimeout = 5 * time.Second
	cfg.Net.ReadTimeout = 10 * time.Second
	cfg.Net.WriteTimeout = 10 * time.Second
	cfg.Metadata.Retry.Backoff = 20 * time.Millisecond
	cfg.Producer.Return.Successes = true
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Producer.Retry.Backoff = 20 * time.Millisecond
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
	cfg.Admin.Timeout = 10 * time.Second
	return cfg
}

func newSaramaAdmin(t *testing.T, addr string, cfg *sarama.Config) sarama.ClusterAdmin {
	t.Helper()
	admin, err := sarama.NewClusterAdmin([]string{addr}, cfg)
	if err != nil {
		t.Fatalf("sarama.NewClusterAdmin: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	return admin
}

func newSaramaClient(t *testing.T, addr string, cfg *sarama.Config) sarama.Client {
	t.Helper()
	client, err := sarama.NewClient([]string{addr}, cfg)
	if err != nil {
		t.Fatalf("sarama.NewClient: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

func TestSaramaMetadata(t *testing.T) {
	t.Parallel()
	for _, v := range saramaVersions {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			addr := brokertest.Start(t)
			cfg := saramaConfig(v.version)
			admin := newSaramaAdmin(t, addr, cfg)
			for _, name := range []string{"alpha", "beta"} {
				if err := admin.CreateTopic(name, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false); err != nil {
					t.Fatalf("CreateTopic %s: %v", name, err)
				}
			}

			client := newSaramaClient(t, addr, cfg)
			if err := client.RefreshMetadata(); err != nil {
				t.Fatalf("RefreshMetadata: %v", err)
			}
			brokers := client.Brokers()
			if len(brokers) != 1 || brokers[0].Addr() != addr || brokers[0].ID() != 1 {
				var got []string
				for _, b := range brokers {
					got = append(got, fmt.Sprintf("%d@%s", b.ID(), b.Addr()))
				}
				t.Fatalf("brokers = %v, want [1@%s]", got, addr)
			}
			topics, err := client.Topics()
			if err != nil {
				t.Fatalf("Topics: %v", err)
			}
			if !slices.Contains(topics, "alpha") || !slices.Contains(topics, "beta") {
				t.Fatalf("topics = %v, want alpha and beta", topics)
			}
			parts, err := client.Partitions("beta")
			if err != nil || !slices.Equal(parts, []int32{0, 1}) {
				t.Fatalf("Partitions(beta) = %v, %v; want [0 1]", parts, err)
			}
			leader, err := client.Leader("beta", 1)
			if err != nil || leader.ID() != 1 {
				t.Fatalf("Leader(beta, 1) = %v, %v; want broker 1", leader, err)
			}
			controller, err := client.Controller()
			if err != nil || controller.ID() != 1 {
				t.Fatalf("Controller = %v, %v; want broker 1", controller, err)
			}
		})
	}
}

// describeTopicConfig returns a topic's configs by name.
func describeTopicConfig(t *testing.T, admin sarama.ClusterAdmin, topic string) map[string]string {
	t.Helper()
	entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic})
	if err != nil {
		t.Fatalf("DescribeConfig %s: %v", topic, err)
	}
	m := map[string]string{}
	for _, e := range entries {
		m[e.Name] = e.Value
	}
	return m
}

func TestSaramaAdmin(t *testing.T) {
	t.Parallel()
	for _, v := range saramaVersions {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			addr := brokertest.Start(t)
			cfg := saramaConfig(v.version)
			admin := newSaramaAdmin(t, addr, cfg)
			const topic = "admin-topic"
			str := func(s string) *string { return &s }

			// validate-only creates nothing.
			detail := &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1, ConfigEntries: map[string]*string{"retention.ms": str("3600000")}}
			if err := admin.CreateTopic(topic, detail, true); err != nil {
				t.Fatalf("CreateTopic validate-only: %v", err)
			}
			topics, err := admin.ListTopics()
			if err != nil {
				t.Fatalf("ListTopics: %v", err)
			}
			if _, ok := topics[topic]; ok {
				t.Fatalf("validate-only CreateTopic created %s", topic)
			}

			if err := admin.CreateTopic(topic, detail, false); err != nil {
				t.Fatalf("CreateTopic: %v", err)
			}
			if err := admin.CreateTopic(topic, detail, false); !errors.Is(err, sarama.ErrTopicAlreadyExists) {
				t.Fatalf("second CreateTopic: %v, want %v", err, sarama.ErrTopicAlreadyExists)
			}
			topics, err = admin.ListTopics()
			if err != nil {
				t.Fatalf("ListTopics: %v", err)
			}
			if d, ok := topics[topic]; !ok || d.NumPartitions != 3 || d.ReplicationFactor != 1 {
				t.Fatalf("ListTopics[%s] = %+v, %v; want 3 partitions, RF 1", topic, d, ok)
			}

			md, err := admin.DescribeTopics([]string{topic})
			if err != nil || len(md) != 1 {
				t.Fatalf("DescribeTopics: %v, %v", md, err)
			}
			if !errors.Is(md[0].Err, sarama.ErrNoError) || len(md[0].Partitions) != 3 {
				t.Fatalf("DescribeTopics: err %v, %d partitions; want 3", md[0].Err, len(md[0].Partitions))
			}
			for _, p := range md[0].Partitions {
				if p.Leader != 1 || !slices.Equal(p.Replicas, []int32{1}) || !slices.Equal(p.Isr, []int32{1}) {
					t.Errorf("partition %d: leader %d replicas %v isr %v; want 1 [1] [1]", p.ID, p.Leader, p.Replicas, p.Isr)
				}
			}

			configs := describeTopicConfig(t, admin, topic)
			for key, want := range map[string]string{"retention.ms": "3600000", "cleanup.policy": "delete", "segment.bytes": "1073741824"} {
				if configs[key] != want {
					t.Errorf("DescribeConfig %s = %q, want %q", key, configs[key], want)
				}
			}

			// AlterConfig replaces the whole set of overrides.
			if err := admin.AlterConfig(sarama.TopicResource, topic, map[string]*string{"cleanup.policy": str("compact"), "retention.ms": str("7200000")}, false); err != nil {
				t.Fatalf("AlterConfig: %v", err)
			}
			configs = describeTopicConfig(t, admin, topic)
			if configs["cleanup.policy"] != "compact" || configs["retention.ms"] != "7200000" {
				t.Fatalf("after AlterConfig: cleanup.policy=%q retention.ms=%q", configs["cleanup.policy"], configs["retention.ms"])
			}
			if err := admin.AlterConfig(sarama.TopicResource, topic, map[string]*string{"retention.ms": str("1000")}, true); err != nil {
				t.Fatalf("AlterConfig validate-only: %v", err)
			}
			if got := describeTopicConfig(t, admin, topic)["retention.ms"]; got != "7200000" {
				t.Fatalf("validate-only AlterConfig changed retention.ms to %q", got)
			}
			if err := admin.AlterConfig(sarama.TopicResource, topic, map[string]*string{"retention.ms": str("5000000")}, false); err != nil {
				t.Fatalf("AlterConfig: %v", err)
			}
			configs = describeTopicConfig(t, admin, topic)
			if configs["cleanup.policy"] != "delete" || configs["retention.ms"] != "5000000" {
				t.Fatalf("AlterConfig did not replace the overrides: cleanup.policy=%q retention.ms=%q", configs["cleanup.policy"], configs["retention.ms"])
			}

			// IncrementalAlterConfig touches only the named keys. sarama
			// refuses it for Kafka versions before 2.3, as Kafka would.
			incremental := map[string]sarama.IncrementalAlterConfigsEntry{
				"segment.ms":   {Operation: sarama.IncrementalAlterConfigsOperationSet, Value: str("600000")},
				"retention.ms": {Operation: sarama.IncrementalAlterConfigsOperationDelete},
			}
			err = admin.IncrementalAlterConfig(sarama.TopicResource, topic, incremental, false)
			if v.version.IsAtLeast(sarama.V2_3_0_0) {
				if err != nil {
					t.Fatalf("IncrementalAlterConfig: %v", err)
				}
				configs = describeTopicConfig(t, admin, topic)
				if configs["segment.ms"] != "600000" || configs["retention.ms"] != "604800000" {
					t.Fatalf("after IncrementalAlterConfig: segment.ms=%q retention.ms=%q; want 600000 and the default 604800000", configs["segment.ms"], configs["retention.ms"])
				}
			} else if !errors.Is(err, sarama.ErrUnsupportedVersion) {
				t.Fatalf("IncrementalAlterConfig at %v = %v, want %v", v.version, err, sarama.ErrUnsupportedVersion)
			}

			if err := admin.CreatePartitions(topic, 5, nil, true); err != nil {
				t.Fatalf("CreatePartitions validate-only: %v", err)
			}
			if err := admin.CreatePartitions(topic, 5, nil, false); err != nil {
				t.Fatalf("CreatePartitions: %v", err)
			}
			if err := admin.CreatePartitions(topic, 4, nil, false); !errors.Is(err, sarama.ErrInvalidPartitions) {
				t.Fatalf("CreatePartitions shrinking: %v, want %v", err, sarama.ErrInvalidPartitions)
			}
			md, err = admin.DescribeTopics([]string{topic})
			if err != nil || len(md) != 1 || len(md[0].Partitions) != 5 {
				t.Fatalf("DescribeTopics after CreatePartitions: %v, %v; want 5 partitions", md, err)
			}

			// DeleteRecords moves the log start offset.
			produceSarama(t, addr, cfg, topic, 4, 10)
			if err := admin.DeleteRecords(topic, map[int32]int64{4: 6}); err != nil {
				t.Fatalf("DeleteRecords: %v", err)
			}
			client := newSaramaClient(t, addr, cfg)
			if off, err := client.GetOffset(topic, 4, sarama.OffsetOldest); err != nil || off != 6 {
				t.Fatalf("oldest offset after DeleteRecords = %d, %v; want 6", off, err)
			}
			if off, err := client.GetOffset(topic, 4, sarama.OffsetNewest); err != nil || off != 10 {
				t.Fatalf("newest offset after DeleteRecords = %d, %v; want 10", off, err)
			}
			if err := admin.DeleteRecords(topic, map[int32]int64{4: 11}); !errors.Is(err, sarama.ErrOffsetOutOfRange) {
				t.Fatalf("DeleteRecords beyond the end: %v, want %v", err, sarama.ErrOffsetOutOfRange)
			}

			if err := admin.DeleteTopic(topic); err != nil {
				t.Fatalf("DeleteTopic: %v", err)
			}
			topics, err = admin.ListTopics()
			if err != nil {
				t.Fatalf("ListTopics: %v", err)
			}
			if _, ok := topics[topic]; ok {
				t.Fatalf("%s still listed after DeleteTopic", topic)
			}
			if err := admin.DeleteTopic(topic); !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
				t.Fatalf("second DeleteTopic: %v, want %v", err, sarama.ErrUnknownTopicOrPartition)
			}
		})
	}
}

func TestSaramaAdminErrors(t *testing.T) {
	t.Parallel()
	addr := brokertest.Start(t)
	admin := newSaramaAdmin(t, addr, saramaConfig(sarama.DefaultVersion))
	str := func(s string) *string { return &s }
	if err := admin.CreateTopic("existing", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}

	create := []struct {
		name        string
		topic       string
		detail      sarama.TopicDetail
		want        sarama.KError
		msgContains string
	}{
		{"replication factor 3", "rf3", sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 3}, sarama.ErrInvalidReplicationFactor, "single"},
		{"replication factor 0", "rf0", sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 0}, sarama.ErrInvalidReplicationFactor, ""},
		{"slash in name", "a/b", sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, sarama.ErrInvalidTopic, ""},
		{"space in name", "a b", sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, sarama.ErrInvalidTopic, ""},
		{"dot", ".", sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, sarama.ErrInvalidTopic, ""},
		{"250 characters", strings.Repeat("x", 250), sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, sarama.ErrInvalidTopic, ""},
		{"collides on dot", "exist.ng", sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, sarama.ErrNoError, ""},
		{"zero partitions", "p0", sarama.TopicDetail{NumPartitions: 0, ReplicationFactor: 1}, sarama.ErrInvalidPartitions, ""},
		{"unknown config", "badcfg", sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1, ConfigEntries: map[string]*string{"no.such.config": str("1")}}, sarama.ErrInvalidConfig, "no.such.config"},
		{"malformed config value", "badval", sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1, ConfigEntries: map[string]*string{"retention.ms": str("soon")}}, sarama.ErrInvalidConfig, "retention.ms"},
		{"existing", "existing", sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, sarama.ErrTopicAlreadyExists, ""},
	}
	for _, tc := range create {
		t.Run("create/"+tc.name, func(t *testing.T) {
			detail := tc.detail
			for _, validateOnly := range []bool{true, false} {
				err := admin.CreateTopic(tc.topic, &detail, validateOnly)
				if tc.want == sarama.ErrNoError {
					if err != nil {
						t.Fatalf("CreateTopic(validateOnly=%v): %v", validateOnly, err)
					}
					continue
				}
				if !errors.Is(err, tc.want) {
					t.Fatalf("CreateTopic(validateOnly=%v) = %v, want %v", validateOnly, err, tc.want)
				}
				var te *sarama.TopicError
				if tc.msgContains != "" && (!errors.As(err, &te) || te.ErrMsg == nil || !strings.Contains(*te.ErrMsg, tc.msgContains)) {
					t.Fatalf("CreateTopic(validateOnly=%v) = %v, want a message mentioning %q", validateOnly, err, tc.msgContains)
				}
			}
		})
	}
	// Kafka refuses names that differ from an existing topic's only in '.'
	// versus '_'; exist.ng differs from existing in a letter, so it was
	// accepted above, while exist_ng now collides with it.
	if err := admin.CreateTopic("exist_ng", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); !errors.Is(err, sarama.ErrInvalidTopic) {
		t.Fatalf("CreateTopic(exist_ng) next to exist.ng = %v, want %v", err, sarama.ErrInvalidTopic)
	}

	alter := []struct {
		name    string
		topic   string
		entries map[string]*string
		want    sarama.KError
	}{
		{"unknown key", "existing", map[string]*string{"no.such.config": str("1")}, sarama.ErrInvalidConfig},
		{"bad value", "existing", map[string]*string{"cleanup.policy": str("shred")}, sarama.ErrInvalidConfig},
		{"unknown topic", "missing", map[string]*string{"retention.ms": str("1")}, sarama.ErrUnknownTopicOrPartition},
	}
	for _, tc := range alter {
		t.Run("alter/"+tc.name, func(t *testing.T) {
			if err := admin.AlterConfig(sarama.TopicResource, tc.topic, tc.entries, false); !errors.Is(err, tc.want) {
				t.Fatalf("AlterConfig = %v, want %v", err, tc.want)
			}
			inc := map[string]sarama.IncrementalAlterConfigsEntry{}
			for k, v := range tc.entries {
				inc[k] = sarama.IncrementalAlterConfigsEntry{Operation: sarama.IncrementalAlterConfigsOperationSet, Value: v}
			}
			if err := admin.IncrementalAlterConfig(sarama.TopicResource, tc.topic, inc, false); !errors.Is(err, tc.want) {
				t.Fatalf("IncrementalAlterConfig = %v, want %v", err, tc.want)
			}
		})
	}
	if configs := describeTopicConfig(t, admin, "existing"); configs["cleanup.policy"] != "delete" {
		t.Fatalf("rejected alterations changed cleanup.policy to %q", configs["cleanup.policy"])
	}
	if _, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: "missing"}); !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		t.Fatalf("DescribeConfig(missing) = %v, want %v", err, sarama.ErrUnknownTopicOrPartition)
	}
}

// produceSarama writes n small records to one partition with a SyncProducer.
func produceSarama(t *testing.T, addr string, cfg *sarama.Config, topic string, partition int32, n int) {
	t.Helper()
	producer, err := sarama.NewSyncProducer([]string{addr}, cfg)
	if err != nil {
		t.Fatalf("NewSyncProducer: %v", err)
	}
	defer producer.Close()
	msgs := make([]*sarama.ProducerMessage, n)
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{Topic: topic, Partition: partition, Value: sarama.StringEncoder(fmt.Sprint(i))}
	}
	if err := producer.SendMessages(msgs); err != nil {
		t.Fatalf("SendMessages: %v", err)
	}
}

// consumeSarama reads n messages of one partition from the oldest offset.
func consumeSarama(t *testing.T, addr string, cfg *sarama.Config, topic string, partition int32, n int) []*sarama.ConsumerMessage {
	t.Helper()
	consumer, err := sarama.NewConsumer([]string{addr}, cfg)
	if err != nil {
		t.Fatalf("NewConsumer: %v", err)
	}
	defer consumer.Close()
	pc, err := consumer.ConsumePartition(topic, partition, sarama.OffsetOldest)
	if err != nil {
		t.Fatalf("ConsumePartition: %v", err)
	}
	defer pc.Close()
	deadline := time.NewTimer(testTimeout)
	defer deadline.Stop()
	var out []*sarama.ConsumerMessage
	for len(out) < n {
		select {
		case m := <-pc.Messages():
			out = append(out, m)
		case err := <-pc.Errors():
			t.Fatalf("consume %s-%d: %v", topic, partition, err)
		case <-deadline.C:
			t.Fatalf("consume %s-%d: got %d of %d messages before the deadline", topic, partition, len(out), n)
		}
	}
	return out
}

func TestSaramaProduceConsumeCodecs(t *testing.T) {
	t.Parallel()
	codecs := []struct {
		name  string
		codec sarama.CompressionCodec
	}{
		{"none", sarama.CompressionNone},
		{"gzip", sarama.CompressionGZIP},
		{"snappy", sarama.CompressionSnappy},
		{"lz4", sarama.CompressionLZ4},
		{"zstd", sarama.CompressionZSTD},
	}
	for _, v := range saramaVersions {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			addr := brokertest.Start(t)
			for _, c := range codecs {
				if c.codec == sarama.CompressionZSTD && !v.version.IsAtLeast(sarama.V2_1_0_0) {
					continue // sarama refuses zstd below Kafka 2.1, as Kafka does
				}
				t.Run(c.name, func(t *testing.T) {
					cfg := saramaConfig(v.version)
					cfg.Producer.Compression = c.codec
					cfg.Producer.RequiredAcks = sarama.WaitForAll
					topic := "codec-" + c.name
					admin := newSaramaAdmin(t, addr, cfg)
					if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
						t.Fatalf("CreateTopic: %v", err)
					}

					const n = 50
					t0 := time.Now().Truncate(time.Millisecond).Add(-time.Hour)
					msgs := make([]*sarama.ProducerMessage, n)
					for i := range msgs {
						m := &sarama.ProducerMessage{
							Topic:     topic,
							Key:       sarama.ByteEncoder(fmt.Appendf(nil, "key-%d", i)),
							Value:     sarama.ByteEncoder(bytes.Repeat(fmt.Appendf(nil, "value %d of %s; ", i, c.name), i%7+1)),
							Headers:   []sarama.RecordHeader{{Key: []byte("idx"), Value: fmt.Appendf(nil, "%d", i)}, {Key: []byte("bin"), Value: []byte{0, 1, 2, byte(i)}}},
							Timestamp: t0.Add(time.Duration(i) * time.Millisecond),
						}
						if i == 3 {
							m.Key = nil // a null key
						}
						msgs[i] = m
					}
					producer, err := sarama.NewSyncProducer([]string{addr}, cfg)
					if err != nil {
						t.Fatalf("NewSyncProducer: %v", err)
					}
					if err := producer.SendMessages(msgs); err != nil {
						producer.Close()
						t.Fatalf("SendMessages: %v", err)
					}
					producer.Close()
					offsets := make([]int64, n)
					for i, m := range msgs {
						offsets[i] = m.Offset
					}
					slices.Sort(offsets)
					for i, off := range offsets {
						if off != int64(i) {
							t.Fatalf("acknowledged offsets %v are not 0..%d", offsets, n-1)
						}
					}

					got := consumeSarama(t, addr, cfg, topic, 0, n)
					for i, m := range got {
						want := msgs[i]
						wantKey, _ := encodeOrNil(want.Key)
						wantValue, _ := want.Value.Encode()
						if m.Offset != int64(i) {
							t.Fatalf("message %d has offset %d", i, m.Offset)
						}
						if !bytes.Equal(m.Key, wantKey) || (wantKey == nil) != (m.Key == nil) {
							t.Errorf("message %d key = %q, want %q", i, m.Key, wantKey)
						}
						if !bytes.Equal(m.Value, wantValue) {
							t.Errorf("message %d value = %q, want %q", i, m.Value, wantValue)
						}
						if !m.Timestamp.Equal(want.Timestamp) {
							t.Errorf("message %d timestamp = %v, want %v", i, m.Timestamp, want.Timestamp)
						}
						if len(m.Headers) != len(want.Headers) {
							t.Fatalf("message %d has %d headers, want %d", i, len(m.Headers), len(want.Headers))
						}
						for j, h := range m.Headers {
							if !bytes.Equal(h.Key, want.Headers[j].Key) || !bytes.Equal(h.Value, want.Headers[j].Value) {
								t.Errorf("message %d header %d = %q=%q, want %q=%q", i, j, h.Key, h.Value, want.Headers[j].Key, want.Headers[j].Value)
							}
						}
					}
				})
			}
		})
	}
}

// encodeOrNil encodes a sarama Encoder, keeping a nil Encoder nil.
func encodeOrNil(e sarama.Encoder) ([]byte, error) {
	if e == nil {
		return nil, nil
	}
	return e.Encode()
}

func TestSaramaIdempotentProducer(t *testing.T) {
	t.Parallel()
	addr := brokertest.Start(t)
	cfg := saramaConfig(sarama.DefaultVersion)
	cfg.Producer.Idempotent = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Retry.Max = 5
	cfg.Net.MaxOpenRequests = 1
	// Several batches per round; without a frequency a partial batch
	// would never be flushed.
	cfg.Producer.Flush.Messages = 25
	cfg.Producer.Flush.Frequency = 10 * time.Millisecond
	const topic = "idempotent"
	admin := newSaramaAdmin(t, addr, cfg)
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false); err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}

	producer, err := sarama.NewSyncProducer([]string{addr}, cfg)
	if err != nil {
		t.Fatalf("NewSyncProducer: %v", err)
	}
	const rounds, perRound = 4, 100
	for r := range rounds {
		var msgs []*sarama.ProducerMessage
		for i := range perRound {
			n := r*perRound + i
			msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Partition: int32(n % 2), Value: sarama.StringEncoder(fmt.Sprint(n))})
		}
		if err := producer.SendMessages(msgs); err != nil {
			producer.Close()
			t.Fatalf("SendMessages round %d: %v", r, err)
		}
	}
	if err := producer.Close(); err != nil {
		t.Fatalf("close producer: %v", err)
	}

	for p := range int32(2) {
		// franz-go exposes the producer id and sequence of each record.
		recs := consumeKgo(t, addr, topic, p, rounds*perRound/2)
		for i, r := range recs {
			if r.Offset != int64(i) {
				t.Fatalf("partition %d record %d has offset %d", p, i, r.Offset)
			}
			if want := fmt.Sprint(2*i + int(p)); string(r.Value) != want {
				t.Fatalf("partition %d offset %d = %q, want %q (duplicate or reordered)", p, i, r.Value, want)
			}
			if r.ProducerID < 0 {
				t.Fatalf("partition %d offset %d has no producer id: sarama did not produce idempotently", p, i)
			}
		}
		if end := endOffset(t, newKgoClient(t, addr), topic, p); end != int64(len(recs)) {
			t.Fatalf("partition %d end offset %d, want %d", p, end, len(recs))
		}
	}
}
