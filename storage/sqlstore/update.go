package sqlstore

import (
	"context"
	"errors"
	"fmt"
)

// callbackError carries the error of an Update* callback out of the
// transaction, so that it is returned unchanged (storage contract).
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

// update runs one read-modify-write in a transaction: fn reads the row with
// a lock (see forUpdate), calls the caller's callback and writes the result.
// queries are the statements fn runs, prepared before the transaction
// begins so that they run prepared inside it.
//
// mayFail marks rows whose update can break a constraint (a duplicate
// external ID, a session moved to a missing device). Inside a caller's
// PostgreSQL transaction such an update runs in a savepoint, so that the
// failure does not abort the caller's transaction.
func (s *Store) update(ctx context.Context, op string, mayFail bool, queries []string, fn func(tx *Store) error) error {
	if err := s.warm(ctx, queries...); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var err error
	if mayFail && s.tx != nil && s.dialect == DialectPostgres {
		err = s.savepoint(ctx, func() error { return fn(s) })
	} else {
		err = s.inTx(ctx, fn)
	}
	var cb callbackError
	if errors.As(err, &cb) {
		return cb.err
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// updateRow is update for the row of one Update*: read loads it with the
// locking form of getQuery, the caller's fn changes it, and write pins what
// cannot change and stores it with updateQuery, returning the stored value.
func updateRow[T any](ctx context.Context, s *Store, op string, mayFail bool, getQuery, updateQuery string,
	read func(tx *Store, lock string) (T, error), fn func(T) (T, error), write func(tx *Store, cur, next T) (T, error),
) (T, error) {
	var out T
	lock := s.forUpdate(getQuery)
	err := s.update(ctx, op, mayFail, []string{lock, updateQuery}, func(tx *Store) error {
		cur, err := read(tx, lock)
		if err != nil {
			return err
		}
		next, err := fn(cur)
		if err != nil {
			return callbackError{err}
		}
		out, err = write(tx, cur, next)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}
