// Package cutdial provides a dialer for sarama clients whose connections
// can be cut all at once. sarama requests cannot be cancelled: a
// long-polling fetch or a JoinGroup waiting for a rebalance holds its caller
// until the broker answers. Cutting the connection is the way to end such a
// request at once when its owner stops.
package cutdial

import (
	"net"
	"sync"

	"github.com/IBM/sarama"
)

// Dialer remembers the connections it opened so that Cut can close them.
// It implements sarama's proxy dialer interface; install it with Install.
type Dialer struct {
	inner interface {
		Dial(network, addr string) (net.Conn, error)
	}

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
}

// New returns a dialer that opens connections the way sarama would with sc
// (its own proxy dialer, or a net.Dialer with sc's timeouts).
func New(sc *sarama.Config) *Dialer {
	d := &Dialer{conns: map[*conn]struct{}{}}
	if sc.Net.Proxy.Enable && sc.Net.Proxy.Dialer != nil {
		d.inner = sc.Net.Proxy.Dialer
	} else {
		d.inner = &net.Dialer{Timeout: sc.Net.DialTimeout, KeepAlive: sc.Net.KeepAlive, LocalAddr: sc.Net.LocalAddr}
	}
	return d
}

// Install makes sc's clients dial through d.
func (d *Dialer) Install(sc *sarama.Config) {
	sc.Net.Proxy.Enable = true
	sc.Net.Proxy.Dialer = d
}

// Dial opens a connection, unless Cut was called.
func (d *Dialer) Dial(network, addr string) (net.Conn, error) {
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
	tc := &conn{Conn: c, d: d}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	d.conns[tc] = struct{}{}
	return tc, nil
}

// Cut closes every open connection and refuses new ones.
func (d *Dialer) Cut() {
	d.mu.Lock()
	conns := d.conns
	d.conns, d.closed = map[*conn]struct{}{}, true
	d.mu.Unlock()
	for c := range conns {
		c.Conn.Close()
	}
}

// conn is a connection the dialer tracks until it is closed.
type conn struct {
	net.Conn
	d *Dialer
}

func (c *conn) Close() error {
	c.d.mu.Lock()
	delete(c.d.conns, c)
	c.d.mu.Unlock()
	return c.Conn.Close()
}
