package broker

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxInFlight bounds the responses queued on one connection; a client that
// pipelines more requests waits for earlier answers (back-pressure).
const maxInFlight = 512

// requestHeader is the part of a request frame before the body.
type requestHeader struct {
	key           int16
	version       int16
	correlationID int32
}

// queuedResponse is a response waiting for its turn to be written.
type queuedResponse struct {
	header requestHeader
	response
}

// conn is one client connection. Requests are read and handled in order on
// the reader goroutine; responses go out in request order from the writer
// goroutine, each once it is ready, so a slow fsync or long-poll never stops
// the connection from taking further requests.
type conn struct {
	s      *Server
	nc     net.Conn
	remote string
	logger *slog.Logger
	// clientID is the client.id of the request being handled; only the
	// reader goroutine touches it.
	clientID string

	ctx    context.Context
	cancel context.CancelFunc
	queue  chan queuedResponse
	async  sync.WaitGroup
}

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	remote := nc.RemoteAddr().String()
	return &conn{
		s:      s,
		nc:     nc,
		remote: remote,
		logger: s.logger.With("client", remote),
		ctx:    ctx,
		cancel: cancel,
		queue:  make(chan queuedResponse, maxInFlight),
	}
}

// serve runs the connection until the client leaves, sends something that is
// not a valid Kafka request, or the server closes.
func (c *conn) serve() {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		if err := c.writeLoop(); err != nil && c.ctx.Err() == nil {
			c.logger.Debug("write failed", "error", err)
		}
		c.cancel()
		c.nc.Close()
	}()
	if err := c.readLoop(); err != nil && c.ctx.Err() == nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		c.logger.Warn("closing connection", "reason", err)
	}
	c.cancel()
	c.nc.Close()
	<-writerDone
	c.async.Wait()
}

// goAsync runs fn on a goroutine owned by the connection; fn must return
// promptly once c.ctx is done.
func (c *conn) goAsync(fn func()) { c.async.Go(fn) }

func (c *conn) readLoop() error {
	br := bufio.NewReaderSize(c.nc, 64<<10)
	var sizeBuf [4]byte
	var buf []byte
	for {
		if _, err := io.ReadFull(br, sizeBuf[:]); err != nil {
			return err
		}
		size := int32(binary.BigEndian.Uint32(sizeBuf[:]))
		if size < 8 {
			return fmt.Errorf("request frame of %d bytes is too short to hold a request header", size)
		}
		if size > c.s.cfg.SocketRequestMaxBytes {
			return fmt.Errorf("request frame of %d bytes is larger than socket.request.max.bytes (%d)", size, c.s.cfg.SocketRequestMaxBytes)
		}
		if cap(buf) < int(size) || cap(buf) > 8<<20 && size < 1<<20 {
			buf = make([]byte, size)
		}
		frame := buf[:size]
		if _, err := io.ReadFull(br, frame); err != nil {
			return err
		}
		q, err := c.handle(frame)
		if err != nil {
			return err
		}
		if q.msg == nil && q.ready == nil {
			continue
		}
		select {
		case c.queue <- q:
		case <-c.ctx.Done():
			return nil
		}
	}
}

// handle decodes one request frame and runs its handler. An error means the
// frame is not a request this broker can answer; the connection is closed.
func (c *conn) handle(frame []byte) (queuedResponse, error) {
	h, req, api, err := decodeRequest(frame)
	q := queuedResponse{header: h}
	switch {
	case errors.Is(err, errVersionTooHigh) && h.key == apiVersionsKey:
		// KIP-511: answer in the oldest format so the client can retry.
		q.header.version = 0
		q.response = now(apiVersionsResponse(0, unsupportedVersionCode))
		return q, nil
	case err != nil:
		return q, err
	}
	c.noteClientID(frame)
	q.response = api.serve(c, req)
	return q, nil
}

// errVersionTooHigh marks a request newer than this broker serves.
var errVersionTooHigh = errors.New("unsupported version")

// decodeRequest parses a request frame (without its size prefix): header,
// then the body with kmsg at the header's version. It never panics on
// malformed input.
func decodeRequest(frame []byte) (requestHeader, kmsg.Request, *apiHandler, error) {
	var h requestHeader
	if len(frame) < 8 {
		return h, nil, nil, errors.New("request frame too short for a header")
	}
	h.key = int16(binary.BigEndian.Uint16(frame[0:]))
	h.version = int16(binary.BigEndian.Uint16(frame[2:]))
	h.correlationID = int32(binary.BigEndian.Uint32(frame[4:]))

	var api *apiHandler
	if h.key >= 0 && int(h.key) < len(handlers) {
		api = handlers[h.key]
	}
	if api == nil {
		return h, nil, nil, fmt.Errorf("unsupported API key %d (%s)", h.key, kmsg.NameForKey(h.key))
	}
	if h.version < api.min || h.version > api.max {
		return h, nil, nil, fmt.Errorf("%w %d of %s (this broker serves %d-%d)", errVersionTooHigh, h.version, kmsg.NameForKey(h.key), api.min, api.max)
	}
	req := kmsg.RequestForKey(h.key)
	req.SetVersion(h.version)
	body, err := skipHeaderRest(frame[8:], req.IsFlexible())
	if err != nil {
		return h, nil, nil, fmt.Errorf("%s v%d: %w", kmsg.NameForKey(h.key), h.version, err)
	}
	if err := req.ReadFrom(body); err != nil {
		return h, nil, nil, fmt.Errorf("malformed %s v%d request: %w", kmsg.NameForKey(h.key), h.version, err)
	}
	return h, req, api, nil
}

// skipHeaderRest skips the client id and, for flexible requests (header v2),
// the header's tagged fields, returning the body.
func skipHeaderRest(b []byte, flexible bool) ([]byte, error) {
	if len(b) < 2 {
		return nil, errors.New("truncated request header")
	}
	idLen := int(int16(binary.BigEndian.Uint16(b)))
	b = b[2:]
	if idLen > 0 {
		if idLen > len(b) {
			return nil, errors.New("truncated client id")
		}
		b = b[idLen:]
	}
	if !flexible {
		return b, nil
	}
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return nil, errors.New("bad tagged fields in request header")
	}
	b = b[k:]
	for range n {
		if _, k = binary.Uvarint(b); k <= 0 {
			return nil, errors.New("bad tagged field in request header")
		}
		b = b[k:]
		size, k := binary.Uvarint(b)
		if k <= 0 || size > uint64(len(b)-k) {
			return nil, errors.New("bad tagged field in request header")
		}
		b = b[k+int(size):]
	}
	return b, nil
}

// writeLoop writes responses in request order, coalescing those that are
// ready together into one write.
func (c *conn) writeLoop() error {
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	var out []byte
	for {
		var q queuedResponse
		select {
		case q = <-c.queue:
		case <-c.ctx.Done():
			return nil
		}
		if q.ready != nil {
			select {
			case <-q.ready:
			default:
				// Send what is finished before waiting on this one.
				if err := bw.Flush(); err != nil {
					return err
				}
				select {
				case <-q.ready:
				case <-c.ctx.Done():
					return nil
				}
			}
		}
		if q.msg != nil {
			out = encodeResponse(out[:0], q.header, q.msg)
			if _, err := bw.Write(out); err != nil {
				return err
			}
			if cap(out) > 4<<20 {
				out = nil
			}
		}
		if q.release != nil {
			q.release()
		}
		if len(c.queue) == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
	}
}

// encodeResponse frames msg: size, correlation id, tagged fields for flexible
// responses (never for ApiVersions, whose response header is always v0), body.
func encodeResponse(dst []byte, h requestHeader, msg kmsg.Response) []byte {
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.correlationID))
	msg.SetVersion(h.version)
	if msg.IsFlexible() && h.key != apiVersionsKey {
		dst = append(dst, 0)
	}
	dst = msg.AppendTo(dst)
	binary.BigEndian.PutUint32(dst, uint32(len(dst)-4))
	return dst
}
