package runtime

import "errors"

// Errors a Herder returns; the REST API maps them to status codes with
// errors.Is. Wrap them with a message for the user.
var (
	// ErrNotFound: the connector or task does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: a connector with that name exists (409).
	ErrAlreadyExists = errors.New("already exists")
	// ErrBadRequest: the request is invalid, e.g. a config error (400).
	ErrBadRequest = errors.New("bad request")
	// ErrConflict: a rebalance or concurrent change is in progress; retry (409).
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the operation is disabled by configuration (403).
	ErrForbidden = errors.New("forbidden")
	// ErrNotReady: the worker has not joined its cluster yet (503 on /health).
	ErrNotReady = errors.New("worker is starting")
)

// Errors of the worker itself.
var (
	// ErrInvalidWorkerConfig is wrapped by ParseWorkerConfig's errors.
	ErrInvalidWorkerConfig = errors.New("invalid worker configuration")
	// ErrInvalidClientConfig marks a producer.*, consumer.* or
	// *.override.* setting with a value the Kafka client cannot use.
	ErrInvalidClientConfig = errors.New("invalid Kafka client setting")
	// ErrPipeline marks a converter, transform or predicate that cannot be
	// built for a task: an unknown class, or settings the plugin refuses.
	ErrPipeline = errors.New("cannot build the record pipeline")
)
