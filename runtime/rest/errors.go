package rest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"conflux/runtime"
	"conflux/runtime/rest/validation"
)

// Messages of errors the API itself raises, in Kafka Connect's words.
const (
	msgTimedOut       = "Request timed out"
	msgInterrupted    = "Request interrupted"
	msgConflict       = "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"
	msgNotReady       = "Worker is still starting up."
	msgNotFound       = "HTTP 404 Not Found"
	msgNotAllowed     = "HTTP 405 Method Not Allowed"
	msgTrackingOff    = "Topic tracking is disabled."
	msgTrackingNoRst  = "Topic tracking reset is disabled."
	msgNoOffsets      = "Partitions / offsets need to be provided for an alter offsets request"
	msgNoLevel        = "Desired 'level' parameter was not specified in request."
	msgBadRequestBody = "Bad request"
)

// apiError is an error the API answers with its own status and message,
// like Kafka Connect's ConnectRestException.
type apiError struct {
	status int
	msg    string
}

// Error returns the message.
func (e *apiError) Error() string { return e.msg }

// errorf returns an apiError with a formatted message.
func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// errorBody is Kafka Connect's error entity; error_code repeats the HTTP
// status.
type errorBody struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

// herderMessages are the endpoint-specific texts for Herder errors whose
// wording Kafka Connect fixes per endpoint.
type herderMessages struct {
	// notFound is the message for runtime.ErrNotFound, always used as is:
	// Kafka's text differs per endpoint ("Connector x not found", "No
	// status found for task x-0", "Unknown connector: x" …) and only the
	// endpoint knows which applies.
	notFound string
	// exists is the message for runtime.ErrAlreadyExists.
	exists string
	// forbidden is the message for runtime.ErrForbidden when the herder
	// gives none of its own.
	forbidden string
}

// herderError turns an error of a Herder call made with ctx into the API's
// error. The rules, which the worker relies on:
//
//   - a *validation.Error anywhere in the chain: 400 with its message;
//   - ctx's deadline passed: 500 "Request timed out" (the request's own
//     cancellation gives 500 "Request interrupted");
//   - runtime.ErrNotFound: 404 with m.notFound; runtime.ErrAlreadyExists:
//     409 with m.exists;
//   - runtime.ErrBadRequest 400, ErrConflict 409, ErrForbidden 403,
//     ErrNotReady 503: with the herder's message, which is err's text
//     without the sentinel's own text (so both fmt.Errorf("%w: Connector
//     x is busy", runtime.ErrConflict) and fmt.Errorf("Connector x is busy:
//     %w", runtime.ErrConflict) show "Connector x is busy"), or Kafka's
//     default text when nothing is left;
//   - anything else: 500 with err's text, logged by the caller.
func herderError(ctx context.Context, err error, m herderMessages) error {
	var ve *validation.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		return &apiError{status: http.StatusBadRequest, msg: ve.Msg}
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &apiError{status: http.StatusInternalServerError, msg: msgTimedOut}
	case ctx.Err() != nil:
		return &apiError{status: http.StatusInternalServerError, msg: msgInterrupted}
	case errors.Is(err, runtime.ErrNotFound):
		return &apiError{status: http.StatusNotFound, msg: m.notFound}
	case errors.Is(err, runtime.ErrAlreadyExists):
		return &apiError{status: http.StatusConflict, msg: orDefault(m.exists, userMessage(err, runtime.ErrAlreadyExists))}
	case errors.Is(err, runtime.ErrBadRequest):
		return &apiError{status: http.StatusBadRequest, msg: orDefault(userMessage(err, runtime.ErrBadRequest), msgBadRequestBody)}
	case errors.Is(err, runtime.ErrConflict):
		return &apiError{status: http.StatusConflict, msg: orDefault(userMessage(err, runtime.ErrConflict), msgConflict)}
	case errors.Is(err, runtime.ErrForbidden):
		return &apiError{status: http.StatusForbidden, msg: orDefault(userMessage(err, runtime.ErrForbidden), m.forbidden)}
	case errors.Is(err, runtime.ErrNotReady):
		return &apiError{status: http.StatusServiceUnavailable, msg: orDefault(userMessage(err, runtime.ErrNotReady), msgNotReady)}
	}
	return err
}

// userMessage returns err's text without the text of sentinel, which err
// wraps, whether it was wrapped as a prefix ("bad request: …") or a suffix
// ("…: bad request"); "" when nothing else is left.
func userMessage(err, sentinel error) string {
	msg, s := err.Error(), sentinel.Error()
	if msg == s {
		return ""
	}
	if rest, ok := strings.CutPrefix(msg, s+": "); ok {
		return rest
	}
	if rest, ok := strings.CutSuffix(msg, ": "+s); ok {
		return rest
	}
	return msg
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
