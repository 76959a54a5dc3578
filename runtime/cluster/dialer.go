package cluster

import (
	"net"
	"sync"

	"github.com/IBM/sarama"
)

// connDialer is sarama's proxy.Dialer interface.
type connDialer interface {
	Dial(network, addr string) (net.Conn, error)
}

// dialerOf returns the dialer sarama would use for sc.
func dialerOf(sc *sarama.Config) connDialer {
	if sc.Net.Proxy.Enable && sc.Net.Proxy.Dialer != nil {
		return sc.Net.Proxy.Dialer
	}
	return &net.Dialer{Timeout: sc.Net.DialTimeout, KeepAlive: sc.Net.KeepAlive, LocalAddr: sc.Net.LocalAddr}
}

// cutDialer remembers the connections it opened so that shutdown can cut
// them. sarama requests cannot be cancelled, and a JoinGroup may wait for a
// whole rebalance: cutting its connection is the way to end it at once when
// the member stops.
type cutDialer struct {
	inner connDialer

	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
}

func newCutDialer(inner connDialer) *cutDialer {
	return &cutDialer{inner: inner, conns: map[*trackedConn]struct{}{}}
}

// Dial opens a connection with the inner dialer, unless shutdown was called.
func (d *cutDialer) Dial(network, addr string) (net.Conn, error) {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return nil, net.ErrClosed
	}
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

// shutdown closes every open connection and refuses new ones.
func (d *cutDialer) shutdown() {
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
	d *cutDialer
}

func (c *trackedConn) Close() error {
	c.d.mu.Lock()
	delete(c.d.conns, c)
	c.d.mu.Unlock()
	return c.Conn.Close()
}
