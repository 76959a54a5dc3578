package validation

import (
	"errors"

	"conflux/configs"
)

var (
	// ErrNoConnectorType is the Kind of an [Error] for a config without
	// connector.class.
	ErrNoConnectorType = errors.New("connector config contains no connector type")

	// ErrUnknownConnector is the Kind of an [Error] for a connector.class
	// that names no source or sink plugin of the registry.
	ErrUnknownConnector = errors.New("unknown connector class")

	// ErrInvalidConfig is the Kind of an [Error] returned by
	// [Validator.Check] when validation found at least one problem.
	ErrInvalidConfig = errors.New("invalid connector configuration")
)

// Error is a validation failure whose message is Kafka Connect's, word for
// word, ready to be shown to the user as a 400 Bad Request. Kind is one of
// ErrNoConnectorType, ErrUnknownConnector or ErrInvalidConfig, so
// errors.Is(err, validation.ErrInvalidConfig) works; errors.As gives the
// message and, for ErrInvalidConfig, the full validation result.
//
// A herder returning it to the REST API wraps it with runtime.ErrBadRequest;
// the REST API finds it with errors.As and shows Msg exactly.
type Error struct {
	// Msg is the complete message for the user. It never contains a
	// password or a resolved secret.
	Msg string
	// Kind classifies the error.
	Kind error
	// Infos is the validation result, set for ErrInvalidConfig.
	Infos *configs.ConfigInfos
}

// Error returns Msg.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns Kind.
func (e *Error) Unwrap() error { return e.Kind }
