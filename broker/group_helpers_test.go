package broker_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"conflux/broker"
	"conflux/internal/brokertest"
)

// groupTestConfig is a broker config whose group timeouts suit tests:
// sessions down to 100 ms, and a short initial rebalance delay.
func groupTestConfig() broker.Config {
	return broker.Config{
		GroupMinSessionTimeout:     100 * time.Millisecond,
		GroupInitialRebalanceDelay: 100 * time.Millisecond,
	}
}

// startGroupBroker starts a broker with groupTestConfig.
func startGroupBroker(t *testing.T) string {
	t.Helper()
	return brokertest.StartWith(t, groupTestConfig())
}

// produceValues produces n records with values "<tag>-<i>", spread round
// robin over the topic's partitions, and returns the values.
func produceValues(t *testing.T, addr, topic string, partitions, n int, tag string) []string {
	t.Helper()
	cl := newKgoClient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(time.Millisecond))
	defer cl.Close()
	var recs []*kgo.Record
	var values []string
	for i := range n {
		v := fmt.Sprintf("%s-%d", tag, i)
		values = append(values, v)
		recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i % partitions), Value: []byte(v)})
	}
	if err := cl.ProduceSync(testCtx(t), recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	return values
}

// tally counts the records consumers processed, by value and by consumer,
// and keeps every delivery in order.
type tally struct {
	mu         sync.Mutex
	values     map[string]int
	members    map[string]int
	deliveries []delivery
}

// delivery is one record as one consumer processed it; partition and
// offset are -1 when the consumer did not report them.
type delivery struct {
	member    string
	partition int32
	offset    int64
	value     string
}

func newTally() *tally { return &tally{values: map[string]int{}, members: map[string]int{}} }

func (ta *tally) add(member, value string) { ta.addAt(member, -1, -1, value) }

// addAt records that member processed value, read at offset of partition.
func (ta *tally) addAt(member string, partition int32, offset int64, value string) {
	ta.mu.Lock()
	ta.values[value]++
	ta.members[member]++
	ta.deliveries = append(ta.deliveries, delivery{member, partition, offset, value})
	ta.mu.Unlock()
}

// all returns a copy of every delivery so far, in the order they happened.
func (ta *tally) all() []delivery {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	return slices.Clone(ta.deliveries)
}

// has reports whether every value was processed at least once.
func (ta *tally) has(values []string) bool {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	for _, v := range values {
		if ta.values[v] == 0 {
			return false
		}
	}
	return true
}

// count returns how many records member processed.
func (ta *tally) count(member string) int {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	return ta.members[member]
}

// franzMember is a franz-go group consumer polling in the background.
type franzMember struct {
	name   string
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}
}

// startFranzMember joins group with franz-go and records every record it
// polls in ta. opts add to (and may override) short test timeouts.
func startFranzMember(t testing.TB, addr, group, topic, name string, ta *tally, opts ...kgo.Opt) *franzMember {
	t.Helper()
	base := []kgo.Opt{
		kgo.SeedBrokers(addr),
		kgo.ClientID(name),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.SessionTimeout(3 * time.Second),
		kgo.HeartbeatInterval(100 * time.Millisecond),
		kgo.RebalanceTimeout(5 * time.Second),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100 * time.Millisecond),
		kgo.AutoCommitInterval(100 * time.Millisecond),
		kgo.RetryBackoffFn(func(int) time.Duration { return 20 * time.Millisecond }),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &franzMember{name: name, cl: cl, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			fetches := cl.PollFetches(ctx)
			if fetches.IsClientClosed() {
				return
			}
			fetches.EachRecord(func(r *kgo.Record) { ta.addAt(name, r.Partition, r.Offset, string(r.Value)) })
		}
	}()
	t.Cleanup(m.close)
	return m
}

// close stops polling and closes the client, which commits and leaves the
// group. It is safe to call twice.
func (m *franzMember) close() {
	m.cancel()
	<-m.done
	m.cl.Close()
}

// assignments returns, per member client id, the partitions a Stable group
// assigns to it; nil unless the group is Stable.
func assignments(t testing.TB, adm *kadm.Client, group string) map[string][]int32 {
	t.Helper()
	described, err := adm.DescribeGroups(testCtx(t), group)
	if err != nil {
		t.Fatalf("DescribeGroups: %v", err)
	}
	d := described[group]
	if d.Err != nil {
		t.Fatalf("DescribeGroups: %v", d.Err)
	}
	if d.State != "Stable" {
		return nil
	}
	out := map[string][]int32{}
	for _, m := range d.Members {
		a, ok := m.Assigned.AsConsumer()
		if !ok {
			t.Fatalf("member %s: assignment is not the consumer protocol's", m.MemberID)
		}
		for _, topic := range a.Topics {
			out[m.ClientID] = append(out[m.ClientID], topic.Partitions...)
		}
		slices.Sort(out[m.ClientID])
	}
	return out
}

// killSwitch is a dialer whose connections can all be cut at once, to make
// a client vanish without leaving its group.
type killSwitch struct {
	mu     sync.Mutex
	conns  []net.Conn
	killed bool
}

func (k *killSwitch) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.killed {
		return nil, fmt.Errorf("dial %s: killed", address)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, address)
	if err == nil {
		k.conns = append(k.conns, c)
	}
	return c, err
}

// Dial serves clients that want a proxy.Dialer (sarama).
func (k *killSwitch) Dial(network, address string) (net.Conn, error) {
	return k.DialContext(context.Background(), network, address)
}

// kill closes every connection and refuses new ones.
func (k *killSwitch) kill() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.killed = true
	for _, c := range k.conns {
		c.Close()
	}
}
