package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/passbridge/passbridge/storage"
)

var _ storage.Store = (*Store)(nil)

// bindOnce registers modernc's driver name with sqlx's placeholder table:
// sqlx does not know "sqlite" and would otherwise guess.
var bindOnce sync.Once

// PostgreSQL pool sizing: enough connections for a busy 2-core server, kept
// idle long enough that their prepared statements are reused.
const (
	postgresMaxConns    = 25
	postgresMaxIdleTime = 5 * time.Minute
)

// Store is the SQL storage engine. A Store returned by Open is safe for
// concurrent use; InTx hands its callback a Store bound to one transaction.
type Store struct {
	db      *sqlx.DB
	tx      *sqlx.Tx // set on a Store bound to a transaction
	dialect string
	stmts   *stmtCache
	dsn     string   // what the driver opened; the change feed dials it too
	txs     *txState // set on a Store bound to a transaction
	// retries counts the runs retry started again; shared with the
	// Stores bound to transactions.
	retries *atomic.Uint64
	// backoff, when set, replaces retryBackoff (tests).
	backoff func(n int) time.Duration
}

// Open connects to the database a URL names and pings it; it does not
// migrate. sqlite://<path> opens (and creates, with its parent directory)
// an SQLite file; postgres:// or postgresql:// opens PostgreSQL through
// lib/pq with the URL's parameters.
//
// SQLite gets one connection: SQLite lets one writer in at a time anyway,
// and with a single connection the engine's transactions queue in the pool
// instead of failing with SQLITE_BUSY; busy_timeout covers other processes
// (the CLI) writing to the same file.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	return OpenWith(ctx, databaseURL, Options{})
}

// Options change how OpenWith reaches the database.
type Options struct {
	// WrapConnector, when set, wraps the driver's connector: every
	// connection the Store opens comes from what it returns (tests count
	// the statements a flow sends this way).
	WrapConnector func(driver.Connector) driver.Connector
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	t, err := parseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	bindOnce.Do(func() { sqlx.BindDriver("sqlite", sqlx.QUESTION) })
	if t.dir != "" {
		if err := os.MkdirAll(t.dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	connector, err := t.connector()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", t.dialect, err)
	}
	if opts.WrapConnector != nil {
		connector = opts.WrapConnector(connector)
	}
	db := sqlx.NewDb(sql.OpenDB(connector), t.driver)
	if t.dialect == DialectSQLite {
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	} else {
		db.SetMaxOpenConns(postgresMaxConns)
		db.SetMaxIdleConns(postgresMaxConns)
		db.SetConnMaxIdleTime(postgresMaxIdleTime)
	}
	s := &Store{db: db, dialect: t.dialect, stmts: newStmtCache(db), dsn: t.dsn, retries: new(atomic.Uint64)}
	if err := s.Ping(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s database: %w", t.dialect, err)
	}
	return s, nil
}

// Dialect reports the engine: DialectSQLite or DialectPostgres.
func (s *Store) Dialect() string { return s.dialect }

// Stats reports the connection pool's statistics, for metrics.
func (s *Store) Stats() sql.DBStats { return s.db.Stats() }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var err error
	if s.tx != nil {
		_, err = s.tx.ExecContext(ctx, "SELECT 1")
	} else {
		err = s.db.PingContext(ctx)
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return fmt.Errorf("ping: %w: %w", storage.ErrUnavailable, err)
}

// Close releases the cached statements and the connections. On a Store
// bound to a transaction it does nothing: the transaction's owner ends it.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	return errors.Join(s.stmts.close(), s.db.Close())
}

// InTx runs fn against a Store bound to one database transaction. Called on
// such a Store, it runs fn inside a savepoint of the same transaction, so
// that an error from fn undoes only fn's work (and, on PostgreSQL, leaves
// the transaction usable after a failed statement).
//
// Inside fn, ErrAlreadyExists from a Create* or an update of a user or
// session leaves the transaction usable on both engines. On PostgreSQL any
// other failed statement (a reference to a missing row, say) aborts the
// transaction: fn should return such an error, or make the call inside a
// nested InTx.
func (s *Store) InTx(ctx context.Context, fn func(tx storage.Store) error) error {
	if s.tx != nil {
		return s.savepoint(ctx, func() error { return fn(s) })
	}
	return s.inTx(ctx, func(tx *Store) error { return fn(tx) })
}

// inTx runs fn in a transaction, or in the current one if s is bound to one.
// fn's error is returned unchanged. A transaction that fails for a
// serialization failure or a deadlock, in fn or at its commit, is run again
// from the start (see retry), so fn must do nothing but its work on tx.
func (s *Store) inTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	return s.retry(ctx, func() error { return s.runTx(ctx, fn) })
}

// runTx is one run of a top-level inTx: begin, fn, commit. When a
// statement failed for a serialization failure or a deadlock, it rolls
// back and returns that failure even if fn returned nil or another error,
// so that retry runs fn again.
func (s *Store) runTx(ctx context.Context, fn func(tx *Store) error) (err error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", mapError(err))
	}
	finished := false
	defer func() {
		if !finished { // fn panicked
			_ = tx.Rollback()
		}
	}()
	bound := *s
	bound.tx, bound.txs = tx, new(txState)
	ferr := fn(&bound)
	finished = true
	if doomed := bound.txs.failure(); doomed != nil && !retryable(ferr) {
		_ = tx.Rollback()
		return fmt.Errorf("transaction: %w", doomed)
	}
	if ferr != nil {
		_ = tx.Rollback()
		return ferr
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapError(err))
	}
	return nil
}

// savepoint runs fn inside a savepoint of the bound transaction and rolls
// back to it when fn fails. Both dialects accept a reused savepoint name:
// the innermost one wins, so nesting needs no counter.
func (s *Store) savepoint(ctx context.Context, fn func() error) error {
	if _, err := s.tx.ExecContext(ctx, "SAVEPOINT passbridge"); err != nil {
		return fmt.Errorf("savepoint: %w", s.driverError(err))
	}
	if ferr := fn(); ferr != nil {
		if _, err := s.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT passbridge"); err != nil {
			return errors.Join(ferr, fmt.Errorf("rollback to savepoint: %w", s.driverError(err)))
		}
		if _, err := s.tx.ExecContext(ctx, "RELEASE SAVEPOINT passbridge"); err != nil {
			return errors.Join(ferr, fmt.Errorf("release savepoint: %w", s.driverError(err)))
		}
		return ferr
	}
	if _, err := s.tx.ExecContext(ctx, "RELEASE SAVEPOINT passbridge"); err != nil {
		return fmt.Errorf("release savepoint: %w", s.driverError(err))
	}
	return nil
}
