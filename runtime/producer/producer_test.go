package producer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"

	"conflux/broker"
	"conflux/internal/brokertest"
	"conflux/internal/kafkalog"
	"conflux/internal/saramaconf"
	"conflux/runtime/producer"
)

// keyed places keyed messages as Kafka's Java producer does and the rest on
// the partition in their Metadata (an int32), or 0.
type keyed struct{}

func (keyed) Partition(m *producer.Message, n int32) (int32, error) {
	if p, ok := m.Metadata.(int32); ok {
		return p, nil
	}
	if m.Key != nil {
		return kafkalog.PartitionFor(m.Key, n), nil
	}
	return 0, nil
}

// acks collects the producer's reports.
type acks struct {
	mu   sync.Mutex
	got  []*producer.Message
	errs map[*producer.Message]error
	all  chan struct{} // closed once want reports arrived
	want int
}

func newAcks(want int) *acks {
	return &acks{errs: map[*producer.Message]error{}, all: make(chan struct{}), want: want}
}

func (a *acks) ack(m *producer.Message, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, m)
	if err != nil {
		a.errs[m] = err
	}
	if len(a.got) == a.want {
		close(a.all)
	}
}

// await waits for every report.
func (a *acks) await(t testing.TB, within time.Duration) {
	t.Helper()
	select {
	case <-a.all:
	case <-time.After(within):
		a.mu.Lock()
		defer a.mu.Unlock()
		t.Fatalf("%d of %d messages reported after %v", len(a.got), a.want, within)
	}
}

// config is a source task's producer configuration: idempotent, acks=all.
func config() *sarama.Config {
	sc := saramaconf.New()
	sc.Metadata.AllowAutoTopicCreation = true
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Idempotent = true
	sc.Net.MaxOpenRequests = 5
	sc.Producer.Retry.Max = 10
	sc.Producer.Compression = sarama.CompressionLZ4
	sc.Producer.Flush.Frequency = 5 * time.Millisecond
	sc.Producer.Flush.Bytes = 64 << 10
	return sc
}

func start(t *testing.T, addr string, sc *sarama.Config, a *acks, buffer int) *producer.Producer {
	t.Helper()
	return startWith(t, addr, sc, producer.Options{Ack: a.ack, BufferBytes: buffer})
}

func startWith(t testing.TB, addr string, sc *sarama.Config, opts producer.Options) *producer.Producer {
	t.Helper()
	opts.NewPartitioner = func(string) producer.Partitioner { return keyed{} }
	p, err := producer.New([]string{addr}, sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// TestProducerDelivers sends keyed records with headers and timestamps to
// three partitions and reads them back with franz-go: every record is
// acknowledged at the offset where it is stored, in send order within its
// partition, with its key, value, headers and timestamp.
func TestProducerDelivers(t *testing.T) {
	addr := brokertest.StartWith(t, broker.Config{AutoCreateTopics: true, NumPartitions: 3})
	const n = 20000
	a := newAcks(n)
	p := start(t, addr, config(), a, 0)
	base := time.UnixMilli(1_700_000_000_000)
	sent := make([]*producer.Message, n)
	for i := range n {
		m := &producer.Message{
			Topic: "users", Key: fmt.Appendf(nil, "k%d", i%50), Value: fmt.Appendf(nil, "value %d", i),
			Headers:   []sarama.RecordHeader{{Key: []byte("seq"), Value: fmt.Appendf(nil, "%d", i)}},
			Timestamp: base.Add(time.Duration(i%7) * time.Millisecond),
		}
		if i%1000 == 999 {
			m.Value = nil // a tombstone
		}
		sent[i] = m
		if err := p.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	a.await(t, 30*time.Second)
	for m, err := range a.errs {
		t.Fatalf("%s: %v", m.Key, err)
	}
	last := map[int32]int64{0: -1, 1: -1, 2: -1}
	for _, m := range sent {
		if want := kafkalog.PartitionFor(m.Key, 3); m.Partition != want {
			t.Fatalf("key %s on partition %d, Java's producer puts it on %d", m.Key, m.Partition, want)
		}
		if m.Offset <= last[m.Partition] {
			t.Fatalf("partition %d: offset %d after %d: not in send order", m.Partition, m.Offset, last[m.Partition])
		}
		last[m.Partition] = m.Offset
	}

	byPlace := map[[2]int64]*kgo.Record{}
	for _, r := range brokertest.ReadRecords(t, addr, "users", n) {
		byPlace[[2]int64{int64(r.Partition), r.Offset}] = r
	}
	for i, m := range sent {
		r := byPlace[[2]int64{int64(m.Partition), m.Offset}]
		switch {
		case r == nil:
			t.Fatalf("record %d acknowledged at %d-%d, not there", i, m.Partition, m.Offset)
		case !bytes.Equal(r.Key, m.Key) || !bytes.Equal(r.Value, m.Value) || (r.Value == nil) != (m.Value == nil):
			t.Fatalf("record %d: stored %q=%q, sent %q=%q", i, r.Key, r.Value, m.Key, m.Value)
		case len(r.Headers) != 1 || r.Headers[0].Key != "seq" || string(r.Headers[0].Value) != fmt.Sprint(i):
			t.Fatalf("record %d: headers %v", i, r.Headers)
		case !r.Timestamp.Equal(m.Timestamp):
			t.Fatalf("record %d: timestamp %v, sent %v", i, r.Timestamp, m.Timestamp)
		}
	}
}

// TestProducerReportsBadRecords sends records that cannot be written among
// good ones: each bad one is reported with an error that says why, and the
// good ones are written.
func TestProducerReportsBadRecords(t *testing.T) {
	addr := brokertest.StartWith(t, broker.Config{AutoCreateTopics: true, NumPartitions: 3})
	sc := config()
	sc.Producer.MaxMessageBytes = 10_000
	a := newAcks(4)
	p := start(t, addr, sc, a, 0)
	good := []*producer.Message{{Topic: "t", Value: []byte("a")}, {Topic: "t", Value: []byte("b")}}
	large := &producer.Message{Topic: "t", Value: bytes.Repeat([]byte("x"), 20_000)}
	outside := &producer.Message{Topic: "t", Value: []byte("c"), Metadata: int32(7)}
	for _, m := range []*producer.Message{good[0], large, outside, good[1]} {
		if err := p.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	a.await(t, 10*time.Second)
	if err := a.errs[large]; !errors.Is(err, sarama.ErrMessageSizeTooLarge) || !strings.Contains(err.Error(), "max.request.size") {
		t.Errorf("20,000-byte record under max.request.size=10000: %v", err)
	}
	if err := a.errs[outside]; !errors.Is(err, sarama.ErrInvalidPartition) || !strings.Contains(err.Error(), "partition 7 of t") {
		t.Errorf("record for partition 7 of 3: %v", err)
	}
	for _, m := range good {
		if a.errs[m] != nil || m.Offset < 0 {
			t.Errorf("good record %s: offset %d, %v", m.Value, m.Offset, a.errs[m])
		}
	}
	if got := brokertest.ReadRecords(t, addr, "t", 2); len(got) != 2 {
		t.Errorf("read %d records", len(got))
	}
}

// TestProducerUnknownTopic reports records for a topic the broker does not
// create.
func TestProducerUnknownTopic(t *testing.T) {
	addr := brokertest.StartWith(t, broker.Config{AutoCreateTopics: false})
	sc := config()
	sc.Metadata.Retry.Max = 0
	a := newAcks(1)
	p := start(t, addr, sc, a, 0)
	m := &producer.Message{Topic: "missing", Value: []byte("v")}
	if err := p.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	a.await(t, 10*time.Second)
	if err := a.errs[m]; !errors.Is(err, sarama.ErrUnknownTopicOrPartition) || !strings.Contains(err.Error(), "topic missing") {
		t.Errorf("record for a topic that does not exist: %v", err)
	}
}

// restartable is a broker that can be stopped and started again on the
// same address and data.
type restartable struct {
	t   *testing.T
	cfg broker.Config
	srv *broker.Server
}

func newRestartable(t *testing.T) *restartable {
	r := &restartable{t: t, cfg: broker.Config{
		Listen: "127.0.0.1:0", DataDir: t.TempDir(), AutoCreateTopics: true, NumPartitions: 2,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}}
	r.start()
	r.cfg.Listen = r.srv.Addr()
	t.Cleanup(func() { r.srv.Close() })
	return r
}

func (r *restartable) start() {
	srv, err := broker.New(r.cfg)
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		r.t.Fatalf("start broker: %v", err)
	}
	r.srv = srv
}

// TestProducerSurvivesBrokerRestart restarts the broker while records are
// being sent, with several batches in flight: every record is acknowledged
// without error and stored once, in send order within its partition.
func TestProducerSurvivesBrokerRestart(t *testing.T) {
	b := newRestartable(t)
	const n = 30000
	a := newAcks(n)
	p := start(t, b.cfg.Listen, config(), a, 0)
	half := make(chan struct{})
	go func() {
		for i := range n {
			if i == n/2 {
				close(half)
			}
			if err := p.Send(context.Background(), &producer.Message{Topic: "r", Key: fmt.Appendf(nil, "%d", i), Value: fmt.Appendf(nil, "%d", i)}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	<-half
	b.srv.Close()
	b.start()
	a.await(t, 60*time.Second)
	for m, err := range a.errs {
		t.Fatalf("record %s: %v", m.Value, err)
	}
	seen := map[int]bool{}
	last := map[int32]int{}
	for _, r := range brokertest.ReadRecords(t, b.cfg.Listen, "r", n) {
		i, err := strconv.Atoi(string(r.Value))
		if err != nil {
			t.Fatalf("stored value %q", r.Value)
		}
		if seen[i] {
			t.Fatalf("record %d stored twice", i)
		}
		if prev, ok := last[r.Partition]; ok && i < prev {
			t.Fatalf("partition %d: record %d stored after %d", r.Partition, i, prev)
		}
		seen[i], last[r.Partition] = true, i
	}
	for i := range n {
		if !seen[i] {
			t.Fatalf("record %d acknowledged but not stored", i)
		}
	}
}

// TestProducerBackpressure holds Send once the buffer is full, of bytes or
// of records, with records the broker does not take, until ctx ends; Close
// then reports them.
func TestProducerBackpressure(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       producer.Options
		value, max int
	}{
		{"bytes", producer.Options{BufferBytes: 1024}, 100, 10}, // 26 + 8×121 bytes < 1024 admit a ninth
		{"records", producer.Options{BufferRecords: 5}, 1, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newRestartable(t)
			sc := config()
			sc.Producer.Retry.Max = 1
			sc.Producer.Retry.Backoff = 10 * time.Millisecond
			a := newAcks(math.MaxInt)
			tc.opts.Ack = a.ack
			p := startWith(t, b.cfg.Listen, sc, tc.opts)
			// The first record makes the producer learn the topic; it may
			// be written before the broker goes.
			first := &producer.Message{Topic: "bp", Value: []byte("first")}
			if err := p.Send(t.Context(), first); err != nil {
				t.Fatal(err)
			}
			b.srv.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			var err error
			sent := 0
			for err == nil {
				err = p.Send(ctx, &producer.Message{Topic: "bp", Value: bytes.Repeat([]byte("v"), tc.value)})
				sent++
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Send with a full buffer and no broker: %v, want the context's deadline", err)
			}
			// sent counts the Send that failed, and not the first record:
			// both are the records the producer holds.
			if sent > tc.max {
				t.Errorf("%d records held, more than the buffer's %d", sent, tc.max)
			}
			p.Close()
			if err := p.Send(t.Context(), &producer.Message{Topic: "bp"}); !errors.Is(err, producer.ErrClosed) {
				t.Errorf("Send after Close: %v, want ErrClosed", err)
			}
			a.mu.Lock()
			defer a.mu.Unlock()
			if reported := len(a.got); reported != sent {
				t.Errorf("%d records held, %d reported by Close", sent, reported)
			}
			for _, m := range a.got {
				if err := a.errs[m]; m != first && (err == nil || m.Offset >= 0) {
					t.Errorf("record %q with no broker: offset %d, %v", m.Value, m.Offset, err)
				}
			}
		})
	}
}

// TestProducerClose sends what is queued, however long the linger.
func TestProducerClose(t *testing.T) {
	addr := brokertest.StartWith(t, broker.Config{AutoCreateTopics: true})
	sc := config()
	sc.Producer.Flush.Frequency = time.Hour
	a := newAcks(3)
	p := start(t, addr, sc, a, 0)
	for _, v := range []string{"a", "b", "c"} {
		if err := p.Send(t.Context(), &producer.Message{Topic: "c", Value: []byte(v)}); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	select {
	case <-a.all:
	default:
		t.Fatalf("Close returned before reporting every record: %d of 3", len(a.got))
	}
	var offsets []int64
	for _, m := range a.got {
		if err := a.errs[m]; err != nil {
			t.Fatal(err)
		}
		offsets = append(offsets, m.Offset)
	}
	if !slices.Equal(offsets, []int64{0, 1, 2}) {
		t.Errorf("offsets %v, want 0 1 2", offsets)
	}
}
