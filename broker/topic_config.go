package broker

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/log"
)

// topicConfigDef describes one topic-level config key.
type topicConfigDef struct {
	name     string
	typ      kmsg.ConfigType
	def      string // Kafka's default
	validate func(string) error
	doc      string
}

// topicConfigDefs lists every topic config key the broker accepts. Keys that a
// single-node broker does not act on (flush.ms, unclean.leader.election.enable,
// ...) are accepted so that existing tooling works, and documented as such.
var topicConfigDefs = func() map[string]topicConfigDef {
	defs := []topicConfigDef{
		{"cleanup.policy", kmsg.ConfigTypeList, "delete", oneOfList("delete", "compact"), "delete, compact, or both: how old segments are discarded."},
		{"retention.ms", kmsg.ConfigTypeLong, "604800000", longAtLeast(-1), "How long records are kept; -1 keeps them forever."},
		{"retention.bytes", kmsg.ConfigTypeLong, "-1", longAtLeast(-1), "Largest size of a partition before old segments are deleted; -1 is unlimited."},
		{"segment.bytes", kmsg.ConfigTypeInt, "1073741824", intAtLeast(14), "Size at which a new segment file is started."},
		{"segment.ms", kmsg.ConfigTypeLong, "604800000", longAtLeast(1), "Age at which a new segment file is started."},
		{"max.message.bytes", kmsg.ConfigTypeInt, "1048588", intAtLeast(0), "Largest record batch accepted."},
		{"message.timestamp.type", kmsg.ConfigTypeString, "CreateTime", oneOf("CreateTime", "LogAppendTime"), "Whether record timestamps come from the producer or the broker."},
		{"min.insync.replicas", kmsg.ConfigTypeInt, "1", intAtLeast(1), "Replicas that must have a record before acks=all succeeds; this broker has one."},
		{"delete.retention.ms", kmsg.ConfigTypeLong, "86400000", longAtLeast(0), "How long tombstones stay in a compacted topic."},
		{"min.cleanable.dirty.ratio", kmsg.ConfigTypeDouble, "0.5", doubleBetween(0, 1), "Dirty share of a log that triggers compaction."},
		{"min.compaction.lag.ms", kmsg.ConfigTypeLong, "0", longAtLeast(0), "Minimum age of a record before compaction may remove it."},
		{"max.compaction.lag.ms", kmsg.ConfigTypeLong, "9223372036854775807", longAtLeast(1), "Maximum time a record stays uncompacted."},
		{"compression.type", kmsg.ConfigTypeString, "producer", oneOf("producer"), "Batches are stored as the producer compressed them (only producer is supported)."},
		{"index.interval.bytes", kmsg.ConfigTypeInt, "4096", intAtLeast(0), "Bytes between offset index entries."},
		{"flush.messages", kmsg.ConfigTypeLong, "9223372036854775807", longAtLeast(1), "Accepted for compatibility; acks=all is always answered after fsync."},
		{"flush.ms", kmsg.ConfigTypeLong, "9223372036854775807", longAtLeast(0), "Accepted for compatibility; acks=all is always answered after fsync."},
		{"unclean.leader.election.enable", kmsg.ConfigTypeBoolean, "false", isBool, "Accepted for compatibility; a single broker has no other replica."},
		{"message.timestamp.before.max.ms", kmsg.ConfigTypeLong, "9223372036854775807", longAtLeast(0), "Accepted for compatibility; not enforced."},
		{"message.timestamp.after.max.ms", kmsg.ConfigTypeLong, "9223372036854775807", longAtLeast(0), "Accepted for compatibility; not enforced."},
		{"preallocate", kmsg.ConfigTypeBoolean, "false", isBool, "Accepted for compatibility; segments are not preallocated."},
	}
	m := make(map[string]topicConfigDef, len(defs))
	for _, d := range defs {
		m[d.name] = d
	}
	return m
}()

// topicConfigNames returns the known topic config names, sorted.
func topicConfigNames() []string {
	names := make([]string, 0, len(topicConfigDefs))
	for name := range topicConfigDefs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// validateTopicConfigValue checks one key/value pair and returns an error
// naming the key when the key is unknown or the value malformed.
func validateTopicConfigValue(key, value string) error {
	def, ok := topicConfigDefs[key]
	if !ok {
		return fmt.Errorf("unknown topic config name: %s", key)
	}
	if err := def.validate(value); err != nil {
		return fmt.Errorf("invalid value %q for configuration %s: %w", value, key, err)
	}
	return nil
}

// validateTopicConfigs checks a whole set of overrides.
func validateTopicConfigs(configs map[string]string) error {
	keys := make([]string, 0, len(configs))
	for k := range configs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := validateTopicConfigValue(k, configs[k]); err != nil {
			return err
		}
	}
	return nil
}

// effectiveTopicConfig resolves key for a topic: its override, else the
// broker default, else Kafka's default.
func effectiveTopicConfig(key string, overrides, brokerDefaults map[string]string) (value string, source kmsg.ConfigSource) {
	if v, ok := overrides[key]; ok {
		return v, kmsg.ConfigSourceDynamicTopicConfig
	}
	if v, ok := brokerDefaults[key]; ok {
		return v, kmsg.ConfigSourceStaticBrokerConfig
	}
	return topicConfigDefs[key].def, kmsg.ConfigSourceDefaultConfig
}

// logConfig builds the storage settings of a topic's partitions.
func logConfig(overrides, brokerDefaults map[string]string) log.Config {
	get := func(key string) string {
		v, _ := effectiveTopicConfig(key, overrides, brokerDefaults)
		return v
	}
	parseInt := func(key string) int64 {
		n, _ := strconv.ParseInt(get(key), 10, 64)
		return n
	}
	ratio, _ := strconv.ParseFloat(get("min.cleanable.dirty.ratio"), 64)
	_, compact := cleanupPolicy(get("cleanup.policy"))
	return log.Config{
		SegmentBytes:       parseInt("segment.bytes"),
		SegmentMs:          parseInt("segment.ms"),
		MaxMessageBytes:    int(parseInt("max.message.bytes")),
		LogAppendTime:      get("message.timestamp.type") == "LogAppendTime",
		IndexIntervalBytes: int(parseInt("index.interval.bytes")),
		RetentionMs:        parseInt("retention.ms"),
		RetentionBytes:     parseInt("retention.bytes"),

		Compacted:              compact,
		DeleteRetentionMs:      parseInt("delete.retention.ms"),
		MinCompactionLagMs:     parseInt("min.compaction.lag.ms"),
		MaxCompactionLagMs:     parseInt("max.compaction.lag.ms"),
		MinCleanableDirtyRatio: ratio,
	}
}

func oneOf(allowed ...string) func(string) error {
	return func(v string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	}
}

func oneOfList(allowed ...string) func(string) error {
	one := oneOf(allowed...)
	return func(v string) error {
		for _, item := range strings.Split(v, ",") {
			if err := one(strings.TrimSpace(item)); err != nil {
				return err
			}
		}
		return nil
	}
}

func longAtLeast(min int64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("not a whole number")
		}
		if n < min {
			return fmt.Errorf("must be at least %d", min)
		}
		return nil
	}
}

func intAtLeast(min int64) func(string) error {
	long := longAtLeast(min)
	return func(v string) error {
		if err := long(v); err != nil {
			return err
		}
		if n, _ := strconv.ParseInt(v, 10, 64); n > math.MaxInt32 {
			return fmt.Errorf("must be at most %d", math.MaxInt32)
		}
		return nil
	}
}

func doubleBetween(min, max float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("not a number")
		}
		if f < min || f > max {
			return fmt.Errorf("must be between %g and %g", min, max)
		}
		return nil
	}
}

func isBool(v string) error {
	if v != "true" && v != "false" {
		return fmt.Errorf("must be true or false")
	}
	return nil
}
