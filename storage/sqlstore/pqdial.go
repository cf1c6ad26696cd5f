package sqlstore

import (
	"context"
	"net"
	"time"
)

// cancelRequestTimeout bounds a cancel request, from its dial to
// PostgreSQL's acknowledgement (it closes the connection), which a
// reachable server gives within a round trip or two. lib/pq makes a
// prepared statement's call wait for its cancel request before it returns,
// so this is how much later than its context such a call may return when
// the network is stalled. Once written, the request still reaches the
// server if the network comes back.
const cancelRequestTimeout = 500 * time.Millisecond

// socketDialer is lib/pq's default dialer, except that it hands the
// connections lib/pq opens to the socket their Connect carries. The only
// other connections lib/pq dials through it are cancel requests, which
// cancelRequestTimeout bounds, dial included.
type socketDialer struct {
	d net.Dialer
}

func (d socketDialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

func (d socketDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

func (d socketDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if s, ok := ctx.Value(socketKey{}).(*socket); ok {
		nc, err := d.d.DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		return s.attach(nc), nil
	}
	by := time.Now().Add(cancelRequestTimeout)
	ctx, cancel := context.WithDeadline(ctx, by)
	defer cancel()
	nc, err := d.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	c := cancelConn{Conn: nc, by: by}
	if err := c.SetDeadline(by); err != nil {
		_ = nc.Close()
		return nil, err
	}
	return c, nil
}

// cancelConn is the connection of a cancel request, whose deadlines never
// pass by: lib/pq sets connect_timeout's after the dial.
type cancelConn struct {
	net.Conn
	by time.Time
}

func (c cancelConn) SetDeadline(t time.Time) error      { return c.Conn.SetDeadline(c.bound(t)) }
func (c cancelConn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(c.bound(t)) }
func (c cancelConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.bound(t)) }

func (c cancelConn) bound(t time.Time) time.Time {
	if t.IsZero() || t.After(c.by) {
		return c.by
	}
	return t
}
