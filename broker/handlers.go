package broker

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// response is a handler's answer to one request: the message to send, either
// complete now (ready is nil) or once ready is closed. A zero response sends
// nothing (Produce with acks=0). release, if set, runs after the message has
// been written, to recycle buffers the message points into.
type response struct {
	msg     kmsg.Response
	ready   <-chan struct{}
	release func()
}

// handlerFunc serves one decoded request on a connection. It runs on the
// connection's reader goroutine, one request at a time per connection; work
// that must wait (fsync, fetch long-poll) goes to a goroutine started with
// c.goAsync that closes the response's ready channel. The request's byte
// fields alias the connection's read buffer, which is reused once the handler
// returns: a handler that keeps bytes beyond its return must copy them.
type handlerFunc func(c *conn, req kmsg.Request) response

// apiHandler is a registered handler and the versions it serves.
type apiHandler struct {
	key, min, max int16
	serve         handlerFunc
}

// handlers is indexed by API key; ApiVersions is derived from it.
var handlers [128]*apiHandler

// register adds the handler of one API key. Each API's file calls it from
// init, so the advertised versions never drift from the code.
func register(key, min, max int16, serve handlerFunc) {
	if handlers[key] != nil {
		panic(fmt.Sprintf("broker: API key %d registered twice", key))
	}
	if req := kmsg.RequestForKey(key); req == nil || max > req.MaxVersion() {
		panic(fmt.Sprintf("broker: kmsg cannot encode API key %d up to version %d", key, max))
	}
	handlers[key] = &apiHandler{key: key, min: min, max: max, serve: serve}
}

// now wraps msg as a response that is complete immediately.
func now(msg kmsg.Response) response { return response{msg: msg} }
