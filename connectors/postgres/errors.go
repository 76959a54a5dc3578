package postgres

import "errors"

var (
	// ErrConnect is wrapped by the error a task or connector returns when
	// it cannot reach or log in to the database.
	ErrConnect = errors.New("cannot connect to PostgreSQL")

	// ErrSlotLost is wrapped by the error a task fails with when the
	// replication slot its stored offsets refer to no longer exists, so
	// the changes since then cannot be read.
	ErrSlotLost = errors.New("replication slot lost")

	// ErrPublication is wrapped by the error for a missing publication with
	// publication.autocreate.mode=disabled.
	ErrPublication = errors.New("publication missing")

	// errShortMessage is a pgoutput message that ends before its fields do.
	errShortMessage = errors.New("pgoutput message too short")
)
