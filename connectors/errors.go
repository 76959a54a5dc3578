package connectors

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrData marks errors about data: a value that does not match its
	// schema, or bytes a converter cannot decode (Kafka's DataException).
	// The runtime handles such errors with errors.tolerance: with "all" the
	// record is skipped (and sent to the dead letter queue), with "none"
	// the task fails. Every *DataError matches it with errors.Is.
	ErrData = errors.New("data error")

	// ErrUnknownPlugin is wrapped by the error Registry.Lookup returns when
	// no plugin has the requested name or alias.
	ErrUnknownPlugin = errors.New("unknown plugin")

	// ErrRetriable matches every *RetriableError with errors.Is.
	ErrRetriable = errors.New("retriable error")
)

// DataError is an [ErrData] error whose message is exactly Msg, so that
// converters and schemas can report Kafka Connect's texts word for word
// (for example `JsonConverter with schemas.enable requires "schema" and
// "payload" fields …`).
type DataError struct {
	// Msg is the complete message.
	Msg string
	// Err is the underlying cause, if any.
	Err error
}

// Error returns Msg.
func (e *DataError) Error() string { return e.Msg }

// Unwrap returns the cause.
func (e *DataError) Unwrap() error { return e.Err }

// Is reports whether target is ErrData.
func (e *DataError) Is(target error) bool { return target == ErrData }

// DataErrorf returns a *DataError formatted like fmt.Errorf; a %w verb sets
// its cause.
func DataErrorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &DataError{Msg: err.Error(), Err: errors.Unwrap(err)}
}

// RetriableError asks the runtime to retry the failed call instead of
// failing the task (Kafka's RetriableException). A SourceTask's Poll and a
// SinkTask's Put return it for transient problems such as a lost
// connection: the runtime calls Poll again, or calls Put again with the same
// records, after Backoff (or its own exponential backoff when Backoff is 0)
// until errors.retry.timeout is exhausted.
type RetriableError struct {
	// Err is the cause.
	Err error
	// Backoff is how long to wait before the retry; 0 lets the runtime
	// choose.
	Backoff time.Duration
}

// Error returns the cause's message.
func (e *RetriableError) Error() string {
	if e.Err == nil {
		return "retriable error"
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *RetriableError) Unwrap() error { return e.Err }

// Is reports whether target is ErrRetriable.
func (e *RetriableError) Is(target error) bool { return target == ErrRetriable }

// Retriable wraps err in a *RetriableError with runtime-chosen backoff; nil
// stays nil.
func Retriable(err error) error {
	if err == nil {
		return nil
	}
	return &RetriableError{Err: err}
}

// RetriableAfter wraps err in a *RetriableError asking for a retry after d;
// nil stays nil.
func RetriableAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &RetriableError{Err: err, Backoff: d}
}
