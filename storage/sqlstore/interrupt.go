package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/lib/pq"
)

// When a statement's context ends, lib/pq asks PostgreSQL to cancel it on
// a new connection and keeps reading the old one for the answer. If the
// network stopped moving bytes (a partition, a stalled proxy), neither the
// cancellation nor the answer arrives, and the caller waits until TCP
// gives up, minutes past its deadline. So the Store's PostgreSQL
// connections can be interrupted, as pgx's are: from a call's start until
// it returns (for a query, until its rows are closed; for a transaction,
// until it commits or rolls back), the end of the call's context sets a
// deadline in the past on the connection's socket. The read or write lib/pq
// is blocked in fails at once, lib/pq marks the connection bad, and
// database/sql discards it. lib/pq's cancel request still goes out, to stop
// the statement on the server once it can be reached; it is bounded too
// (cancelRequestTimeout), since lib/pq makes a prepared statement's call
// wait for it.

// newPostgresConnector is lib/pq's connector for dsn, with connections that
// a context's end interrupts.
func newPostgresConnector(dsn string) (driver.Connector, error) {
	c, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	c.Dialer(socketDialer{})
	return interruptConnector{inner: c}, nil
}

// interruptConnector opens lib/pq connections whose calls the end of their
// context interrupts (see interruptConn).
type interruptConnector struct {
	inner *pq.Connector
}

// pqConn is what lib/pq's connection implements, and so what
// interruptConn passes on.
type pqConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// Connect opens a connection; the end of ctx interrupts the opening too
// (lib/pq bounds only the dial with it, not the startup that follows).
func (c interruptConnector) Connect(ctx context.Context) (driver.Conn, error) {
	s := new(socket)
	done := s.watch(ctx)
	dc, err := c.inner.Connect(context.WithValue(ctx, socketKey{}, s))
	err = done(err)
	if err == nil && s.interrupted() != nil {
		// Opened, but its socket was interrupted on the way.
		_ = dc.Close()
		err = fmt.Errorf("connection interrupted: %w", s.interrupted())
	}
	if err != nil {
		return nil, err
	}
	pc, ok := dc.(pqConn)
	if !ok {
		_ = dc.Close()
		return nil, errors.New("lib/pq connection lacks an interface database/sql uses")
	}
	return &interruptConn{inner: pc, sock: s}, nil
}

func (c interruptConnector) Driver() driver.Driver { return c.inner.Driver() }
