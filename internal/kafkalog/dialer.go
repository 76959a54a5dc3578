package kafkalog

import (
	"net"
	"sync"
)

// connDialer is sarama's proxy.Dialer interface.
type connDialer interface {
	Dial(network, addr string) (net.Conn, error)
}

// trackingDialer remembers the connections it opened so that closeAll can cut
// them. The fetch client uses it: closing a sarama client waits for a
// long-polling fetch to be answered, while cutting the connection ends it at
// once, so Close does not wait for the fetch to time out.
type trackingDialer struct {
	inner connDialer

	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
}

func newTrackingDialer(inner connDialer) *trackingDialer {
	return &trackingDialer{inner: inner, conns: map[*trackedConn]struct{}{}}
}

// Dial opens a connection with the inner dialer, unless closeAll was called.
func (d *trackingDialer) Dial(network, addr string) (net.Conn, error) {
	c, err := d.inner.Dial(network, addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, d: d}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	d.conns[tc] = struct{}{}
	return tc, nil
}

// closeAll closes every open connection and refuses new ones.
func (d *trackingDialer) closeAll() {
	d.mu.Lock()
	conns := d.conns
	d.conns, d.closed = map[*trackedConn]struct{}{}, true
	d.mu.Unlock()
	for c := range conns {
		c.Conn.Close()
	}
}

type trackedConn struct {
	net.Conn
	d *trackingDialer
}

func (c *trackedConn) Close() error {
	c.d.mu.Lock()
	delete(c.d.conns, c)
	c.d.mu.Unlock()
	return c.Conn.Close()
}
