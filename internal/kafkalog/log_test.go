package kafkalog_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"conflux/internal/kafkalog"
	"conflux/internal/kafkalog/logtest"
)

// collector is an apply function that remembers what it saw.
type collector struct {
	mu   sync.Mutex
	recs []kafkalog.Record
}

func (c *collector) apply(r kafkalog.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, r)
}

func (c *collector) records() []kafkalog.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.recs)
}

// latest returns the latest value per key, as a compacted view.
func (c *collector) latest() map[string]string {
	out := map[string]string{}
	for _, r := range c.records() {
		if r.Value == nil {
			delete(out, string(r.Key))
		} else {
			out[string(r.Key)] = string(r.Value)
		}
	}
	return out
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func openLog(t *testing.T, cfg kafkalog.Config) (*kafkalog.Log, *collector) {
	t.Helper()
	c := &collector{}
	l, err := kafkalog.Open(testCtx(t), cfg, c.apply)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l, c
}

func admin(t *testing.T, addr string) sarama.ClusterAdmin {
	t.Helper()
	conf := sarama.NewConfig()
	conf.Version = sarama.V2_8_0_0
	a, err := sarama.NewClusterAdmin([]string{addr}, conf)
	if err != nil {
		t.Fatalf("admin: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestOpenCreatesCompactedTopic(t *testing.T) {
	b := logtest.StartBroker(t)
	l, _ := openLog(t, kafkalog.Config{
		Brokers:      []string{b.Addr()},
		Topic:        "connect-offsets",
		Partitions:   7,
		TopicConfigs: map[string]string{"cleanup.policy": "delete", "retention.ms": "1234"},
	})
	if got := l.Partitions(); got != 7 {
		t.Errorf("partitions = %d, want 7", got)
	}
	if !l.Idempotent() {
		t.Errorf("producer is not idempotent against a broker that supports it")
	}
	entries, err := admin(t, b.Addr()).DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: "connect-offsets"})
	if err != nil {
		t.Fatalf("describe configs: %v", err)
	}
	got := map[string]string{}
	for _, e := range entries {
		got[e.Name] = e.Value
	}
	if got["cleanup.policy"] != "compact" {
		t.Errorf("cleanup.policy = %q, want compact (a user policy must be ignored)", got["cleanup.policy"])
	}
	if got["retention.ms"] != "1234" {
		t.Errorf("retention.ms = %q, want the passed-through 1234", got["retention.ms"])
	}
}

func TestOpenRejectsTopicThatIsNotCompacted(t *testing.T) {
	b := logtest.StartBroker(t)
	a := admin(t, b.Addr())
	for i, policy := range []string{"delete", "compact,delete"} {
		topic := fmt.Sprintf("t%d", i)
		if err := a.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1,
			ConfigEntries: map[string]*string{"cleanup.policy": &policy}}, false); err != nil {
			t.Fatalf("create %s: %v", topic, err)
		}
		_, err := kafkalog.Open(testCtx(t), kafkalog.Config{Brokers: []string{b.Addr()}, Topic: topic,
			ConfigKey: "offset.storage.topic", Purpose: "source offsets"}, func(kafkalog.Record) {})
		if !errors.Is(err, kafkalog.ErrNotCompacted) {
			t.Errorf("policy %s: err = %v, want ErrNotCompacted", policy, err)
		} else {
			t.Logf("policy %s: %v", policy, err)
		}
	}
}

func TestOpenAcceptsExistingCompactedTopic(t *testing.T) {
	b := logtest.StartBroker(t)
	policy := "compact"
	if err := admin(t, b.Addr()).CreateTopic("existing", &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"cleanup.policy": &policy}}, false); err != nil {
		t.Fatalf("create: %v", err)
	}
	l, _ := openLog(t, kafkalog.Config{Brokers: []string{b.Addr()}, Topic: "existing", Partitions: 25})
	if l.Partitions() != 3 {
		t.Errorf("partitions = %d, want the existing 3", l.Partitions())
	}
}

func TestWriteReadsBackAndOtherLogsSeeIt(t *testing.T) {
	b := logtest.StartBroker(t)
	cfg := kafkalog.Config{Brokers: []string{b.Addr()}, Topic: "log", Partitions: 5}
	l1, c1 := openLog(t, cfg)
	ctx := testCtx(t)

	var msgs []kafkalog.Message
	for i := range 50 {
		msgs = append(msgs, kafkalog.Message{Key: fmt.Appendf(nil, "k%d", i%10), Value: fmt.Appendf(nil, "v%d", i)})
	}
	if err := l1.Write(ctx, msgs...); err != nil {
		t.Fatalf("write: %v", err)
	}
	// Read-your-writes: the records are applied when Write returns.
	if got := len(c1.records()); got != 50 {
		t.Fatalf("applied %d records after Write, want 50", got)
	}
	if err := l1.Write(ctx, kafkalog.Message{Key: []byte("k3")}); err != nil {
		t.Fatalf("write tombstone: %v", err)
	}
	want := map[string]string{}
	for i := 40; i < 50; i++ {
		want[fmt.Sprintf("k%d", i%10)] = fmt.Sprintf("v%d", i)
	}
	delete(want, "k3")
	checkMap(t, "writer", c1.latest(), want)

	// Per partition, records arrive in offset order.
	last := map[int32]int64{}
	for _, r := range c1.records() {
		if o, ok := last[r.Partition]; ok && r.Offset <= o {
			t.Fatalf("partition %d: offset %d applied after %d", r.Partition, r.Offset, o)
		}
		last[r.Partition] = r.Offset
		if want := kafkalog.PartitionFor(r.Key, 5); r.Partition != want {
			t.Errorf("key %s on partition %d, want %d", r.Key, r.Partition, want)
		}
	}

	// A second log on the topic reads everything on open.
	_, c2 := openLog(t, cfg)
	checkMap(t, "second log", c2.latest(), want)
	var tomb *kafkalog.Record
	for _, r := range c2.records() {
		if string(r.Key) == "k3" && r.Value == nil {
			tomb = &r
		}
	}
	if tomb == nil {
		t.Errorf("tombstone for k3 not delivered as a nil value")
	}

	// And catches up on later writes with ReadToEnd.
	if err := l1.Write(ctx, kafkalog.Message{Key: []byte("late"), Value: []byte("x")}); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := l1.ReadToEnd(ctx); err != nil {
		t.Fatalf("read to end: %v", err)
	}
	if c1.latest()["late"] != "x" {
		t.Errorf("late write not applied")
	}
}

func TestEmptyValueIsNotATombstone(t *testing.T) {
	b := logtest.StartBroker(t)
	l, c := openLog(t, kafkalog.Config{Brokers: []string{b.Addr()}, Topic: "log", Partitions: 1})
	if err := l.Write(testCtx(t), kafkalog.Message{Key: []byte("k"), Value: []byte{}}); err != nil {
		t.Fatal(err)
	}
	recs := c.records()
	if len(recs) != 1 || recs[0].Value == nil {
		t.Fatalf("records = %+v, want one with an empty non-nil value", recs)
	}
}

func TestWriteRejectsNilKey(t *testing.T) {
	b := logtest.StartBroker(t)
	l, _ := openLog(t, kafkalog.Config{Brokers: []string{b.Addr()}, Topic: "log", Partitions: 1})
	if err := l.Write(testCtx(t), kafkalog.Message{Value: []byte("v")}); err == nil {
		t.Fatal("write without key succeeded")
	}
}

// Java's murmur2 test vectors (Kafka's UtilsTest.testMurmur2): the partition
// of a key is (murmur2(key) & 0x7fffffff) % n.
var javaMurmur2 = []struct {
	key  string
	hash int32
}{
	{"21", -973932308},
	{"foobar", -790332482},
	{"a-little-bit-long-string", -985981536},
	{"a-little-bit-longer-string", -1486304829},
	{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
	{"abc", 479470107},
}

func TestPartitionForMatchesJava(t *testing.T) {
	for _, n := range []int32{5, 25, 7} {
		for _, v := range javaMurmur2 {
			want := (v.hash & 0x7fffffff) % n
			if got := kafkalog.PartitionFor([]byte(v.key), n); got != want {
				t.Errorf("PartitionFor(%q, %d) = %d, want %d", v.key, n, got, want)
			}
		}
	}
}

// TestPartitionForMatchesSarama checks every key length's tail handling
// against sarama's murmur2 partitioner, which Kafka's tests also pin.
func TestPartitionForMatchesSarama(t *testing.T) {
	ref := sarama.NewMurmur2Partitioner("t")
	key := make([]byte, 0, 64)
	for i := range 64 * 50 {
		key = append(key[:0], fmt.Sprintf("%x", uint64(i)*0x9e3779b97f4a7c15)...)
		key = key[:i%64%len(key)+1]
		n := int32(1 + i%97)
		want, _ := ref.Partition(&sarama.ProducerMessage{Key: sarama.ByteEncoder(key)}, n)
		if got := kafkalog.PartitionFor(key, n); got != want {
			t.Fatalf("PartitionFor(%q, %d) = %d, sarama says %d", key, n, got, want)
		}
	}
}

func TestRecordsLandWhereJavaPutsThem(t *testing.T) {
	b := logtest.StartBroker(t)
	l, _ := openLog(t, kafkalog.Config{Brokers: []string{b.Addr()}, Topic: "connect-status", Partitions: 25})
	var msgs []kafkalog.Message
	for _, v := range javaMurmur2 {
		msgs = append(msgs, kafkalog.Message{Key: []byte(v.key), Value: []byte("x")})
	}
	if err := l.Write(testCtx(t), msgs...); err != nil {
		t.Fatal(err)
	}
	raw := logtest.ReadAll(t, b.Addr(), "connect-status")
	if len(raw) != len(javaMurmur2) {
		t.Fatalf("read %d records, want %d", len(raw), len(javaMurmur2))
	}
	for _, r := range raw {
		for _, v := range javaMurmur2 {
			if v.key == string(r.Key) {
				if want := (v.hash & 0x7fffffff) % 25; r.Partition != want {
					t.Errorf("key %q on partition %d, Java puts it on %d", v.key, r.Partition, want)
				}
			}
		}
	}
}

func TestSendAndFlush(t *testing.T) {
	b := logtest.StartBroker(t)
	l, c := openLog(t, kafkalog.Config{Brokers: []string{b.Addr()}, Topic: "log", Partitions: 3})
	var mu sync.Mutex
	acked := 0
	for i := range 200 {
		err := l.Send(fmt.Appendf(nil, "k%d", i), []byte("v"), func(err error) {
			if err != nil {
				t.Errorf("send: %v", err)
			}
			mu.Lock()
			acked++
			mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx := testCtx(t)
	if err := l.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	mu.Lock()
	if acked != 200 {
		t.Errorf("%d callbacks after Flush, want 200", acked)
	}
	mu.Unlock()
	if err := l.ReadToEnd(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(c.latest()); got != 200 {
		t.Errorf("applied %d keys, want 200", got)
	}
	if err := l.Flush(ctx); err != nil {
		t.Errorf("empty flush: %v", err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	b := logtest.StartBroker(t)
	cfg := kafkalog.Config{Brokers: []string{b.Addr()}, Topic: "log", Partitions: 5}
	l1, c1 := openLog(t, cfg)
	l2, c2 := openLog(t, cfg)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for w, l := range []*kafkalog.Log{l1, l2, l1, l2} {
		wg.Go(func() {
			for i := range 25 {
				if err := l.Write(ctx, kafkalog.Message{Key: fmt.Appendf(nil, "w%d-%d", w, i), Value: []byte("v")}); err != nil {
					t.Errorf("write: %v", err)
				}
				if i%5 == 0 {
					if err := l.ReadToEnd(ctx); err != nil {
						t.Errorf("read to end: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
	for _, l := range []*kafkalog.Log{l1, l2} {
		if err := l.ReadToEnd(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n1, n2 := len(c1.latest()), len(c2.latest()); n1 != 100 || n2 != 100 {
		t.Errorf("keys seen: %d and %d, want 100 each", n1, n2)
	}
}

func TestBrokerRestartLosesNothingAcknowledged(t *testing.T) {
	b := logtest.StartBroker(t)
	cfg := kafkalog.Config{Brokers: []string{b.Addr()}, Topic: "log", Partitions: 5, RetryBackoff: 50 * time.Millisecond}
	l, c := openLog(t, cfg)
	ctx := testCtx(t)

	var acked sync.Map
	write := func(i int) {
		key := fmt.Sprintf("k%03d", i)
		if err := l.Write(ctx, kafkalog.Message{Key: []byte(key), Value: []byte("v")}); err != nil {
			t.Errorf("write %s: %v", key, err)
			return
		}
		acked.Store(key, true)
	}
	for i := range 50 {
		write(i)
	}
	// Writes keep going while the broker restarts underneath.
	var wg sync.WaitGroup
	started := make(chan struct{})
	wg.Go(func() {
		for i := 50; i < 150; i++ {
			if i == 60 {
				close(started)
			}
			write(i)
		}
	})
	<-started
	b.Restart()
	wg.Wait()
	if err := l.ReadToEnd(ctx); err != nil {
		t.Fatalf("read to end after restart: %v", err)
	}
	seen := c.latest()
	_, fresh := openLog(t, cfg)
	reread := fresh.latest()
	acked.Range(func(k, _ any) bool {
		if _, ok := seen[k.(string)]; !ok {
			t.Errorf("acknowledged %s not applied by the writer", k)
		}
		if _, ok := reread[k.(string)]; !ok {
			t.Errorf("acknowledged %s not read by a new log", k)
		}
		return true
	})
	if len(reread) != 150 {
		t.Errorf("new log sees %d keys, want 150", len(reread))
	}
}

func TestReadToEndWaitsForBrokerAndHonoursContext(t *testing.T) {
	b := logtest.StartBroker(t)
	l, _ := openLog(t, kafkalog.Config{Brokers: []string{b.Addr()}, Topic: "log", Partitions: 1, RetryBackoff: 20 * time.Millisecond})
	b.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if err := l.ReadToEnd(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read to end with the broker down: %v, want deadline exceeded", err)
	}
	b.Start()
	if err := l.ReadToEnd(testCtx(t)); err != nil {
		t.Fatalf("read to end after the broker came back: %v", err)
	}
}

func TestClose(t *testing.T) {
	b := logtest.StartBroker(t)
	l, err := kafkalog.Open(testCtx(t), kafkalog.Config{Brokers: []string{b.Addr()}, Topic: "log"}, func(kafkalog.Record) {})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if err := l.Write(testCtx(t), kafkalog.Message{Key: []byte("k")}); !errors.Is(err, kafkalog.ErrClosed) {
		t.Errorf("write after close: %v, want ErrClosed", err)
	}
	if err := l.ReadToEnd(testCtx(t)); !errors.Is(err, kafkalog.ErrClosed) {
		t.Errorf("read after close: %v, want ErrClosed", err)
	}
}

func TestOpenFailsWithoutBroker(t *testing.T) {
	b := logtest.StartBroker(t)
	addr := b.Addr()
	b.Stop()
	conf := sarama.NewConfig()
	conf.Version = sarama.V2_8_0_0
	conf.Net.DialTimeout = 200 * time.Millisecond
	conf.Metadata.Retry.Max = 0
	_, err := kafkalog.Open(testCtx(t), kafkalog.Config{Brokers: []string{addr}, Topic: "log", Sarama: conf}, func(kafkalog.Record) {})
	if err == nil {
		t.Fatal("open succeeded without a broker")
	}
}

func TestConfigValidation(t *testing.T) {
	for _, cfg := range []kafkalog.Config{
		{Topic: "t"},
		{Brokers: []string{"127.0.0.1:1"}},
	} {
		if _, err := kafkalog.Open(t.Context(), cfg, func(kafkalog.Record) {}); !errors.Is(err, kafkalog.ErrInvalidConfig) {
			t.Errorf("Open(%+v) = %v, want ErrInvalidConfig", cfg, err)
		}
	}
	if _, err := kafkalog.Open(t.Context(), kafkalog.Config{Brokers: []string{"x"}, Topic: "t"}, nil); !errors.Is(err, kafkalog.ErrInvalidConfig) {
		t.Errorf("nil apply: %v, want ErrInvalidConfig", err)
	}
}

func checkMap(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d keys, want %d", what, len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got[k], v)
		}
	}
}
