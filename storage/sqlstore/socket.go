package sqlstore

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// socketKey marks the context of Connect that carries the *socket the
// dialer fills in.
type socketKey struct{}

// A socket is the network connection under one lib/pq connection, filled in
// by socketDialer while lib/pq opens it. An interrupted socket stays
// interrupted: lib/pq may be anywhere in its protocol when the deadline
// hits, so the connection is never used again.
type socket struct {
	mu    sync.Mutex
	nc    net.Conn
	cause error // why the socket was interrupted; nil while it was not
}

// past is the deadline of an interrupted socket.
func past() time.Time { return time.Unix(1, 0) }

// attach records the network connection lib/pq dialed and returns what
// lib/pq is to use instead. lib/pq dials again, replacing it, when it
// retries with another host or SSL mode.
func (s *socket) attach(nc net.Conn) net.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nc = nc
	if s.cause != nil {
		_ = nc.SetDeadline(past())
	}
	return socketConn{Conn: nc, s: s}
}

// interrupt fails the socket's pending and future reads and writes.
func (s *socket) interrupt(cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cause == nil {
		s.cause = cause
	}
	if s.nc != nil {
		_ = s.nc.SetDeadline(past())
	}
}

// interrupted returns why the socket was interrupted, or nil.
func (s *socket) interrupted() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cause
}

// setDeadline sets a deadline lib/pq asks for with set, unless the socket
// was interrupted: lib/pq sets connect_timeout's deadline after the dial
// and clears it after the startup, which must not undo an interruption.
func (s *socket) setDeadline(set func(time.Time) error, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cause != nil {
		t = past()
	}
	return set(t)
}

// explain adds to a call's error why the socket was interrupted, so that
// it matches the context's error (mapError turns a passed deadline into
// storage.ErrUnavailable). The sentinels database/sql compares with == pass
// unchanged.
func (s *socket) explain(err error) error {
	cause := s.interrupted()
	if cause == nil || err == nil || err == io.EOF || err == driver.ErrSkip {
		return err
	}
	return fmt.Errorf("connection interrupted: %w: %w", cause, err)
}

// watch interrupts the socket if ctx ends before the returned done is
// called. done, called once when the call returns, passes the call's error
// on, explained if ctx ended first.
func (s *socket) watch(ctx context.Context) (done func(error) error) {
	stop := context.AfterFunc(ctx, func() { s.interrupt(ctx.Err()) })
	return func(err error) error {
		if !stop() {
			// ctx ended and the interruption started; make sure it is
			// recorded before the call returns, even if the call
			// succeeded (the connection is then discarded all the same).
			s.interrupt(ctx.Err())
		}
		return s.explain(err)
	}
}

// socketConn is the network connection lib/pq uses, its deadlines set
// through the socket.
type socketConn struct {
	net.Conn
	s *socket
}

func (c socketConn) SetDeadline(t time.Time) error { return c.s.setDeadline(c.Conn.SetDeadline, t) }

func (c socketConn) SetReadDeadline(t time.Time) error {
	return c.s.setDeadline(c.Conn.SetReadDeadline, t)
}

func (c socketConn) SetWriteDeadline(t time.Time) error {
	return c.s.setDeadline(c.Conn.SetWriteDeadline, t)
}
