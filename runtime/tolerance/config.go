package tolerance

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"conflux/configs"
)

// Tolerance is the errors.tolerance setting.
type Tolerance uint8

const (
	// ToleranceNone fails the task on the first failure that retries did
	// not cure (errors.tolerance=none, the default).
	ToleranceNone Tolerance = iota
	// ToleranceAll skips the failing record and goes on
	// (errors.tolerance=all).
	ToleranceAll
)

// String returns the setting's value: "none" or "all".
func (t Tolerance) String() string {
	switch t {
	case ToleranceNone:
		return configs.ToleranceNone
	case ToleranceAll:
		return configs.ToleranceAll
	}
	return fmt.Sprintf("Tolerance(%d)", uint8(t))
}

const (
	// RetryForever as Config.RetryTimeout retries retriable failures
	// without a time limit (errors.retry.timeout=-1).
	RetryForever time.Duration = -1

	// DefaultRetryDelayMax is the default of errors.retry.delay.max.ms.
	DefaultRetryDelayMax = 60 * time.Second

	// MinRetryDelay is the first wait between two attempts; each further
	// wait doubles it, as in Kafka Connect.
	MinRetryDelay = 300 * time.Millisecond

	// DefaultDLQReplicationFactor is the default of
	// errors.deadletterqueue.topic.replication.factor.
	DefaultDLQReplicationFactor int16 = 3
)

// Config is one task's error handling: the connector's errors.* settings
// plus the task's identity, which logs and dead letter queue headers show.
// The zero Config is valid: no retries, tolerance none, no logging, no dead
// letter queue.
type Config struct {
	// Connector is the connector's name.
	Connector string
	// Task is the task number.
	Task int

	// RetryTimeout bounds how long a retriable failure is retried,
	// counted from the start of the first attempt: 0 means no retries,
	// a negative value (RetryForever) retries until ctx is done.
	RetryTimeout time.Duration
	// RetryDelayMax caps the exponential wait between attempts. Once the
	// doubling wait would exceed it, each wait is random in
	// [0, RetryDelayMax), as Kafka does. 0 retries without waiting.
	RetryDelayMax time.Duration
	// Tolerance says whether failing records are skipped or fail the task.
	Tolerance Tolerance
	// LogEnable logs each failure that retries did not cure, with the
	// record's coordinates.
	LogEnable bool
	// LogIncludeMessages adds the record's key, value and headers to those
	// logs. They may be sensitive.
	LogIncludeMessages bool

	// DLQTopic is the dead letter queue topic of a sink connector; empty
	// means none.
	DLQTopic string
	// DLQReplicationFactor is the replication factor the dead letter
	// queue topic is created with when it does not exist: at least 1, or
	// -1 for the broker's default.
	DLQReplicationFactor int16
	// DLQContextHeaders adds the __connect.errors.* headers to dead letter
	// queue records.
	DLQContextHeaders bool
}

// TaskName returns "<connector>-<task>", as Kafka prints a task id.
func (c *Config) TaskName() string { return fmt.Sprintf("%s-%d", c.Connector, c.Task) }

// ConfigFromValues reads the errors.* settings from a connector's parsed
// config (configs.SinkConnectorDef or configs.SourceConnectorDef, or any Def
// that includes their keys; the dead letter queue keys are optional, as
// source connectors do not have them) for task number task. The connector
// name is the config's name. Values that no Def validator rejects but that
// cannot work (a retry timeout below -1, a negative delay, a replication
// factor of 0, an illegal topic name) give an error wrapping
// ErrInvalidConfig and a *configs.Error per key.
func ConfigFromValues(v *configs.Values, task int) (Config, error) {
	c := Config{
		Connector:          v.String(configs.KeyName),
		Task:               task,
		LogEnable:          v.Bool(configs.KeyErrorsLogEnable),
		LogIncludeMessages: v.Bool(configs.KeyErrorsLogIncludeMessages),
	}
	var errs []error
	switch ms := v.Long(configs.KeyErrorsRetryTimeout); {
	case ms == -1:
		c.RetryTimeout = RetryForever
	case ms < -1:
		errs = append(errs, configs.Invalid(configs.KeyErrorsRetryTimeout, ms, "Value must be at least -1 (retry forever)"))
	default:
		c.RetryTimeout = millis(ms)
	}
	if ms := v.Long(configs.KeyErrorsRetryDelayMax); ms < 0 {
		errs = append(errs, configs.Invalid(configs.KeyErrorsRetryDelayMax, ms, "Value must be at least 0"))
	} else {
		c.RetryDelayMax = millis(ms)
	}
	switch s := v.String(configs.KeyErrorsTolerance); s {
	case configs.ToleranceNone:
		c.Tolerance = ToleranceNone
	case configs.ToleranceAll:
		c.Tolerance = ToleranceAll
	default:
		errs = append(errs, configs.Invalid(configs.KeyErrorsTolerance, s, "String must be one of: none, all"))
	}
	def := v.Def()
	if _, ok := def.Key(configs.KeyDLQTopicName); ok {
		c.DLQTopic = strings.TrimSpace(v.String(configs.KeyDLQTopicName))
		if c.DLQTopic != "" {
			if reason := checkTopicName(c.DLQTopic); reason != "" {
				errs = append(errs, configs.Invalid(configs.KeyDLQTopicName, c.DLQTopic, reason))
			}
		}
	}
	c.DLQReplicationFactor = DefaultDLQReplicationFactor
	if _, ok := def.Key(configs.KeyDLQTopicReplicationFactor); ok {
		c.DLQReplicationFactor = v.Short(configs.KeyDLQTopicReplicationFactor)
		if rf := c.DLQReplicationFactor; rf == 0 || rf < -1 {
			errs = append(errs, configs.Invalid(configs.KeyDLQTopicReplicationFactor, rf,
				"Value must be at least 1, or -1 for the broker's default"))
		}
	}
	if _, ok := def.Key(configs.KeyDLQContextHeadersEnable); ok {
		c.DLQContextHeaders = v.Bool(configs.KeyDLQContextHeadersEnable)
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	return c, nil
}

// millis converts milliseconds to a Duration, saturating instead of
// overflowing (values beyond 292 years).
func millis(ms int64) time.Duration {
	if ms > math.MaxInt64/int64(time.Millisecond) {
		return math.MaxInt64
	}
	return time.Duration(ms) * time.Millisecond
}

// validate checks a Config built by hand.
func (c *Config) validate() error {
	var errs []error
	if c.Task < 0 {
		errs = append(errs, fmt.Errorf("task number %d is negative", c.Task))
	}
	if c.RetryDelayMax < 0 {
		errs = append(errs, configs.Invalid(configs.KeyErrorsRetryDelayMax, c.RetryDelayMax.Milliseconds(), "Value must be at least 0"))
	}
	if c.Tolerance != ToleranceNone && c.Tolerance != ToleranceAll {
		errs = append(errs, configs.Invalid(configs.KeyErrorsTolerance, c.Tolerance.String(), "String must be one of: none, all"))
	}
	if c.DLQTopic != "" {
		if reason := checkTopicName(c.DLQTopic); reason != "" {
			errs = append(errs, configs.Invalid(configs.KeyDLQTopicName, c.DLQTopic, reason))
		}
		if rf := c.DLQReplicationFactor; rf == 0 || rf < -1 {
			errs = append(errs, configs.Invalid(configs.KeyDLQTopicReplicationFactor, rf,
				"Value must be at least 1, or -1 for the broker's default"))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	return nil
}

// checkTopicName applies Kafka's rules for topic names and returns what is
// wrong, or "".
func checkTopicName(name string) string {
	switch {
	case name == "." || name == "..":
		return "Topic name cannot be \".\" or \"..\""
	case len(name) > 249:
		return "Topic name is longer than 249 characters"
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return "Topic name contains characters other than ASCII alphanumerics, '.', '_' and '-'"
		}
	}
	return ""
}
