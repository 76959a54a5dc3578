package status

import "errors"

var (
	// ErrInvalidWrite is wrapped by the errors write methods return for
	// arguments that cannot be written: an empty connector or topic name,
	// a negative task number, an unknown state, STOPPED for a task, or a
	// topic name containing ':' (which would make its key ambiguous).
	ErrInvalidWrite = errors.New("invalid status write")

	// ErrSkipped is passed to the callback of a safe asynchronous write
	// that was not made because the stored status belongs to another
	// worker of a later generation (see [Status.CanBeReplacedBy]). The
	// synchronous PutSafe methods report it as written == false instead.
	ErrSkipped = errors.New("status write skipped: owned by a worker of a later generation")

	// ErrClosed is wrapped by the errors of writes made after Close, and
	// of writes still queued when Close gave up draining them.
	ErrClosed = errors.New("status store is closed")

	// ErrInvalidRecord is wrapped by the errors the decoders return for a
	// value that is not a status record of the expected shape.
	ErrInvalidRecord = errors.New("invalid status record")
)
