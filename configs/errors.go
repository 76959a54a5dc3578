package configs

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidValue is the kind of an [Error] for a value that cannot be
	// parsed as the key's type or that a validator rejects.
	ErrInvalidValue = errors.New("invalid configuration value")

	// ErrMissing is the kind of an [Error] for a required key (one without
	// a default) that has no value.
	ErrMissing = errors.New("missing required configuration")

	// ErrConflict is the kind of an [Error] raised by a cross-key check, for
	// a combination of values that is invalid although each value is fine
	// on its own (for example both topics and topics.regex set).
	ErrConflict = errors.New("conflicting configuration")

	// ErrUnresolved is wrapped by the error [Resolver.Resolve] returns when
	// a placeholder names an unknown provider or its provider has no value
	// for it.
	ErrUnresolved = errors.New("unresolved config provider placeholder")

	// ErrProperties is wrapped by the error [ParseProperties] returns for
	// malformed input (a bad \uXXXX escape).
	ErrProperties = errors.New("malformed properties")

	// ErrConfigTopicPartitions is wrapped by the error [OpenStore] returns
	// when the config topic has more than one partition, which would let
	// workers see connector configs in different orders.
	ErrConfigTopicPartitions = errors.New("config topic must have a single partition")

	// ErrInvalidStoreWrite is wrapped by the errors [Store] write methods
	// return for arguments that cannot be written (an empty connector name,
	// an unknown target state, a config that cannot be encoded).
	ErrInvalidStoreWrite = errors.New("invalid config store write")
)

// Error is a problem with one configuration key. Its message is Kafka
// Connect's, word for word:
//
//	Invalid value abc for configuration tasks.max: Not a number of type INT
//	Missing required configuration "kafka.topic" which has no default value.
//
// Kind is one of ErrInvalidValue, ErrMissing or ErrConflict, so
// errors.Is(err, configs.ErrMissing) works; use errors.As to get the key.
type Error struct {
	// Key is the configuration key the error is about.
	Key string
	// Value is the offending value as shown to users: "[hidden]" for
	// passwords and secrets, "null" for no value. Empty for ErrMissing.
	Value string
	// Reason explains what is wrong, for example "Not a number of type INT".
	// For ErrConflict it is the whole message.
	Reason string
	// Kind classifies the error: ErrInvalidValue, ErrMissing or ErrConflict.
	Kind error
}

// Error returns Kafka Connect's message for the error.
func (e *Error) Error() string {
	switch e.Kind {
	case ErrMissing:
		return fmt.Sprintf("Missing required configuration %q which has no default value.", e.Key)
	case ErrConflict:
		return e.Reason
	}
	msg := "Invalid value " + e.Value + " for configuration " + e.Key
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// Unwrap returns the error's Kind.
func (e *Error) Unwrap() error { return e.Kind }

// Invalid returns an ErrInvalidValue error for key. Validators and checks use
// it; value is rendered as text the way Kafka does (lists comma-joined).
func Invalid(key string, value any, reason string) *Error {
	return &Error{Key: key, Value: render(value), Reason: reason, Kind: ErrInvalidValue}
}

// Conflict returns an ErrConflict error attached to key whose message is msg
// exactly, for use by cross-key checks.
func Conflict(key, msg string) *Error {
	return &Error{Key: key, Reason: msg, Kind: ErrConflict}
}

// ResolveError reports a placeholder that [Resolver.Resolve] could not
// replace. It never contains a resolved secret, only the placeholder text.
type ResolveError struct {
	// Key is the configuration key whose value holds the placeholder.
	Key string
	// Placeholder is the placeholder as written, e.g. ${env:DB_PASSWORD}.
	Placeholder string
	// Err says why; it wraps ErrUnresolved.
	Err error
}

// Error names the key and the placeholder.
func (e *ResolveError) Error() string {
	return fmt.Sprintf("could not resolve %s in configuration %s: %v", e.Placeholder, e.Key, e.Err)
}

// Unwrap returns the cause, which wraps ErrUnresolved.
func (e *ResolveError) Unwrap() error { return e.Err }
