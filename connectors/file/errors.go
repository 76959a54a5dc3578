package file

import "errors"

var (
	// ErrWrite is wrapped by the errors the sink task returns when it
	// cannot write or fsync its output file. Such an error fails the task;
	// the records of the failed Put are redelivered after a restart, since
	// their consumer offsets were not committed.
	ErrWrite = errors.New("file sink write failed")

	// ErrRead is wrapped by the errors the source task returns when it
	// cannot open or read its input file for a reason other than the file
	// not existing yet (which it waits out).
	ErrRead = errors.New("file source read failed")

	// ErrBadOffset is wrapped by the error the source task's Start returns
	// when the stored offset of its file has no integer "position".
	ErrBadOffset = errors.New("malformed file source offset")
)
