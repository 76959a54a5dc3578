package runtime

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"conflux/configs"
)

// lockedBuffer is an io.Writer for loggers used from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func bufferLogger() (*slog.Logger, *lockedBuffer) {
	var buf lockedBuffer
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

func TestApplyProducerSettings(t *testing.T) {
	sc := baseSarama("test")
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Idempotent = true
	logger, logs := bufferLogger()
	err := applyClientSettings(sc, "producer", map[string]string{
		"compression.type":                      "LZ4",
		"linger.ms":                             " 25 ",
		"batch.size":                            "65536",
		"max.request.size":                      "2097152",
		"request.timeout.ms":                    "1500",
		"retries":                               "0",
		"retry.backoff.ms":                      "40",
		"client.id":                             "my-producer",
		"max.in.flight.requests.per.connection": "3",
		"buffer.memory":                         "33554432", // not a sarama setting: ignored
	}, producerOptions, logger)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"compression", sc.Producer.Compression, sarama.CompressionLZ4},
		{"linger", sc.Producer.Flush.Frequency, 25 * time.Millisecond},
		{"batch bytes", sc.Producer.Flush.Bytes, 65536},
		{"max message bytes", sc.Producer.MaxMessageBytes, 2097152},
		{"produce timeout", sc.Producer.Timeout, 1500 * time.Millisecond},
		{"read timeout", sc.Net.ReadTimeout, 6500 * time.Millisecond},
		{"retries", sc.Producer.Retry.Max, 0},
		{"retry backoff", sc.Producer.Retry.Backoff, 40 * time.Millisecond},
		{"client id", sc.ClientID, "my-producer"},
		{"in flight", sc.Net.MaxOpenRequests, 3},
		{"acks untouched", sc.Producer.RequiredAcks, sarama.WaitForAll},
		{"idempotence untouched", sc.Producer.Idempotent, true},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if !strings.Contains(logs.String(), "setting=producer.buffer.memory") {
		t.Errorf("the ignored setting is not logged; logs:\n%s", logs)
	}
}

func TestApplyProducerAcks(t *testing.T) {
	for _, tc := range []struct {
		settings   map[string]string
		acks       sarama.RequiredAcks
		idempotent bool
	}{
		{map[string]string{"acks": "all"}, sarama.WaitForAll, true},
		{map[string]string{"acks": "-1"}, sarama.WaitForAll, true},
		{map[string]string{"acks": "1"}, sarama.WaitForLocal, false},
		// Keys apply in order: idempotence needs acks=all, whatever the
		// user says.
		{map[string]string{"acks": "1", "enable.idempotence": "true"}, sarama.WaitForLocal, false},
		{map[string]string{"enable.idempotence": "false"}, sarama.WaitForAll, false},
		{map[string]string{"enable.idempotence": "true"}, sarama.WaitForAll, true},
	} {
		sc := baseSarama("test")
		sc.Producer.RequiredAcks = sarama.WaitForAll
		sc.Producer.Idempotent = true
		if err := applyClientSettings(sc, "producer", tc.settings, producerOptions, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("%v: %v", tc.settings, err)
		}
		if sc.Producer.RequiredAcks != tc.acks || sc.Producer.Idempotent != tc.idempotent {
			t.Errorf("%v: acks %v, idempotent %v; want %v, %v", tc.settings, sc.Producer.RequiredAcks, sc.Producer.Idempotent, tc.acks, tc.idempotent)
		}
	}
}

// TestProducerInFlightBounds refuses more requests in flight than the
// producer can keep in order, and fewer than one, saying why.
func TestProducerInFlightBounds(t *testing.T) {
	for _, v := range []string{"0", "6", "many"} {
		err := applyClientSettings(baseSarama("test"), "producer", map[string]string{"max.in.flight.requests.per.connection": v}, producerOptions, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), "max.in.flight.requests.per.connection") || !strings.Contains(err.Error(), "from 1 to 5") {
			t.Errorf("max.in.flight.requests.per.connection=%s: %v", v, err)
		}
	}
}

func TestApplyConsumerSettings(t *testing.T) {
	sc := baseSarama("test")
	logger, logs := bufferLogger()
	err := applyClientSettings(sc, "consumer", map[string]string{
		"fetch.min.bytes":               "10",
		"fetch.max.wait.ms":             "250",
		"max.partition.fetch.bytes":     "4096",
		"fetch.max.bytes":               "8192",
		"session.timeout.ms":            "12000",
		"heartbeat.interval.ms":         "1000",
		"max.poll.interval.ms":          "30000",
		"auto.offset.reset":             "latest",
		"isolation.level":               "read_committed",
		"partition.assignment.strategy": "org.apache.kafka.clients.consumer.RoundRobinAssignor, range",
		"max.poll.records":              "50", // the sink loop's: not warned about
		"enable.auto.commit":            "true",
	}, consumerOptions, logger)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"fetch min", sc.Consumer.Fetch.Min, int32(10)},
		{"max wait", sc.Consumer.MaxWaitTime, 250 * time.Millisecond},
		{"fetch default", sc.Consumer.Fetch.Default, int32(4096)},
		{"fetch max", sc.Consumer.Fetch.Max, int32(8192)},
		{"session timeout", sc.Consumer.Group.Session.Timeout, 12 * time.Second},
		{"heartbeat", sc.Consumer.Group.Heartbeat.Interval, time.Second},
		{"rebalance timeout", sc.Consumer.Group.Rebalance.Timeout, 30 * time.Second},
		{"initial offset", sc.Consumer.Offsets.Initial, sarama.OffsetNewest},
		{"isolation", sc.Consumer.IsolationLevel, sarama.ReadCommitted},
		{"strategies", len(sc.Consumer.Group.Rebalance.GroupStrategies), 2},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if s := sc.Consumer.Group.Rebalance.GroupStrategies; len(s) == 2 && (s[0].Name() != "roundrobin" || s[1].Name() != "range") {
		t.Errorf("strategies %s, %s; want roundrobin, range", s[0].Name(), s[1].Name())
	}
	if err := sc.Validate(); err != nil {
		t.Errorf("the resulting sarama config is invalid: %v", err)
	}
	if l := logs.String(); strings.Contains(l, "max.poll.records") || !strings.Contains(l, "setting=consumer.enable.auto.commit") {
		t.Errorf("logs should warn about enable.auto.commit only:\n%s", l)
	}
}

func TestApplyClientSettingsBadValues(t *testing.T) {
	for _, tc := range []struct {
		kind, key, value string
	}{
		{"producer", "compression.type", "brotli"},
		{"producer", "linger.ms", "-1"},
		{"producer", "linger.ms", "5s"},
		{"producer", "batch.size", "0"},
		{"producer", "max.request.size", "big"},
		{"producer", "retries", "-2"},
		{"producer", "acks", "0"},
		{"producer", "enable.idempotence", "yes please"},
		{"consumer", "auto.offset.reset", "none"},
		{"consumer", "isolation.level", "serializable"},
		{"consumer", "partition.assignment.strategy", "range,cooperative-sticky"},
		{"consumer", "fetch.min.bytes", "0"},
		{"consumer", "session.timeout.ms", "1e4"},
	} {
		options := producerOptions
		if tc.kind == "consumer" {
			options = consumerOptions
		}
		sc := baseSarama("test")
		// A good setting before the bad one must not hide it.
		err := applyClientSettings(sc, tc.kind, map[string]string{tc.key: tc.value, "client.id": "x"}, options, slog.New(slog.DiscardHandler))
		if !errors.Is(err, ErrInvalidClientConfig) {
			t.Errorf("%s.%s=%s: %v, want ErrInvalidClientConfig", tc.kind, tc.key, tc.value, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.kind+"."+tc.key) {
			t.Errorf("%s.%s=%s: error %q does not name the setting", tc.kind, tc.key, tc.value, err)
		}
	}
}

// TestWorkerClientSettingsOverrides checks <kind>.override.* settings
// replace the worker's, as connector.client.config.override.policy allows.
func TestWorkerClientSettingsOverrides(t *testing.T) {
	raw := minimalWorkerProps()
	raw["producer.linger.ms"] = "10"
	raw["producer.compression.type"] = "gzip"
	cfg, err := ParseWorkerConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	w := &Worker{cfg: cfg}
	got, err := w.clientSettings("producer", map[string]string{
		"producer.override.linger.ms": "50",
		"consumer.override.linger.ms": "70", // another kind's
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["linger.ms"] != "50" || got["compression.type"] != "gzip" || len(got) != 2 {
		t.Errorf("producer settings = %v, want linger.ms=50 over the worker's 10, compression.type=gzip", got)
	}
	if got, err := w.clientSettings("consumer", nil); err != nil || len(got) != 0 {
		t.Errorf("consumer settings = %v, %v; want none", got, err)
	}

	raw[configs.KeyConnectorClientOverridePolicy] = "None"
	if w.cfg, err = ParseWorkerConfig(raw); err != nil {
		t.Fatal(err)
	}
	if _, err := w.clientSettings("producer", map[string]string{"producer.override.linger.ms": "50"}); !errors.Is(err, ErrInvalidClientConfig) {
		t.Errorf("override with policy None: %v, want ErrInvalidClientConfig", err)
	}
	if got, err := w.clientSettings("producer", map[string]string{"name": "x"}); err != nil || got["linger.ms"] != "10" {
		t.Errorf("no override with policy None: %v, %v; want the worker's settings", got, err)
	}
}
