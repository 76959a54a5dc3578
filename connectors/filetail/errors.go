package filetail

import "errors"

var (
	// ErrDirectory is wrapped by the errors the connector and its task
	// return when a pattern without wildcards in paths names a directory.
	ErrDirectory = errors.New("filetail: path is a directory")

	// ErrRead is wrapped by the errors a task returns when it cannot read
	// a file it has open, for a reason other than the file going away.
	ErrRead = errors.New("filetail: read failed")
)
