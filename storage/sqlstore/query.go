package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/passbridge/passbridge/storage"
)

// stmtCache holds one prepared statement per query text, for statements run
// outside a transaction. A database/sql statement prepares itself again on
// any connection that lacks it, so a statement survives the loss of the
// connection it was first prepared on (a PostgreSQL restart, say).
type stmtCache struct {
	db *sqlx.DB
	mu sync.RWMutex
	m  map[string]*sqlx.Stmt // keyed by the query as written, with "?"
	// pending holds the queries prepareLater is preparing.
	pending map[string]bool
}

func newStmtCache(db *sqlx.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sqlx.Stmt), pending: make(map[string]bool)}
}

// prepareLater prepares query in the background unless it is cached or
// being prepared: for a statement met inside a transaction, which does not
// wait for a preparation (see stmt), so that it runs prepared from then on.
// It takes a connection of its own and holds up no caller; a failure is
// tried again at the next call.
func (c *stmtCache) prepareLater(query string) {
	c.mu.Lock()
	if c.m[query] != nil || c.pending[query] {
		c.mu.Unlock()
		return
	}
	c.pending[query] = true
	c.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), prepareLaterTimeout)
		defer cancel()
		_, _ = c.prepare(ctx, query)
		c.mu.Lock()
		delete(c.pending, query)
		c.mu.Unlock()
	}()
}

// prepareLaterTimeout bounds a background preparation waiting for a
// connection of a busy pool.
const prepareLaterTimeout = 30 * time.Second

// cached returns the statement for query if it was prepared already.
func (c *stmtCache) cached(query string) *sqlx.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[query]
}

// prepare returns the statement for query, preparing it on first use. A
// failed preparation is not cached, so the next call tries again.
func (c *stmtCache) prepare(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if st := c.cached(query); st != nil {
		return st, nil
	}
	st, err := c.db.PreparexContext(ctx, c.db.Rebind(query))
	if err != nil {
		return nil, mapError(err)
	}
	c.mu.Lock()
	prev := c.m[query]
	if prev == nil {
		c.m[query] = st
	}
	c.mu.Unlock()
	if prev != nil {
		// A concurrent caller won the race. Close outside the lock: closing
		// waits for the connections the statement was prepared on, which
		// may be running a query whose transaction waits for this cache.
		_ = st.Close()
		return prev, nil
	}
	return st, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	m := c.m
	c.m = make(map[string]*sqlx.Stmt)
	c.mu.Unlock()
	var errs []error
	for _, st := range m {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// stmt returns how to run query: a cached prepared statement outside a
// transaction; inside one, the cached statement moved onto the transaction's
// connection, or (nil, rebound text) to run it unprepared. A transaction
// never waits for a preparation on the pool: on SQLite the pool's one
// connection is the transaction's, and waiting for another would wait
// forever. On PostgreSQL a statement met first inside a transaction is
// prepared aside (prepareLater), so that later transactions run it
// prepared.
func (s *Store) stmt(ctx context.Context, query string) (*sqlx.Stmt, string, error) {
	if s.tx == nil {
		st, err := s.stmts.prepare(ctx, query)
		return st, "", err
	}
	if st := s.stmts.cached(query); st != nil {
		return s.tx.StmtxContext(ctx, st), "", nil
	}
	if s.dialect == DialectPostgres {
		s.stmts.prepareLater(query)
	}
	return nil, s.tx.Rebind(query), nil
}

// warm prepares queries that a transaction about to begin will run, so that
// they run prepared inside it.
func (s *Store) warm(ctx context.Context, queries ...string) error {
	if s.tx != nil {
		return nil
	}
	for _, q := range queries {
		if _, err := s.stmts.prepare(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// run runs one statement of query: through a cached prepared statement
// (st), or, inside a transaction, as rebound text when none is cached yet.
// Every statement of the Store goes through it. Outside a transaction the
// statement is its own transaction, run again on a serialization failure
// or a deadlock (see retry); inside one, such a failure dooms the
// transaction, which inTx runs again.
func (s *Store) run(ctx context.Context, query string, do func(st *sqlx.Stmt, text string) error) error {
	if s.tx != nil {
		st, text, err := s.stmt(ctx, query)
		if err != nil {
			return err
		}
		return s.driverError(do(st, text))
	}
	return s.retry(ctx, func() error {
		st, _, err := s.stmt(ctx, query)
		if err != nil {
			return err
		}
		return mapError(do(st, ""))
	})
}

// get scans the one row query returns into dest; no row is ErrNotFound.
func (s *Store) get(ctx context.Context, dest any, query string, args ...any) error {
	return s.run(ctx, query, func(st *sqlx.Stmt, text string) error {
		if st != nil {
			return st.GetContext(ctx, dest, args...)
		}
		return s.tx.GetContext(ctx, dest, text, args...)
	})
}

// list scans every row query returns into the slice dest points to.
func (s *Store) list(ctx context.Context, dest any, query string, args ...any) error {
	return s.run(ctx, query, func(st *sqlx.Stmt, text string) error {
		emptySlice(dest) // a run again must not append to a failed run's rows
		if st != nil {
			return st.SelectContext(ctx, dest, args...)
		}
		return s.tx.SelectContext(ctx, dest, text, args...)
	})
}

// emptySlice sets the slice dest points to to length 0: sqlx appends
// what it scans.
func emptySlice(dest any) {
	if v := reflect.ValueOf(dest); v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Slice {
		v.Elem().SetLen(0)
	}
}

// exec runs a statement and returns how many rows it changed.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.run(ctx, query, func(st *sqlx.Stmt, text string) error {
		var (
			res sql.Result
			err error
		)
		if st != nil {
			res, err = st.ExecContext(ctx, args...)
		} else {
			res, err = s.tx.ExecContext(ctx, text, args...)
		}
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// insert runs an INSERT … ON CONFLICT DO NOTHING; inserting nothing means
// a uniqueness constraint held the row out: ErrAlreadyExists. Avoiding the
// error keeps a PostgreSQL transaction usable after a duplicate (PostgreSQL
// aborts a transaction on a failed statement), so a caller can handle
// ErrAlreadyExists inside InTx and go on, at no extra round trip.
func (s *Store) insert(ctx context.Context, query string, args ...any) error {
	n, err := s.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return storage.ErrAlreadyExists
	}
	return nil
}

// execOne runs a statement that must change exactly one row; none is
// ErrNotFound.
func (s *Store) execOne(ctx context.Context, query string, args ...any) error {
	n, err := s.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// forUpdate locks the rows a SELECT reads until the transaction ends. On
// PostgreSQL the lock is FOR NO KEY UPDATE: updates through it never change
// a row's key, and a stronger FOR UPDATE would also block every insert of a
// row that refers to the locked one (a foreign key takes KEY SHARE), such
// as a session of a device a ceremony is updating; with a share lock on the
// user on the other side, that was a deadlock at sign-in. An UPDATE that
// does change a unique column takes the stronger lock by itself. SQLite
// has no row locks: its transactions take the database's write lock when
// they begin (_txlock=immediate), which serialises them.
func (s *Store) forUpdate(query string) string {
	if s.dialect == DialectPostgres {
		return query + " FOR NO KEY UPDATE"
	}
	return query
}
