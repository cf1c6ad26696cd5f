package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"reflect"
)

// interruptConn is a lib/pq connection whose calls the end of their context
// interrupts (see interrupt.go). Once interrupted it refuses every call
// with driver.ErrBadConn, before anything reaches the network, and reports
// itself invalid, so that database/sql closes it instead of reusing it.
type interruptConn struct {
	inner pqConn
	sock  *socket
}

var (
	_ driver.ConnBeginTx        = (*interruptConn)(nil)
	_ driver.ConnPrepareContext = (*interruptConn)(nil)
	_ driver.ExecerContext      = (*interruptConn)(nil)
	_ driver.QueryerContext     = (*interruptConn)(nil)
	_ driver.Pinger             = (*interruptConn)(nil)
	_ driver.SessionResetter    = (*interruptConn)(nil)
	_ driver.Validator          = (*interruptConn)(nil)
	_ driver.NamedValueChecker  = (*interruptConn)(nil)
)

func (c *interruptConn) broken() bool { return c.sock.interrupted() != nil }

func (c *interruptConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *interruptConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if c.broken() {
		return nil, driver.ErrBadConn
	}
	done := c.sock.watch(ctx)
	st, err := c.inner.PrepareContext(ctx, query)
	if err := done(err); err != nil {
		return nil, err
	}
	return &interruptStmt{inner: st, conn: c}, nil
}

func (c *interruptConn) Close() error { return c.inner.Close() }

func (c *interruptConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx watches ctx until the transaction ends: database/sql runs Commit
// and Rollback without a context, and rolls back by itself when the
// transaction's context ends, both of which would otherwise wait on a
// stalled connection.
func (c *interruptConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.broken() {
		return nil, driver.ErrBadConn
	}
	done := c.sock.watch(ctx)
	t, err := c.inner.BeginTx(ctx, opts)
	if err != nil {
		return nil, done(err)
	}
	return &interruptTx{inner: t, done: done}, nil
}

func (c *interruptConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.broken() {
		return nil, driver.ErrBadConn
	}
	done := c.sock.watch(ctx)
	res, err := c.inner.ExecContext(ctx, query, args)
	return res, done(err)
}

func (c *interruptConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.broken() {
		return nil, driver.ErrBadConn
	}
	done := c.sock.watch(ctx)
	r, err := c.inner.QueryContext(ctx, query, args)
	if err != nil {
		return nil, done(err)
	}
	return &interruptRows{inner: r, sock: c.sock, done: done}, nil
}

func (c *interruptConn) Ping(ctx context.Context) error {
	if c.broken() {
		return driver.ErrBadConn
	}
	done := c.sock.watch(ctx)
	return done(c.inner.Ping(ctx))
}

func (c *interruptConn) ResetSession(ctx context.Context) error {
	if c.broken() {
		return driver.ErrBadConn
	}
	return c.inner.ResetSession(ctx)
}

func (c *interruptConn) IsValid() bool { return !c.broken() && c.inner.IsValid() }

func (c *interruptConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.inner.CheckNamedValue(nv)
}

// interruptTx ends the watch BeginTx started once the transaction ends.
type interruptTx struct {
	inner driver.Tx
	done  func(error) error
}

func (t *interruptTx) Commit() error   { return t.end(t.inner.Commit()) }
func (t *interruptTx) Rollback() error { return t.end(t.inner.Rollback()) }

func (t *interruptTx) end(err error) error {
	done := t.done
	if done == nil {
		return err
	}
	t.done = nil
	return done(err)
}

// interruptStmt is a statement prepared on an interruptConn; each run
// watches its own context. lib/pq's statements take a context, except
// COPY's, which run as database/sql would run them: only if the context
// has not ended.
type interruptStmt struct {
	inner driver.Stmt
	conn  *interruptConn
}

func (s *interruptStmt) Close() error  { return s.inner.Close() }
func (s *interruptStmt) NumInput() int { return s.inner.NumInput() }

// Exec and Query are the old interface database/sql does not call on a
// statement with the context-taking methods.
func (s *interruptStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), namedValues(args))
}

func (s *interruptStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), namedValues(args))
}

func (s *interruptStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if s.conn.broken() {
		return nil, driver.ErrBadConn
	}
	done := s.conn.sock.watch(ctx)
	var (
		res driver.Result
		err error
	)
	if e, ok := s.inner.(driver.StmtExecContext); ok {
		res, err = e.ExecContext(ctx, args)
	} else {
		var vals []driver.Value
		if vals, err = plainValues(ctx, args); err == nil {
			res, err = s.inner.Exec(vals) //lint:ignore SA1019 COPY's statement has only Exec
		}
	}
	return res, done(err)
}

func (s *interruptStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if s.conn.broken() {
		return nil, driver.ErrBadConn
	}
	done := s.conn.sock.watch(ctx)
	var (
		r   driver.Rows
		err error
	)
	if q, ok := s.inner.(driver.StmtQueryContext); ok {
		r, err = q.QueryContext(ctx, args)
	} else {
		var vals []driver.Value
		if vals, err = plainValues(ctx, args); err == nil {
			r, err = s.inner.Query(vals) //lint:ignore SA1019 COPY's statement has only Query
		}
	}
	if err != nil {
		return nil, done(err)
	}
	return &interruptRows{inner: r, sock: s.conn.sock, done: done}, nil
}

func namedValues(args []driver.Value) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, v := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv
}

// plainValues is what database/sql does before calling a statement without
// a context: it refuses named arguments and a context that has ended.
func plainValues(ctx context.Context, args []driver.NamedValue) ([]driver.Value, error) {
	vals := make([]driver.Value, len(args))
	for i, a := range args {
		if a.Name != "" {
			return nil, errors.New("sql: driver does not support the use of Named Parameters")
		}
		vals[i] = a.Value
	}
	return vals, ctx.Err()
}

// interruptRows keeps the watch its query started until the rows are closed:
// database/sql reads them after QueryContext returned, on the same
// connection, and a read can stall as well as the query.
type interruptRows struct {
	inner driver.Rows
	sock  *socket
	done  func(error) error
}

var (
	_ driver.RowsNextResultSet              = (*interruptRows)(nil)
	_ driver.RowsColumnTypeScanType         = (*interruptRows)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*interruptRows)(nil)
	_ driver.RowsColumnTypeLength           = (*interruptRows)(nil)
	_ driver.RowsColumnTypePrecisionScale   = (*interruptRows)(nil)
)

func (r *interruptRows) Columns() []string { return r.inner.Columns() }

func (r *interruptRows) Next(dest []driver.Value) error { return r.sock.explain(r.inner.Next(dest)) }

func (r *interruptRows) Close() error {
	err := r.inner.Close()
	if done := r.done; done != nil {
		r.done = nil
		err = done(err)
	}
	return err
}

// The column and result-set methods pass lib/pq's on; where the rows lack
// one they answer what database/sql assumes without it.

func (r *interruptRows) HasNextResultSet() bool {
	n, ok := r.inner.(driver.RowsNextResultSet)
	return ok && n.HasNextResultSet()
}

func (r *interruptRows) NextResultSet() error {
	n, ok := r.inner.(driver.RowsNextResultSet)
	if !ok {
		return io.EOF
	}
	return r.sock.explain(n.NextResultSet())
}

func (r *interruptRows) ColumnTypeScanType(i int) reflect.Type {
	if c, ok := r.inner.(driver.RowsColumnTypeScanType); ok {
		return c.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *interruptRows) ColumnTypeDatabaseTypeName(i int) string {
	if c, ok := r.inner.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return c.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *interruptRows) ColumnTypeLength(i int) (int64, bool) {
	if c, ok := r.inner.(driver.RowsColumnTypeLength); ok {
		return c.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *interruptRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if c, ok := r.inner.(driver.RowsColumnTypePrecisionScale); ok {
		return c.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}
