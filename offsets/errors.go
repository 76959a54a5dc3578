package offsets

import "errors"

var (
	// ErrInvalidPartition: a source partition is nil or empty, or cannot
	// be encoded as JSON, or a connector name is empty.
	ErrInvalidPartition = errors.New("invalid source partition")
	// ErrInvalidOffset: a source offset cannot be encoded as JSON.
	ErrInvalidOffset = errors.New("invalid source offset")
)
