package kafkalog

import "errors"

var (
	// ErrNotCompacted: the topic exists but its cleanup.policy is not
	// exactly "compact". Internal topics must be compacted or their state
	// is eventually lost to retention.
	ErrNotCompacted = errors.New("topic is not compacted")
	// ErrClosed: the log was closed.
	ErrClosed = errors.New("log is closed")
	// ErrInvalidConfig: Config is missing or contradicts a required field.
	ErrInvalidConfig = errors.New("invalid log configuration")
)
