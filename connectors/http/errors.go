package http

import "errors"

var (
	// ErrRejected is wrapped by the error of a record the endpoint
	// answered with a status that is neither 2xx nor retriable (a 400, say).
	ErrRejected = errors.New("http sink: endpoint rejected the record")

	// ErrRetriesExhausted is wrapped by the error of a record still failing
	// (network errors, retriable statuses) after max.retries retries.
	ErrRetriesExhausted = errors.New("http sink: retries exhausted")

	// ErrNullValue is the error of a record with a null value under
	// behavior.on.null.values=fail.
	ErrNullValue = errors.New("http sink: record has a null value")

	// ErrNoURL is wrapped by the error of a record whose URL cannot be
	// built from http.url (a null key for ${key}).
	ErrNoURL = errors.New("http sink: no URL for the record")
)
