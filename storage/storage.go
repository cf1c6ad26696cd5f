// Package storage defines passbridge's domain types and the one interface every
// storage engine implements. It imports no driver: engines live in
// storage/sqlstore, and storage/storagetest is the conformance suite they pass.
//
// Conventions every engine keeps:
//   - Times are stored and returned in UTC, rounded to the microsecond. A zero
//     time.Time means "never" (NULL in SQL).
//   - Callers choose IDs (see NewID) and timestamps; engines never read a clock,
//     so the caller's clock decides expiry ("now" is always a parameter).
//   - Lookups that find nothing return ErrNotFound; a uniqueness violation
//     returns ErrAlreadyExists; an unreachable database returns ErrUnavailable.
//     Errors wrap these sentinels so callers test them with errors.Is.
//   - Update* methods run the callback inside one database transaction with the
//     row locked, so concurrent updates of one row never lose a write;
//     returning an error from it aborts the update and returns that error
//     unchanged.
//   - A transaction the database aborts for a serialization failure or a
//     deadlock (SERIALIZABLE isolation, CockroachDB) is run again by the
//     engine, a bounded number of times and never past the context's
//     deadline. So the callback of an Update* or InTx may run more than once,
//     each time on the row (or the database) as it is then: it must do nothing
//     but compute its result and call the Store it is handed, and keep
//     nothing from an earlier run (no appends to an outer slice, no
//     channel sends, no counters, no I/O).
//   - A deadline that passes while the database has not answered is
//     ErrUnavailable, as an unreachable database is.
//   - Consume* methods are single-use: of N concurrent callers exactly one gets
//     the row, the others get ErrNotFound. They are one conditional statement
//     (DELETE/UPDATE … RETURNING), never a read followed by a write. An expired
//     row is not consumed and stays for GC.
package storage

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"strings"
	"time"
)

// Sentinel errors. Engines wrap them; callers branch with errors.Is.
var (
	// ErrNotFound: no row matched (or a single-use row was already consumed or expired).
	ErrNotFound = errors.New("storage: not found")
	// ErrAlreadyExists: a uniqueness constraint was violated.
	ErrAlreadyExists = errors.New("storage: already exists")
	// ErrUnavailable: the database could not be reached; the request may be retried.
	ErrUnavailable = errors.New("storage: unavailable")
	// ErrReused: a single-use row that is remembered after its use (an
	// authorization code, a refresh token) was presented again. The row
	// comes back with the error, so the caller can revoke what it granted.
	ErrReused = errors.New("storage: already used")
	// ErrUserInactive: a write that signs a user in (a session, tokens)
	// found the user inactive or gone, and wrote nothing for them.
	ErrUserInactive = errors.New("storage: user inactive")
	// ErrConflict: the row a change needs is no longer in the state the
	// change is for (an auth request completed already, or gone).
	ErrConflict = errors.New("storage: conflict")
)

// Store is the whole persistence surface of passbridge. Every method is safe
// for concurrent use.
type Store interface {
	AppStore
	APIKeyStore
	AdminKeyStore
	UserStore
	DeviceStore
	BulkStore
	CeremonyStore
	CommitStore
	ClientStore
	OIDCStore
	SessionStore
	SigningKeyStore
	AuditStore
	EnrolmentLinkStore

	// InTx runs fn against a Store bound to one database transaction: every
	// call fn makes on its argument commits together or not at all. An error
	// from fn rolls back and is returned unchanged. Calling InTx on the
	// transaction's Store runs fn in the same transaction. fn may run more
	// than once (see the package's conventions on retries).
	InTx(ctx context.Context, fn func(tx Store) error) error
	// DeleteExpired removes every expiring row (handshakes, nonces, auth
	// requests, codes, tokens, sessions, expired retired signing keys, used
	// request objects, enrolment links) whose
	// expiry is at or before now, and every transaction whose expiry is at or
	// before now - TransactionRetention, and reports how many went.
	DeleteExpired(ctx context.Context, now time.Time) (GCResult, error)
	// Ping reports whether the database answers (ErrUnavailable if not).
	Ping(ctx context.Context) error
	// Close releases the engine's connections.
	Close() error
}

// GCResult counts the rows DeleteExpired removed, by kind.
type GCResult map[string]int64

// Total is the number of rows removed across all kinds.
func (r GCResult) Total() int64 {
	var n int64
	for _, v := range r {
		n += v
	}
	return n
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewID returns a random, URL-safe identifier of 26 lowercase letters and
// digits (128 bits of entropy).
func NewID() string {
	return strings.ToLower(idEncoding.EncodeToString(RandomBytes(16)))
}

// RandomBytes returns n bytes from the operating system's CSPRNG.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+): it crashes the program instead.
	return b
}
