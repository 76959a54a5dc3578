package broker_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kadm"
)

// saramaMember is a sarama ConsumerGroup member consuming in the
// background, with a dialer that can cut it off without a LeaveGroup.
type saramaMember struct {
	name   string
	group  sarama.ConsumerGroup
	dialer *killSwitch
	cancel context.CancelFunc
	done   chan struct{}
}

// saramaHandler records every message and marks it for the auto-commit.
type saramaHandler struct {
	name string
	ta   *tally
}

func (saramaHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (saramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h saramaHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for msg := range claim.Messages() {
		h.ta.add(h.name, string(msg.Value))
		sess.MarkMessage(msg, "")
	}
	return nil
}

// startSaramaMember joins group with sarama speaking the protocol of Kafka
// version v, with a one-second session timeout.
func startSaramaMember(t *testing.T, v sarama.KafkaVersion, addr, group, topic, name string, ta *tally) *saramaMember {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = v
	cfg.ClientID = name
	cfg.Net.DialTimeout = time.Second
	cfg.Metadata.Retry.Backoff = 20 * time.Millisecond
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Interval = 100 * time.Millisecond
	cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
	cfg.Consumer.Retry.Backoff = 20 * time.Millisecond
	cfg.Consumer.Group.Session.Timeout = time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 100 * time.Millisecond
	cfg.Consumer.Group.Rebalance.Timeout = 3 * time.Second
	cfg.Consumer.Group.Rebalance.Retry.Backoff = 50 * time.Millisecond
	cfg.Consumer.Group.Rebalance.Retry.Max = 100
	m := &saramaMember{name: name, dialer: &killSwitch{}, done: make(chan struct{})}
	cfg.Net.Proxy.Enable = true
	cfg.Net.Proxy.Dialer = m.dialer
	g, err := sarama.NewConsumerGroup([]string{addr}, group, cfg)
	if err != nil {
		t.Fatalf("sarama.NewConsumerGroup: %v", err)
	}
	m.group = g
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, saramaHandler{name, ta}); errors.Is(err, sarama.ErrClosedConsumerGroup) {
				return
			} else if err != nil {
				time.Sleep(50 * time.Millisecond) // a killed member keeps failing; do not spin
			}
		}
	}()
	go func() {
		for range g.Errors() {
		}
	}()
	t.Cleanup(m.close)
	return m
}

func (m *saramaMember) close() {
	m.cancel()
	<-m.done
	m.group.Close()
}

// TestGroupSaramaFailover runs three sarama ConsumerGroup members over a
// 12-partition topic, then kills one without a LeaveGroup: within its
// session timeout its partitions go to the other two, and every record
// produced before and after is processed.
func TestGroupSaramaFailover(t *testing.T) {
	t.Parallel()
	addr := startGroupBroker(t)
	const topic, group, partitions = "payments", "sarama-workers", 12
	cl := newKgoClient(t, addr)
	adm := kadm.NewClient(cl)
	createTopic(t, cl, topic, partitions, nil)
	first := produceValues(t, addr, topic, partitions, 600, "first")

	ta := newTally()
	var members []*saramaMember
	for i := range 3 {
		members = append(members, startSaramaMember(t, sarama.DefaultVersion, addr, group, topic, fmt.Sprintf("sarama-%d", i), ta))
	}
	eventually(t, 20*time.Second, "every record processed", func() bool { return ta.has(first) })
	eventually(t, 20*time.Second, "three members with four partitions each", func() bool {
		got := assignments(t, adm, group)
		if len(got) != 3 {
			return false
		}
		for _, ps := range got {
			if len(ps) != 4 {
				return false
			}
		}
		return true
	})

	killed := time.Now()
	members[2].dialer.kill()
	eventually(t, 10*time.Second, "the survivors owning all 12 partitions", func() bool {
		got := assignments(t, adm, group)
		return len(got) == 2 && len(got["sarama-0"])+len(got["sarama-1"]) == partitions
	})
	took := time.Since(killed)
	t.Logf("partitions of the killed member reassigned after %v (session timeout 1 s)", took)
	if took > 4*time.Second {
		t.Errorf("reassignment took %v, want about the 1 s session timeout", took)
	}
	second := produceValues(t, addr, topic, partitions, 600, "second")
	eventually(t, 20*time.Second, "every new record processed by the survivors", func() bool { return ta.has(second) })
}

// TestGroupSaramaOldProtocol runs a sarama group speaking Kafka 1.0's
// request versions (JoinGroup v2, SyncGroup v1, OffsetCommit v3 with a
// retention time, OffsetFetch v3): the records are shared out, processed
// and committed.
func TestGroupSaramaOldProtocol(t *testing.T) {
	t.Parallel()
	addr := startGroupBroker(t)
	const topic, group = "legacy", "legacy-group"
	cl := newKgoClient(t, addr)
	createTopic(t, cl, topic, 4, nil)
	values := produceValues(t, addr, topic, 4, 200, "v")
	ta := newTally()
	a := startSaramaMember(t, sarama.V1_0_0_0, addr, group, topic, "old-a", ta)
	b := startSaramaMember(t, sarama.V1_0_0_0, addr, group, topic, "old-b", ta)
	eventually(t, 20*time.Second, "every record processed", func() bool { return ta.has(values) })
	eventually(t, 20*time.Second, "two members with two partitions each", func() bool {
		got := assignments(t, kadm.NewClient(cl), group)
		return len(got) == 2 && len(got["old-a"]) == 2 && len(got["old-b"]) == 2
	})
	a.close()
	b.close() // commits the marked offsets and leaves
	offsets, err := kadm.NewClient(cl).FetchOffsets(testCtx(t), group)
	if err != nil || offsets.Error() != nil {
		t.Fatal(err, offsets.Error())
	}
	for p := range int32(4) {
		if o, ok := offsets.Lookup(topic, p); !ok || o.At != 50 {
			t.Fatalf("partition %d committed at %+v, want 50", p, o)
		}
	}
}
