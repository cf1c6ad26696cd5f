package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/passbridge/passbridge/storage"
)

// mapError turns a driver error into one that wraps the storage sentinel it
// means, keeping the driver's error for logs. Errors it does not recognise
// are returned as they are.
func mapError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return storage.ErrNotFound
	case errors.Is(err, context.DeadlineExceeded), isCanceledStatement(err):
		// The caller's deadline (a request's, see provider.Deps.RequestTimeout)
		// passed before the database answered: a stuck or overloaded
		// database, to the caller as unreachable as a dead one. lib/pq
		// cancels the statement on the server and reports the server's
		// 57014, whichever way the context ended.
		return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
	case errors.Is(err, context.Canceled):
		return err
	case isUniqueViolation(err):
		return fmt.Errorf("%w: %w", storage.ErrAlreadyExists, err)
	case isForeignKeyViolation(err):
		// A row that points at a parent which does not exist: the parent
		// (the user of a device, the client of a token…) was not found.
		return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
	case isUnstorableText(err):
		// Text PostgreSQL cannot hold (a NUL, invalid UTF-8) matches no
		// stored row; callers validate what they write, so this is a lookup
		// of something that cannot exist.
		return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
	case isUnavailable(err):
		return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
	}
	return err
}

// isCanceledStatement reports a statement the server cancelled: lib/pq
// asks for that when the statement's context ends, and statement_timeout
// does it by itself.
func isCanceledStatement(err error) bool {
	return pq.As(err, pqerror.QueryCanceled) != nil
}

func isUniqueViolation(err error) bool {
	if e := pq.As(err, pqerror.UniqueViolation); e != nil {
		return true
	}
	code, ok := sqliteCode(err)
	return ok && (code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func isForeignKeyViolation(err error) bool {
	if e := pq.As(err, pqerror.ForeignKeyViolation); e != nil {
		return true
	}
	code, ok := sqliteCode(err)
	return ok && code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

func isUnstorableText(err error) bool {
	return pq.As(err, pqerror.CharacterNotInRepertoire, pqerror.UntranslatableCharacter) != nil
}

// isUnavailable reports errors that say the database could not be reached
// or is going away, as opposed to errors in what was asked of it.
func isUnavailable(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	if e := pq.As(err); e != nil {
		switch e.Code {
		case pqerror.AdminShutdown, pqerror.CrashShutdown, pqerror.CannotConnectNow,
			pqerror.TooManyConnections:
			return true
		}
		return e.Code.Class() == pqerror.ClassConnectionException
	}
	if code, ok := sqliteCode(err); ok {
		switch code & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR:
			return true
		}
	}
	return false
}

// sqliteCode returns the extended result code of a modernc error.
func sqliteCode(err error) (int, bool) {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}
