package connectcli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

var (
	// ErrInvalidArgument is returned when a flag, argument or input file
	// given by the user is malformed, before any request is sent.
	ErrInvalidArgument = errors.New("invalid argument")

	// ErrUnreachable is returned when the REST API could not be reached at
	// all (connection refused, unknown host, no response in time). It is
	// joined with the network error, so errors.Is(err,
	// syscall.ECONNREFUSED) also works.
	ErrUnreachable = errors.New("cannot reach the Kafka Connect REST API")

	// ErrInvalidConfig is returned by the validate command when the worker
	// found errors in the configuration, after they were printed.
	ErrInvalidConfig = errors.New("invalid connector configuration")

	// ErrNotFound matches (with errors.Is) an *APIError with status 404: no
	// such connector, task or plugin.
	ErrNotFound = errors.New("not found")

	// ErrConflict matches an *APIError with status 409: the connector
	// already exists, or the cluster was rebalancing for longer than the
	// client kept retrying.
	ErrConflict = errors.New("conflict")

	// ErrBadRequest matches an *APIError with status 400, such as an invalid
	// connector configuration.
	ErrBadRequest = errors.New("bad request")
)

// APIError is an error response of the REST API: Kafka Connect's error
// entity {"error_code":N,"message":"..."}, or for a body of another shape
// (a proxy's HTML page, say) the status and a short excerpt.
type APIError struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Code is the entity's error_code, which Kafka Connect sets to the HTTP
	// status; it is StatusCode when the body had none.
	Code int
	// Message is the entity's message, or what the body said otherwise.
	Message string
	// Method and Path name the request, for logs and debugging.
	Method, Path string
}

// Error returns the worker's message followed by the code, as
// "<message> (HTTP <code>)".
func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Code)
}

// Is makes errors.Is(err, ErrNotFound) and the like work on the status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	}
	return false
}

// maxExcerpt bounds how much of a body that is not Kafka Connect's error
// entity goes into an APIError's message.
const maxExcerpt = 200

// newAPIError decodes the error entity of an error response.
func newAPIError(method, path string, resp *Response) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, Code: resp.StatusCode, Method: method, Path: path}
	var body struct {
		ErrorCode *int    `json:"error_code"`
		Message   *string `json:"message"`
	}
	if json.Unmarshal(resp.Body, &body) == nil && body.Message != nil {
		e.Message = *body.Message
		if body.ErrorCode != nil && *body.ErrorCode != 0 {
			e.Code = *body.ErrorCode
		}
		return e
	}
	excerpt := strings.Join(strings.Fields(string(resp.Body)), " ")
	if len(excerpt) > maxExcerpt {
		excerpt = excerpt[:maxExcerpt] + "…"
	}
	if excerpt == "" {
		excerpt = http.StatusText(resp.StatusCode)
	}
	e.Message = fmt.Sprintf("%s %s: %s", method, path, excerpt)
	return e
}

// rebalancing reports whether a 409 is worth retrying: Kafka Connect
// answers 409 both while the cluster rebalances (or the leader is unknown,
// or the config is stale), which passes, and when POST /connectors names a
// connector that already exists, which does not. Over HTTP the message is
// the only thing that tells them apart.
func rebalancing(e *APIError) bool {
	return e.StatusCode == http.StatusConflict && !strings.Contains(strings.ToLower(e.Message), "already exists")
}
