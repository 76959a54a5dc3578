package runtime

import (
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"conflux/configs"
)

// minimalWorkerProps are the keys a distributed worker cannot do without.
func minimalWorkerProps() map[string]string {
	return map[string]string{
		configs.KeyGroupID:            "connect-cluster",
		configs.KeyConfigStorageTopic: "connect-configs",
		configs.KeyOffsetStorageTopic: "connect-offsets",
		configs.KeyStatusStorageTopic: "connect-status",
		configs.KeyKeyConverter:       "org.apache.kafka.connect.json.JsonConverter",
		configs.KeyValueConverter:     "org.apache.kafka.connect.json.JsonConverter",
	}
}

func TestParseWorkerConfigDefaults(t *testing.T) {
	raw := minimalWorkerProps()
	raw["key.converter.schemas.enable"] = "false"
	raw["producer.linger.ms"] = "7"
	c, err := ParseWorkerConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := WorkerConfig{
		BootstrapServers:           []string{"localhost:9092"},
		GroupID:                    "connect-cluster",
		ConfigTopic:                "connect-configs",
		OffsetTopic:                "connect-offsets",
		StatusTopic:                "connect-status",
		ConfigReplication:          3,
		OffsetReplication:          3,
		StatusReplication:          3,
		OffsetPartitions:           25,
		StatusPartitions:           5,
		OffsetFlushInterval:        60 * time.Second,
		OffsetFlushTimeout:         5 * time.Second,
		SessionTimeout:             10 * time.Second,
		HeartbeatInterval:          3 * time.Second,
		RebalanceTimeout:           60 * time.Second,
		ScheduledRebalanceMaxDelay: 5 * time.Minute,
		ConnectProtocol:            "sessioned",
		TaskShutdownTimeout:        5 * time.Second,
		TopicTracking:              true,
		TopicTrackingAllowReset:    true,
		UIEnable:                   true,
		Session: SessionConfig{KeyAlgorithm: "HmacSHA256", KeyTTL: time.Hour,
			SignatureAlgorithm: "HmacSHA256", VerificationAlgorithms: []string{"HmacSHA256"}},
	}
	got := c
	got.Originals = nil
	if !equalWorkerConfig(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if !maps.Equal(c.Originals, raw) {
		t.Errorf("Originals = %v, want every key as given %v", c.Originals, raw)
	}
	// The worker keeps its own copy.
	raw[configs.KeyGroupID] = "changed"
	if c.Originals[configs.KeyGroupID] != "connect-cluster" {
		t.Error("Originals shares the caller's map")
	}
}

func equalWorkerConfig(a, b WorkerConfig) bool {
	ab, bb := a.BootstrapServers, b.BootstrapServers
	a.BootstrapServers, b.BootstrapServers = nil, nil
	a.Originals, b.Originals = nil, nil
	return strings.Join(ab, ",") == strings.Join(bb, ",") && a.GroupID == b.GroupID &&
		a.ConfigTopic == b.ConfigTopic && a.OffsetTopic == b.OffsetTopic && a.StatusTopic == b.StatusTopic &&
		a.ConfigReplication == b.ConfigReplication && a.OffsetReplication == b.OffsetReplication &&
		a.StatusReplication == b.StatusReplication && a.OffsetPartitions == b.OffsetPartitions &&
		a.StatusPartitions == b.StatusPartitions && a.OffsetFlushInterval == b.OffsetFlushInterval &&
		a.OffsetFlushTimeout == b.OffsetFlushTimeout && a.SessionTimeout == b.SessionTimeout &&
		a.HeartbeatInterval == b.HeartbeatInterval && a.RebalanceTimeout == b.RebalanceTimeout &&
		a.ScheduledRebalanceMaxDelay == b.ScheduledRebalanceMaxDelay && a.ConnectProtocol == b.ConnectProtocol &&
		a.TaskShutdownTimeout == b.TaskShutdownTimeout && a.TopicTracking == b.TopicTracking &&
		a.TopicTrackingAllowReset == b.TopicTrackingAllowReset && a.UIEnable == b.UIEnable &&
		reflect.DeepEqual(a.Session, b.Session)
}

func TestParseWorkerConfigSettings(t *testing.T) {
	raw := minimalWorkerProps()
	maps.Copy(raw, map[string]string{
		configs.KeyBootstrapServers:              "127.0.0.1:9092, 127.0.0.2:9092",
		configs.KeyConfigStorageReplication:      "1",
		configs.KeyOffsetStorageReplication:      "-1",
		configs.KeyStatusStorageReplication:      "2",
		configs.KeyOffsetStoragePartitions:       "-1",
		configs.KeyStatusStoragePartitions:       "1",
		configs.KeyOffsetFlushInterval:           " 250 ",
		configs.KeyOffsetFlushTimeout:            "1500",
		configs.KeySessionTimeout:                "6000",
		configs.KeyHeartbeatInterval:             "2000",
		configs.KeyRebalanceTimeout:              "9000",
		configs.KeyScheduledRebalanceMaxDelay:    "0",
		configs.KeyConnectProtocol:               "EAGER",
		configs.KeyTaskShutdownGracefulTimeout:   "100",
		configs.KeyTopicTrackingEnable:           "false",
		configs.KeyTopicTrackingAllowReset:       "false",
		configs.KeyRestUIEnable:                  "false",
		configs.KeyInterWorkerKeyAlgorithm:       "HmacSHA512",
		configs.KeyInterWorkerKeySize:            "128",
		configs.KeyInterWorkerKeyTTL:             "60000",
		configs.KeyInterWorkerSignatureAlgorithm: "HmacSHA384",
		configs.KeyInterWorkerVerificationAlgos:  "HmacSHA256, HmacSHA384",
	})
	c, err := ParseWorkerConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := WorkerConfig{
		BootstrapServers:           []string{"127.0.0.1:9092", "127.0.0.2:9092"},
		GroupID:                    "connect-cluster",
		ConfigTopic:                "connect-configs",
		OffsetTopic:                "connect-offsets",
		StatusTopic:                "connect-status",
		ConfigReplication:          1,
		OffsetReplication:          -1,
		StatusReplication:          2,
		OffsetPartitions:           -1,
		StatusPartitions:           1,
		OffsetFlushInterval:        250 * time.Millisecond,
		OffsetFlushTimeout:         1500 * time.Millisecond,
		SessionTimeout:             6 * time.Second,
		HeartbeatInterval:          2 * time.Second,
		RebalanceTimeout:           9 * time.Second,
		ScheduledRebalanceMaxDelay: 0,
		ConnectProtocol:            "eager",
		TaskShutdownTimeout:        100 * time.Millisecond,
		Session: SessionConfig{KeyAlgorithm: "HmacSHA512", KeyBytes: 16, KeyTTL: time.Minute,
			SignatureAlgorithm: "HmacSHA384", VerificationAlgorithms: []string{"HmacSHA256", "HmacSHA384"}},
	}
	if !equalWorkerConfig(c, want) {
		t.Errorf("parsed:\n got %+v\nwant %+v", c, want)
	}
}

func TestParseWorkerConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  map[string]string // "" deletes the key
		kind    error             // a configs error kind the error must wrap, if any
		mention string
	}{
		{"missing group.id", map[string]string{configs.KeyGroupID: ""}, configs.ErrMissing, `"group.id"`},
		{"missing config topic", map[string]string{configs.KeyConfigStorageTopic: ""}, configs.ErrMissing, configs.KeyConfigStorageTopic},
		{"missing offsets topic", map[string]string{configs.KeyOffsetStorageTopic: ""}, configs.ErrMissing, configs.KeyOffsetStorageTopic},
		{"missing status topic", map[string]string{configs.KeyStatusStorageTopic: ""}, configs.ErrMissing, configs.KeyStatusStorageTopic},
		{"missing value converter", map[string]string{configs.KeyValueConverter: ""}, configs.ErrMissing, configs.KeyValueConverter},
		{"missing key converter", map[string]string{configs.KeyKeyConverter: ""}, configs.ErrMissing, configs.KeyKeyConverter},
		{"flush interval not a number", map[string]string{configs.KeyOffsetFlushInterval: "soon"}, configs.ErrInvalidValue, configs.KeyOffsetFlushInterval},
		{"negative flush interval", map[string]string{configs.KeyOffsetFlushInterval: "-5"}, configs.ErrInvalidValue, configs.KeyOffsetFlushInterval},
		{"replication factor 0", map[string]string{configs.KeyOffsetStorageReplication: "0"}, configs.ErrInvalidValue, configs.KeyOffsetStorageReplication},
		{"partitions 0", map[string]string{configs.KeyStatusStoragePartitions: "0"}, configs.ErrInvalidValue, configs.KeyStatusStoragePartitions},
		{"unknown protocol", map[string]string{configs.KeyConnectProtocol: "v9"}, configs.ErrInvalidValue, configs.KeyConnectProtocol},
		{"unknown override policy", map[string]string{configs.KeyConnectorClientOverridePolicy: "Some"}, configs.ErrInvalidValue, configs.KeyConnectorClientOverridePolicy},
		{"bad boolean", map[string]string{configs.KeyTopicTrackingEnable: "maybe"}, configs.ErrInvalidValue, configs.KeyTopicTrackingEnable},
		{"bad ui switch", map[string]string{configs.KeyRestUIEnable: "yes"}, configs.ErrInvalidValue, configs.KeyRestUIEnable},
		{"unknown key algorithm", map[string]string{configs.KeyInterWorkerKeyAlgorithm: "HmacMD5"}, configs.ErrInvalidValue, configs.KeyInterWorkerKeyAlgorithm},
		{"key size not whole bytes", map[string]string{configs.KeyInterWorkerKeySize: "100"}, nil, configs.KeyInterWorkerKeySize},
		{"key TTL 0", map[string]string{configs.KeyInterWorkerKeyTTL: "0"}, configs.ErrInvalidValue, configs.KeyInterWorkerKeyTTL},
		{"no verification algorithm", map[string]string{configs.KeyInterWorkerVerificationAlgos: " "}, configs.ErrInvalidValue, configs.KeyInterWorkerVerificationAlgos},
		{"signature not verified", map[string]string{configs.KeyInterWorkerSignatureAlgorithm: "HmacSHA512"}, nil, configs.KeyInterWorkerVerificationAlgos},
		{"heartbeat not below session", map[string]string{configs.KeySessionTimeout: "3000", configs.KeyHeartbeatInterval: "3000"}, nil, configs.KeyHeartbeatInterval},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := minimalWorkerProps()
			for k, v := range tc.change {
				if v == "" {
					delete(raw, k)
				} else {
					raw[k] = v
				}
			}
			_, err := ParseWorkerConfig(raw)
			if err == nil {
				t.Fatal("ParseWorkerConfig accepted the configuration")
			}
			if !errors.Is(err, ErrInvalidWorkerConfig) {
				t.Errorf("error %v does not wrap ErrInvalidWorkerConfig", err)
			}
			if tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Errorf("error %v does not wrap %v", err, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not name %s", err, tc.mention)
			}
		})
	}
}

func TestWorkerConfigTopicAndClientSettings(t *testing.T) {
	raw := minimalWorkerProps()
	maps.Copy(raw, map[string]string{
		"offset.storage.segment.bytes":       "1048576",
		"offset.storage.cleanup.policy":      "delete", // the worker's own: always compact
		"offset.storage.replication.factor":  "1",
		"offset.storage.partitions":          "3",
		"status.storage.min.insync.replicas": "1",
		"producer.linger.ms":                 "10",
		"producer.override.linger.ms":        "20",
		"consumer.max.poll.records":          "100",
	})
	c, err := ParseWorkerConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.topicSettings("offset.storage"), map[string]string{"segment.bytes": "1048576"}; !maps.Equal(got, want) {
		t.Errorf("offset.storage topic settings = %v, want %v", got, want)
	}
	if got, want := c.topicSettings("status.storage"), map[string]string{"min.insync.replicas": "1"}; !maps.Equal(got, want) {
		t.Errorf("status.storage topic settings = %v, want %v", got, want)
	}
	if got := c.topicSettings("config.storage"); len(got) != 0 {
		t.Errorf("config.storage topic settings = %v, want none (the topic name is the worker's own)", got)
	}
	if got, want := c.clientSettings("consumer."), map[string]string{"max.poll.records": "100"}; !maps.Equal(got, want) {
		t.Errorf("consumer settings = %v, want %v", got, want)
	}
	if got := c.clientSettings("producer."); got["linger.ms"] != "10" {
		t.Errorf("producer settings = %v, want linger.ms=10", got)
	}
}
