package cluster

import "errors"

var (
	// ErrInvalidConfig is wrapped by the error NewMember returns for a
	// Config that is missing a required field or has an impossible value.
	ErrInvalidConfig = errors.New("invalid group membership configuration")

	// ErrMalformed is wrapped by the errors the decoders return for bytes
	// that are not a Kafka Connect worker metadata or assignment: truncated,
	// with a negative length, or with an unsupported (negative) version.
	ErrMalformed = errors.New("malformed Connect protocol data")

	// ErrAlreadyRun is returned by Member.Run when it is called a second
	// time. A Member joins the group once; make a new one to join again.
	ErrAlreadyRun = errors.New("member has already run")

	// ErrFatalGroupError is wrapped by the error Run returns when the
	// coordinator rejects the member for a reason retrying cannot fix: an
	// invalid group id or session timeout, a group of another protocol type
	// or without a common sub-protocol, a full group, or missing
	// authorization. The wrapped chain also holds the sarama.KError.
	ErrFatalGroupError = errors.New("group membership failed")
)
