// Package logtest helps test code built on kafkalog: a broker that can be
// restarted on the same address, and a plain sarama reader that returns a
// topic's raw records, independent of kafkalog's own consumer.
package logtest

import (
	"slices"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"conflux/broker"
	"conflux/internal/brokertest"
	"conflux/internal/kafkalog"
)

// Broker is a Conflux broker on a loopback port whose data survives Restart.
type Broker struct {
	t    testing.TB
	dir  string
	addr string
	srv  *broker.Server
}

// StartBroker starts a broker with its data in a temporary directory; it is
// closed when the test ends.
func StartBroker(t testing.TB) *Broker {
	t.Helper()
	b := &Broker{t: t, dir: t.TempDir()}
	b.srv = brokertest.New(t, broker.Config{DataDir: b.dir})
	if err := b.srv.Start(); err != nil {
		t.Fatalf("start broker: %v", err)
	}
	b.addr = b.srv.Addr()
	return b
}

// Addr returns the broker's address, the same across restarts.
func (b *Broker) Addr() string { return b.addr }

// Stop closes the broker; clients see connection failures until Start.
func (b *Broker) Stop() {
	b.t.Helper()
	if err := b.srv.Close(); err != nil {
		b.t.Fatalf("stop broker: %v", err)
	}
}

// Start starts a stopped broker again on the same address and data.
func (b *Broker) Start() {
	b.t.Helper()
	b.srv = brokertest.New(b.t, broker.Config{DataDir: b.dir, Listen: b.addr})
	if err := b.srv.Start(); err != nil {
		b.t.Fatalf("restart broker: %v", err)
	}
}

// Restart stops and starts the broker.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Stop()
	b.Start()
}

// ReadAll reads every record of topic with a plain sarama consumer, partition
// by partition in offset order, up to the end offsets at the time of the
// call.
func ReadAll(t testing.TB, addr, topic string) []kafkalog.Record {
	t.Helper()
	conf := sarama.NewConfig()
	conf.Version = sarama.V2_8_0_0
	conf.Metadata.AllowAutoTopicCreation = false
	client, err := sarama.NewClient([]string{addr}, conf)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	defer consumer.Close()
	parts, err := client.Partitions(topic)
	if err != nil {
		t.Fatalf("partitions of %s: %v", topic, err)
	}
	slices.Sort(parts)
	var out []kafkalog.Record
	for _, p := range parts {
		end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			t.Fatalf("end offset of %s/%d: %v", topic, p, err)
		}
		start, err := client.GetOffset(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatalf("start offset of %s/%d: %v", topic, p, err)
		}
		if start >= end {
			continue
		}
		pc, err := consumer.ConsumePartition(topic, p, start)
		if err != nil {
			t.Fatalf("consume %s/%d: %v", topic, p, err)
		}
		deadline := time.After(10 * time.Second)
	read:
		for {
			select {
			case m := <-pc.Messages():
				out = append(out, kafkalog.Record{Partition: p, Offset: m.Offset, Key: m.Key, Value: m.Value, Timestamp: m.Timestamp})
				if m.Offset+1 >= end {
					break read
				}
			case err := <-pc.Errors():
				t.Fatalf("consume %s/%d: %v", topic, p, err)
			case <-deadline:
				t.Fatalf("consume %s/%d: timed out before offset %d", topic, p, end)
			}
		}
		pc.Close()
	}
	return out
}

// Produce writes msgs to topic with a plain sarama producer partitioning keys
// like Kafka's Java client, as a foreign worker would.
func Produce(t testing.TB, addr, topic string, msgs ...kafkalog.Message) {
	t.Helper()
	conf := sarama.NewConfig()
	conf.Version = sarama.V2_8_0_0
	conf.Metadata.AllowAutoTopicCreation = false
	conf.Producer.RequiredAcks = sarama.WaitForAll
	conf.Producer.Return.Successes = true
	conf.Producer.Partitioner = sarama.NewMurmur2Partitioner
	p, err := sarama.NewSyncProducer([]string{addr}, conf)
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	defer p.Close()
	for _, m := range msgs {
		pm := &sarama.ProducerMessage{Topic: topic, Key: sarama.ByteEncoder(m.Key)}
		if m.Value != nil {
			pm.Value = sarama.ByteEncoder(m.Value)
		}
		if _, _, err := p.SendMessage(pm); err != nil {
			t.Fatalf("produce to %s: %v", topic, err)
		}
	}
}

// CreateTopic creates a topic with the given partition count and configs.
func CreateTopic(t testing.TB, addr, topic string, partitions int32, configs map[string]string) {
	t.Helper()
	conf := sarama.NewConfig()
	conf.Version = sarama.V2_8_0_0
	admin, err := sarama.NewClusterAdmin([]string{addr}, conf)
	if err != nil {
		t.Fatalf("admin: %v", err)
	}
	defer admin.Close()
	entries := map[string]*string{}
	for k, v := range configs {
		entries[k] = &v
	}
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1, ConfigEntries: entries}, false); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}
