package sqlstoretest

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/passbridge/passbridge/storage/sqlstore"
)

// Statements records every statement a store sends to its database: each
// query and exec, and each BEGIN, COMMIT and ROLLBACK, in the order they
// were sent. Preparing a statement is not counted: a statement is prepared
// once per connection and then only executed. Safe for concurrent use.
type Statements struct {
	mu   sync.Mutex
	sent []string
}

// Reset forgets what was recorded.
func (s *Statements) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = nil
}

// List returns the statements recorded since the last Reset, each on one
// line with its whitespace collapsed.
func (s *Statements) List() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sent...)
}

// Count returns how many statements were recorded since the last Reset.
func (s *Statements) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sent)
}

// String lists the statements, numbered, one a line.
func (s *Statements) String() string {
	var b strings.Builder
	for i, q := range s.List() {
		fmt.Fprintf(&b, "%3d  %s\n", i+1, q)
	}
	return b.String()
}

// Budget runs flow and checks that it sent exactly budget statements:
// more fails with the statements listed; fewer fails too, asking for the
// budget to be lowered, so that a saving is kept.
func (s *Statements) Budget(t testing.TB, flow string, budget int, run func()) {
	t.Helper()
	s.Reset()
	run()
	switch got := s.Count(); {
	case got > budget:
		t.Errorf("%s sent %d statements, budget %d:\n%s", flow, got, budget, s)
	case got < budget:
		t.Errorf("%s sent %d statements, under its budget of %d: lower the budget\n%s", flow, got, budget, s)
	default:
		t.Logf("%s: %d statements\n%s", flow, got, s)
	}
}

func (s *Statements) record(query string) {
	q := strings.Join(strings.Fields(query), " ")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, q)
}

// OpenCounting is Open with every statement the store sends recorded in
// the returned Statements (migration's statements are forgotten).
func OpenCounting(t testing.TB, engine string) (*sqlstore.Store, *Statements) {
	t.Helper()
	rec := &Statements{}
	st, err := sqlstore.OpenWith(context.Background(), URL(t, engine), sqlstore.Options{
		WrapConnector: func(c driver.Connector) driver.Connector { return countingConnector{c, rec} },
	})
	if err != nil {
		t.Fatalf("sqlstoretest: open %s: %v", engine, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("sqlstoretest: close %s: %v", engine, err)
		}
	})
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("sqlstoretest: migrate %s: %v", engine, err)
	}
	rec.Reset()
	return st, rec
}

type countingConnector struct {
	inner driver.Connector
	rec   *Statements
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{inner: conn, rec: c.rec}, nil
}

func (c countingConnector) Driver() driver.Driver { return c.inner.Driver() }

// countingConn passes everything to the driver's connection, recording
// what reaches the database. Where the driver lacks an optional interface
// it answers driver.ErrSkip, so that database/sql takes its fallback.
type countingConn struct {
	inner driver.Conn
	rec   *Statements
}

var (
	_ driver.ConnBeginTx        = (*countingConn)(nil)
	_ driver.ConnPrepareContext = (*countingConn)(nil)
	_ driver.ExecerContext      = (*countingConn)(nil)
	_ driver.QueryerContext     = (*countingConn)(nil)
	_ driver.Pinger             = (*countingConn)(nil)
	_ driver.SessionResetter    = (*countingConn)(nil)
	_ driver.Validator          = (*countingConn)(nil)
	_ driver.NamedValueChecker  = (*countingConn)(nil)
)

func (c *countingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var st driver.Stmt
	var err error
	if p, ok := c.inner.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.inner.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &countingStmt{inner: st, query: query, rec: c.rec}, nil
}

func (c *countingConn) Close() error { return c.inner.Close() }

func (c *countingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.rec.record("BEGIN")
	b, ok := c.inner.(driver.ConnBeginTx)
	if !ok {
		return nil, errors.New("sqlstoretest: the driver cannot begin a transaction with a context")
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return countingTx{inner: tx, rec: c.rec}, nil
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.inner.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	res, err := e.ExecContext(ctx, query, args)
	if err != driver.ErrSkip {
		c.rec.record(query)
	}
	return res, err
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.inner.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	rows, err := q.QueryContext(ctx, query, args)
	if err != driver.ErrSkip {
		c.rec.record(query)
	}
	return rows, err
}

func (c *countingConn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.inner.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type countingTx struct {
	inner driver.Tx
	rec   *Statements
}

func (t countingTx) Commit() error {
	t.rec.record("COMMIT")
	return t.inner.Commit()
}

func (t countingTx) Rollback() error {
	t.rec.record("ROLLBACK")
	return t.inner.Rollback()
}

type countingStmt struct {
	inner driver.Stmt
	query string
	rec   *Statements
}

var (
	_ driver.StmtExecContext   = (*countingStmt)(nil)
	_ driver.StmtQueryContext  = (*countingStmt)(nil)
	_ driver.NamedValueChecker = (*countingStmt)(nil)
)

func (s *countingStmt) Close() error  { return s.inner.Close() }
func (s *countingStmt) NumInput() int { return s.inner.NumInput() }

// Exec and Query are the old interface database/sql no longer calls on a
// statement that has the context-taking methods, as this one does.
func (s *countingStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(args))
}

func (s *countingStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(args))
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	e, ok := s.inner.(driver.StmtExecContext)
	if !ok {
		return nil, errors.New("sqlstoretest: the driver's statement cannot execute with a context")
	}
	s.rec.record(s.query)
	return e.ExecContext(ctx, args)
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.inner.(driver.StmtQueryContext)
	if !ok {
		return nil, errors.New("sqlstoretest: the driver's statement cannot query with a context")
	}
	s.rec.record(s.query)
	return q.QueryContext(ctx, args)
}

func (s *countingStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := s.inner.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func named(args []driver.Value) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, v := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv
}
