package tolerance

import (
	"errors"
	"fmt"
)

var (
	// ErrToleranceExceeded is the kind of the [*Error] returned for a
	// failure that errors.tolerance=none does not allow: the task must fail.
	// Its text is Kafka Connect's.
	ErrToleranceExceeded = errors.New("Tolerance exceeded in error handler")

	// ErrUnhandled is the kind of the [*Error] returned for a failure that
	// no errors.tolerance setting skips: a non-retriable error outside the
	// converters and transformations (for example from a producer). The
	// task must fail. Its text is Kafka Connect's.
	ErrUnhandled = errors.New("Unhandled exception in error handler")

	// ErrInvalidConfig is wrapped by the errors [New] and [ConfigFromValues]
	// return for settings that cannot work; the message names the key.
	ErrInvalidConfig = errors.New("invalid error handling configuration")

	// ErrDeadLetterQueue is wrapped by the errors about the dead letter
	// queue: its topic could not be created, its producer could not start,
	// or a record could not be written to it. [Operator.Flush] returns it
	// once a write failed, so that the sink loop does not commit offsets
	// past a record that is neither delivered nor in the queue.
	ErrDeadLetterQueue = errors.New("dead letter queue")

	// ErrClosed is returned by a dead letter queue writer after Close.
	ErrClosed = errors.New("dead letter queue writer closed")
)

// Error is a failure the operator did not tolerate. Kind is
// [ErrToleranceExceeded] or [ErrUnhandled]; Err is the operation's last
// error. errors.Is matches both Kind and anything in Err's chain.
type Error struct {
	// Kind says why the failure was not tolerated.
	Kind error
	// Stage is where the operation failed.
	Stage Stage
	// Class is the Go type of the component that failed (see
	// [Operator.Execute]).
	Class string
	// Err is the operation's error.
	Err error
}

// Error returns Kafka's text followed by the stage, the class and the cause.
func (e *Error) Error() string {
	return fmt.Sprintf("%v (stage %s, class %s): %v", e.Kind, e.Stage, e.Class, e.Err)
}

// Unwrap returns Kind and Err.
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }
