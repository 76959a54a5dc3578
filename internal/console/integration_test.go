package console_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"conflux/internal/brokertest"
	"conflux/internal/console"
)

// jsonRecord is one line of the consumer's JSON output.
type jsonRecord struct {
	Topic           string             `json:"topic"`
	Partition       int32              `json:"partition"`
	Offset          int64              `json:"offset"`
	Timestamp       int64              `json:"timestamp"`
	Key             *string            `json:"key"`
	Value           *string            `json:"value"`
	KeyEncoding     string             `json:"key_encoding"`
	ValueEncoding   string             `json:"value_encoding"`
	Headers         map[string]*string `json:"headers"`
	HeadersEncoding string             `json:"headers_encoding"`
}

// bytesOf decodes a key or value field back to the record bytes.
func bytesOf(t *testing.T, s *string, encoding string) []byte {
	t.Helper()
	if s == nil {
		return nil
	}
	if encoding == "base64" {
		b, err := base64.StdEncoding.DecodeString(*s)
		if err != nil {
			t.Fatalf("bad base64 %q: %v", *s, err)
		}
		return b
	}
	return []byte(*s)
}

func newAdmin(t *testing.T, addr string) *console.TopicAdmin {
	t.Helper()
	a, err := console.NewTopicAdmin([]string{addr})
	if err != nil {
		t.Fatalf("NewTopicAdmin: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func createTopic(t *testing.T, a *console.TopicAdmin, name string, partitions int32) {
	t.Helper()
	if _, err := a.Create(console.TopicSpec{Name: name, Partitions: partitions, ReplicationFactor: 1}); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}

func produce(t *testing.T, opts console.ProducerOptions, input string) console.ProduceStats {
	t.Helper()
	p, err := console.NewProducer(opts)
	if err != nil {
		t.Fatalf("NewProducer: %v", err)
	}
	var errw bytes.Buffer
	stats, err := p.Run(context.Background(), strings.NewReader(input), &errw)
	if err != nil {
		t.Fatalf("produce: %v (stderr: %s)", err, errw.String())
	}
	return stats
}

// consume reads up to max records from the beginning of topic (all
// partitions unless partition >= 0), giving up after idle of silence.
func consume(t *testing.T, addr, topic string, partition int32, start int64, max int64, format string) (string, int64) {
	t.Helper()
	f, err := console.NewFormatter(format, false)
	if err != nil {
		t.Fatalf("NewFormatter: %v", err)
	}
	c, err := console.NewConsumer(console.ConsumerOptions{
		Brokers: []string{addr}, Topic: topic, Partition: partition, StartOffset: start,
		MaxMessages: max, IdleTimeout: 5 * time.Second, Formatter: f,
	})
	if err != nil {
		t.Fatalf("NewConsumer: %v", err)
	}
	var out, errw bytes.Buffer
	n, err := c.Run(context.Background(), &out, &errw)
	if err != nil {
		t.Fatalf("consume: %v (stderr: %s)", err, errw.String())
	}
	return out.String(), n
}

func decodeJSONLines(t *testing.T, out string) []jsonRecord {
	t.Helper()
	var recs []jsonRecord
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		var r jsonRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func TestTopicAdminLifecycle(t *testing.T) {
	addr := brokertest.Start(t)
	a := newAdmin(t, addr)

	created, err := a.Create(console.TopicSpec{Name: "orders", Partitions: 3, ReplicationFactor: 1,
		Configs: map[string]string{"retention.ms": "12345"}})
	if err != nil || !created {
		t.Fatalf("create: created=%v err=%v", created, err)
	}

	_, err = a.Create(console.TopicSpec{Name: "orders", Partitions: 3, ReplicationFactor: 1})
	var be *console.BrokerError
	if !errors.As(err, &be) || be.Name != "TOPIC_ALREADY_EXISTS" || !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		t.Fatalf("second create: got %v, want TOPIC_ALREADY_EXISTS", err)
	}
	if created, err := a.Create(console.TopicSpec{Name: "orders", Partitions: 3, ReplicationFactor: 1, IfNotExists: true}); err != nil || created {
		t.Fatalf("create --if-not-exists: created=%v err=%v", created, err)
	}

	_, err = a.Create(console.TopicSpec{Name: "replicated", Partitions: 1, ReplicationFactor: 3})
	if !errors.As(err, &be) || be.Name != "INVALID_REPLICATION_FACTOR" {
		t.Fatalf("create RF 3: got %v, want INVALID_REPLICATION_FACTOR", err)
	}
	if !strings.Contains(err.Error(), "INVALID_REPLICATION_FACTOR: ") {
		t.Errorf("error text %q does not name the Kafka error", err)
	}
	t.Logf("RF 3 error as users see it: %v", err)

	names, err := a.List(false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, "orders") || slices.Contains(names, "replicated") {
		t.Fatalf("list = %v", names)
	}

	descs, err := a.Describe([]string{"orders"})
	if err != nil {
		t.Fatal(err)
	}
	if len(descs) != 1 || len(descs[0].Partitions) != 3 {
		t.Fatalf("describe = %+v", descs)
	}
	for _, p := range descs[0].Partitions {
		if p.Err != nil || p.Leader < 0 || len(p.Replicas) != 1 || p.LogStartOffset != 0 || p.LogEndOffset != 0 {
			t.Errorf("partition %+v", p)
		}
	}
	if got := overridesOf(descs[0]); got != "retention.ms=12345" {
		t.Errorf("overrides = %q, want retention.ms=12345", got)
	}

	produce(t, console.ProducerOptions{Brokers: []string{addr}, Topic: "orders", Partition: 1, Acks: sarama.WaitForAll}, "a\nb\nc\n")
	descs, err = a.Describe([]string{"orders"})
	if err != nil {
		t.Fatal(err)
	}
	if p := descs[0].Partitions[1]; p.LogEndOffset != 3 || p.LogStartOffset != 0 {
		t.Errorf("after 3 records: partition 1 = %+v, want log end offset 3", p)
	}
	var out bytes.Buffer
	if err := console.WriteDescriptions(&out, descs, console.DescribeOptions{AllConfigs: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Topic: orders", "PartitionCount: 3", "ReplicationFactor: 1", "Configs: retention.ms=12345",
		"Partition: 1\tLeader: ", "LogStartOffset: 0\tLogEndOffset: 3", "retention.ms=12345", "DYNAMIC_TOPIC_CONFIG"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("describe output lacks %q:\n%s", want, out.String())
		}
	}

	if err := a.AlterConfigs("orders", map[string]string{"retention.ms": "999", "cleanup.policy": "compact"}, nil); err != nil {
		t.Fatalf("alter set: %v", err)
	}
	descs, _ = a.Describe([]string{"orders"})
	if got := overridesOf(descs[0]); got != "cleanup.policy=compact,retention.ms=999" {
		t.Errorf("after set: overrides = %q", got)
	}
	if err := a.AlterConfigs("orders", nil, []string{"retention.ms"}); err != nil {
		t.Fatalf("alter delete: %v", err)
	}
	descs, _ = a.Describe([]string{"orders"})
	if got := overridesOf(descs[0]); got != "cleanup.policy=compact" {
		t.Errorf("after delete: overrides = %q", got)
	}
	err = a.AlterConfigs("orders", map[string]string{"retention.ms": "not-a-number"}, nil)
	if !errors.As(err, &be) {
		t.Errorf("alter with a bad value: got %v, want a broker error", err)
	} else {
		t.Logf("bad config value error as users see it: %v", err)
	}

	if err := a.Delete([]string{"orders"}, false); err != nil {
		t.Fatalf("delete: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		names, err := a.List(false)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(names, "orders") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic still listed after delete: %v", names)
		}
	}
	err = a.Delete([]string{"orders"}, false)
	if !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		t.Errorf("delete missing topic: got %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
	}
	if err := a.Delete([]string{"orders"}, true); err != nil {
		t.Errorf("delete --if-exists of a missing topic: %v", err)
	}
	if _, err := a.Describe([]string{"missing"}); !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		t.Errorf("describe missing topic: got %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
	}
}

func overridesOf(d console.TopicDescription) string {
	var parts []string
	for _, c := range d.Configs {
		if c.Override() {
			parts = append(parts, c.Name+"="+c.Value)
		}
	}
	return strings.Join(parts, ",")
}

// TestRoundTrip produces keyed lines with headers under every codec and
// consumes them back byte for byte, checking each key's partition.
func TestRoundTrip(t *testing.T) {
	addr := brokertest.Start(t)
	a := newAdmin(t, addr)
	big := strings.Repeat("0123456789", 90_000) // 900 kB, under the 1 MB record limit
	lines := []struct{ key, value string }{
		{"21", "a"}, {"foobar", "b"}, {"abc", "c"}, {"key1", "d"}, {"user-42", "e"}, {"k0", "f"},
		{"unicode", "héllo wörld ✓ \"quoted\" \\ back\ttab"},
		{"empty", ""},
		{"", "empty key"},
		{"colon", "value:with:colons"},
		{"binary", "\xff\xfe\x00\x01"},
		{"big", big},
	}
	var input strings.Builder
	for _, l := range lines {
		input.WriteString(l.key + ":" + l.value + "\n")
	}
	input.WriteString("crlf:windows line\r\n")
	input.WriteString("last:no newline")
	want := append(slices.Clone(lines), struct{ key, value string }{"crlf", "windows line"},
		struct{ key, value string }{"last", "no newline"})
	headers := []sarama.RecordHeader{{Key: []byte("source"), Value: []byte("test")}, {Key: []byte("eq"), Value: []byte("a=b")}}

	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			cc, err := console.ParseCompression(codec)
			if err != nil {
				t.Fatal(err)
			}
			topic := "roundtrip-" + codec
			createTopic(t, a, topic, 3)
			stats := produce(t, console.ProducerOptions{Brokers: []string{addr}, Topic: topic, ParseKey: true,
				Partition: -1, Headers: headers, Acks: sarama.WaitForAll, Compression: cc}, input.String())
			if stats.Records != int64(len(want)) || stats.Failed != 0 {
				t.Fatalf("stats = %+v, want %d records", stats, len(want))
			}
			out, n := consume(t, addr, topic, -1, sarama.OffsetOldest, int64(len(want)), "json")
			if n != int64(len(want)) {
				t.Fatalf("consumed %d records, want %d", n, len(want))
			}
			got := map[string]jsonRecord{}
			for _, r := range decodeJSONLines(t, out) {
				got[string(bytesOf(t, r.Key, r.KeyEncoding))] = r
			}
			for _, w := range want {
				r, ok := got[w.key]
				if !ok {
					t.Errorf("key %q not consumed", w.key)
					continue
				}
				if v := bytesOf(t, r.Value, r.ValueEncoding); !bytes.Equal(v, []byte(w.value)) {
					t.Errorf("key %q: value %q (%d bytes), want %q (%d bytes)", w.key, trunc(v), len(v), trunc([]byte(w.value)), len(w.value))
				}
				if r.Value == nil {
					t.Errorf("key %q: null value, want %q", w.key, w.value)
				}
				if p := console.KeyPartition([]byte(w.key), 3); r.Partition != p {
					t.Errorf("key %q on partition %d, want %d", w.key, r.Partition, p)
				}
				if r.Topic != topic || r.Timestamp <= 0 {
					t.Errorf("key %q: topic %q timestamp %d", w.key, r.Topic, r.Timestamp)
				}
				if len(r.Headers) != 2 || r.Headers["source"] == nil || *r.Headers["source"] != "test" ||
					r.Headers["eq"] == nil || *r.Headers["eq"] != "a=b" {
					t.Errorf("key %q: headers %v", w.key, r.Headers)
				}
			}
			if r := got["binary"]; r.ValueEncoding != "base64" {
				t.Errorf("invalid UTF-8 value not flagged as base64: %+v", r)
			}
		})
	}
}

func trunc(b []byte) []byte {
	if len(b) > 40 {
		return append(b[:40:40], "..."...)
	}
	return b
}

// TestKeyPartitions checks Java-compatible partitions for keyed records on 3
// and 6 partitions, against values measured with Kafka's Java client.
func TestKeyPartitions(t *testing.T) {
	addr := brokertest.Start(t)
	a := newAdmin(t, addr)
	want := map[int32]map[string]int32{
		3: {"21": 0, "foobar": 0, "abc": 0, "key1": 2, "user-42": 1, "k0": 2},
		6: {"21": 0, "foobar": 0, "abc": 3, "key1": 2, "user-42": 4, "k0": 5},
	}
	for n, table := range want {
		topic := fmt.Sprintf("keyed-%d", n)
		createTopic(t, a, topic, n)
		var input strings.Builder
		for k := range table {
			input.WriteString(k + "=v-" + k + "\n")
		}
		produce(t, console.ProducerOptions{Brokers: []string{addr}, Topic: topic, ParseKey: true, KeySeparator: "=",
			Partition: -1, Acks: sarama.WaitForLocal}, input.String())
		out, _ := consume(t, addr, topic, -1, sarama.OffsetOldest, int64(len(table)), `%p %k %v`)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != len(table) {
			t.Fatalf("%d partitions: got %d lines:\n%s", n, len(lines), out)
		}
		for _, l := range lines {
			var p int32
			var k, v string
			if _, err := fmt.Sscanf(l, "%d %s %s", &p, &k, &v); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			if p != table[k] || v != "v-"+k {
				t.Errorf("%d partitions: key %q value %q on partition %d, want partition %d", n, k, v, p, table[k])
			}
		}
	}
}

// TestConsumeLimitsAndOffsets covers --max-messages, --partition, --offset,
// latest and the idle timeout.
func TestConsumeLimitsAndOffsets(t *testing.T) {
	addr := brokertest.Start(t)
	a := newAdmin(t, addr)
	createTopic(t, a, "limits", 2)
	var input strings.Builder
	for i := range 10 {
		fmt.Fprintf(&input, "r%d\n", i)
	}
	produce(t, console.ProducerOptions{Brokers: []string{addr}, Topic: "limits", Partition: 1, Acks: sarama.WaitForAll}, input.String())

	out, n := consume(t, addr, "limits", -1, sarama.OffsetOldest, 4, "")
	if n != 4 || out != "r0\nr1\nr2\nr3\n" {
		t.Errorf("--max-messages 4: n=%d out=%q", n, out)
	}
	out, n = consume(t, addr, "limits", 1, 7, 3, `%p:%o:%v`)
	if out != "1:7:r7\n1:8:r8\n1:9:r9\n" {
		t.Errorf("--partition 1 --offset 7: n=%d out=%q", n, out)
	}

	// With an idle timeout and no limit, the consumer reads everything and
	// then stops on its own.
	f, _ := console.NewFormatter("", true)
	c, err := console.NewConsumer(console.ConsumerOptions{Brokers: []string{addr}, Topic: "limits", Partition: -1,
		StartOffset: sarama.OffsetOldest, IdleTimeout: 500 * time.Millisecond, Formatter: f})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err = c.Run(context.Background(), &buf, &bytes.Buffer{})
	if err != nil || n != 10 || !strings.HasPrefix(buf.String(), "null\tr0\n") {
		t.Errorf("idle timeout: n=%d err=%v out=%q", n, err, buf.String())
	}

	// From latest, nothing old is printed.
	c, err = console.NewConsumer(console.ConsumerOptions{Brokers: []string{addr}, Topic: "limits", Partition: -1,
		StartOffset: sarama.OffsetNewest, IdleTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if n, err := c.Run(context.Background(), &buf, &bytes.Buffer{}); err != nil || n != 0 {
		t.Errorf("from latest: n=%d err=%v out=%q", n, err, buf.String())
	}

	if _, err := console.NewConsumer(console.ConsumerOptions{Brokers: []string{addr}, Topic: "limits", Partition: 5}); err != nil {
		t.Fatal(err)
	} else {
		c, _ := console.NewConsumer(console.ConsumerOptions{Brokers: []string{addr}, Topic: "limits", Partition: 5, StartOffset: sarama.OffsetOldest})
		if _, err := c.Run(context.Background(), &buf, &buf); !errors.Is(err, console.ErrUnknownPartition) {
			t.Errorf("partition 5 of 2: got %v, want ErrUnknownPartition", err)
		}
	}
	c, _ = console.NewConsumer(console.ConsumerOptions{Brokers: []string{addr}, Topic: "nope", Partition: -1, StartOffset: sarama.OffsetOldest})
	if _, err := c.Run(context.Background(), &buf, &buf); !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		t.Errorf("missing topic: got %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
	}
}

// TestProduceOptions covers null keys spreading, explicit partitions,
// acks=0 and the idempotent producer.
func TestProduceOptions(t *testing.T) {
	addr := brokertest.Start(t)
	a := newAdmin(t, addr)
	createTopic(t, a, "spread", 3)

	var input strings.Builder
	const n = 5000
	for i := range n {
		fmt.Fprintf(&input, "value-%d\n", i)
	}
	produce(t, console.ProducerOptions{Brokers: []string{addr}, Topic: "spread", Partition: -1, Acks: sarama.WaitForAll}, input.String())
	out, got := consume(t, addr, "spread", -1, sarama.OffsetOldest, n, "%p")
	if got != n {
		t.Fatalf("consumed %d of %d", got, n)
	}
	perPartition := map[string]int{}
	for _, p := range strings.Fields(out) {
		perPartition[p]++
	}
	if len(perPartition) < 2 {
		t.Errorf("null-key records all on one partition: %v", perPartition)
	}

	createTopic(t, a, "acks0", 1)
	produce(t, console.ProducerOptions{Brokers: []string{addr}, Topic: "acks0", Partition: -1, Acks: sarama.NoResponse}, "x\ny\n")
	if out, _ := consume(t, addr, "acks0", -1, sarama.OffsetOldest, 2, ""); out != "x\ny\n" {
		t.Errorf("acks=0: consumed %q", out)
	}

	createTopic(t, a, "idem", 2)
	produce(t, console.ProducerOptions{Brokers: []string{addr}, Topic: "idem", Partition: -1, ParseKey: true,
		Acks: sarama.WaitForAll, Idempotent: true}, "k1:v1\nk2:v2\nk3:v3\n")
	if _, got := consume(t, addr, "idem", -1, sarama.OffsetOldest, 3, ""); got != 3 {
		t.Errorf("idempotent: consumed %d of 3", got)
	}

	// A malformed line stops the producer with an error after delivering the
	// lines before it.
	createTopic(t, a, "malformed", 1)
	p, _ := console.NewProducer(console.ProducerOptions{Brokers: []string{addr}, Topic: "malformed", Partition: -1,
		ParseKey: true, Acks: sarama.WaitForAll})
	stats, err := p.Run(context.Background(), strings.NewReader("a:1\nb:2\nno separator\nc:3\n"), &bytes.Buffer{})
	if !errors.Is(err, console.ErrNoKeySeparator) || !strings.Contains(err.Error(), "line 3") || stats.Records != 2 {
		t.Errorf("malformed line: stats=%+v err=%v", stats, err)
	}
	if out, _ := consume(t, addr, "malformed", -1, sarama.OffsetOldest, 2, "%k=%v"); out != "a=1\nb=2\n" {
		t.Errorf("records before the malformed line: %q", out)
	}
}
