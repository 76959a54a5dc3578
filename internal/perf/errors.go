package perf

import "errors"

var (
	// ErrInvalidOptions is returned when perf options are out of range.
	ErrInvalidOptions = errors.New("invalid perf options")

	// ErrRecordsFailed is returned by the producer test when records could
	// not be delivered; the result still describes the run.
	ErrRecordsFailed = errors.New("records failed")

	// ErrIdleTimeout is returned by the consumer test when no record arrived
	// for the idle timeout before the wanted number of records was read.
	ErrIdleTimeout = errors.New("no records within the idle timeout")
)
