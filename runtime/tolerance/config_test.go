package tolerance

import (
	"errors"
	"strings"
	"testing"
	"time"

	"conflux/configs"
)

func sinkValues(t *testing.T, extra map[string]string) *configs.Values {
	t.Helper()
	raw := map[string]string{"name": "pg-sink", "connector.class": "file", "topics": "orders"}
	for k, v := range extra {
		raw[k] = v
	}
	v, err := configs.SinkConnectorDef().Parse(raw)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return v
}

func TestConfigFromValues(t *testing.T) {
	tests := []struct {
		name  string
		extra map[string]string
		want  Config
	}{
		{"defaults", nil, Config{Connector: "pg-sink", Task: 3, RetryDelayMax: time.Minute, DLQReplicationFactor: 3}},
		{"everything", map[string]string{
			"errors.retry.timeout": "30000", "errors.retry.delay.max.ms": "5000", "errors.tolerance": "all",
			"errors.log.enable": "true", "errors.log.include.messages": "true",
			"errors.deadletterqueue.topic.name": " dlq-orders ", "errors.deadletterqueue.topic.replication.factor": "1",
			"errors.deadletterqueue.context.headers.enable": "true",
		}, Config{
			Connector: "pg-sink", Task: 3, RetryTimeout: 30 * time.Second, RetryDelayMax: 5 * time.Second,
			Tolerance: ToleranceAll, LogEnable: true, LogIncludeMessages: true,
			DLQTopic: "dlq-orders", DLQReplicationFactor: 1, DLQContextHeaders: true,
		}},
		{"retry forever, broker default RF", map[string]string{
			"errors.retry.timeout": "-1", "errors.retry.delay.max.ms": "0",
			"errors.deadletterqueue.topic.name": "dlq", "errors.deadletterqueue.topic.replication.factor": "-1",
		}, Config{Connector: "pg-sink", Task: 3, RetryTimeout: RetryForever, DLQTopic: "dlq", DLQReplicationFactor: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromValues(sinkValues(t, tt.extra), 3)
			if err != nil {
				t.Fatalf("ConfigFromValues: %v", err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestConfigFromValuesSource(t *testing.T) {
	v, err := configs.SourceConnectorDef().Parse(map[string]string{
		"name": "gen", "connector.class": "datagen", "errors.tolerance": "all", "errors.log.enable": "true",
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ConfigFromValues(v, 0)
	if err != nil {
		t.Fatalf("ConfigFromValues: %v", err)
	}
	want := Config{Connector: "gen", RetryDelayMax: time.Minute, Tolerance: ToleranceAll, LogEnable: true, DLQReplicationFactor: 3}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestConfigFromValuesInvalid(t *testing.T) {
	tests := []struct {
		name  string
		extra map[string]string
		key   string
		msg   string
	}{
		{"timeout below -1", map[string]string{"errors.retry.timeout": "-2"}, configs.KeyErrorsRetryTimeout,
			"Invalid value -2 for configuration errors.retry.timeout: Value must be at least -1 (retry forever)"},
		{"negative delay", map[string]string{"errors.retry.delay.max.ms": "-5"}, configs.KeyErrorsRetryDelayMax,
			"Invalid value -5 for configuration errors.retry.delay.max.ms: Value must be at least 0"},
		{"replication factor 0", map[string]string{"errors.deadletterqueue.topic.replication.factor": "0"}, configs.KeyDLQTopicReplicationFactor,
			"Invalid value 0 for configuration errors.deadletterqueue.topic.replication.factor: Value must be at least 1, or -1 for the broker's default"},
		{"bad topic name", map[string]string{"errors.deadletterqueue.topic.name": "dead letters"}, configs.KeyDLQTopicName,
			"Invalid value dead letters for configuration errors.deadletterqueue.topic.name: Topic name contains characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ConfigFromValues(sinkValues(t, tt.extra), 0)
			if !errors.Is(err, ErrInvalidConfig) || !errors.Is(err, configs.ErrInvalidValue) {
				t.Fatalf("err = %v, want ErrInvalidConfig and configs.ErrInvalidValue", err)
			}
			var ce *configs.Error
			if !errors.As(err, &ce) || ce.Key != tt.key {
				t.Fatalf("err = %v, want a *configs.Error for %s", err, tt.key)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not contain %q", err, tt.msg)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		opts []Option
		msg  string
	}{
		{"negative delay", Config{RetryDelayMax: -time.Second}, nil, "errors.retry.delay.max.ms"},
		{"unknown tolerance", Config{Tolerance: 7}, nil, "errors.tolerance"},
		{"topic without writer", Config{DLQTopic: "dlq", DLQReplicationFactor: 1}, nil, "no writer"},
		{"writer without topic", Config{}, []Option{WithDeadLetterQueue(&fakeWriter{})}, "no topic"},
		{"bad replication factor", Config{DLQTopic: "dlq", DLQReplicationFactor: -3}, []Option{WithDeadLetterQueue(&fakeWriter{})},
			"replication.factor"},
		{"negative task", Config{Task: -1}, nil, "task number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, tt.opts...)
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want ErrInvalidConfig mentioning %q", err, tt.msg)
			}
		})
	}
	w := &fakeWriter{}
	if _, err := New(Config{}, WithDeadLetterQueue(w)); err == nil || !w.closed {
		t.Errorf("a rejected writer must be closed (err %v, closed %v)", err, w.closed)
	}
}
