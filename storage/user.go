package storage

import (
	"context"
	"time"
)

// User statuses.
const (
	UserActive   = "active"
	UserInactive = "inactive"
)

// User is a person known to one app by the app's own identifier (ExternalID).
type User struct {
	ID          string
	AppID       string
	ExternalID  string // the app's identifier; unique per app
	Handle      []byte // WebAuthn user handle: random, never PII, unique per app
	DisplayName string
	Status      string // UserActive | UserInactive
	LoginCount  int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LastLoginAt time.Time // zero: never
}

// UserQuery filters and pages ListUsers and ListUsersPage.
type UserQuery struct {
	ExternalID string // exact match when not empty
	Status     string // UserActive or UserInactive; empty: every status
	Limit      int    // 0: engine default of 50; at most 1000
	Offset     int    // ListUsers only: rows to skip
	// After is ListUsersPage's cursor: the NextCursor of the page before;
	// empty for the first page. One that no page handed out is
	// ErrInvalidCursor.
	After string
}

// UserPage is one page of ListUsersPage.
type UserPage struct {
	Items []User
	// NextCursor continues the listing after Items; empty on the last page.
	NextCursor string
}

// UserStore persists users. Deleting a user deletes its devices, sessions,
// tokens, transactions, handshakes and nonces.
type UserStore interface {
	CreateUser(ctx context.Context, u User) error
	// CreateUserWithTransaction stores a new user, the audit event of its
	// creation and a transaction of it, all or nothing (one statement on
	// PostgreSQL). A user the app has already (same ID or external ID)
	// is ErrAlreadyExists, and then nothing is stored.
	CreateUserWithTransaction(ctx context.Context, u User, e AuditEvent, t Transaction) error
	GetUser(ctx context.Context, appID, id string) (User, error)
	GetUserByExternalID(ctx context.Context, appID, externalID string) (User, error)
	GetUserByHandle(ctx context.Context, appID string, handle []byte) (User, error)
	// ListUsers returns one page ordered by CreatedAt, then ID, and the number
	// of users matching the filter across all pages (offset paging, as the
	// Flex API pages).
	ListUsers(ctx context.Context, appID string, q UserQuery) ([]User, int, error)
	// ListUsersPage returns one page ordered by CreatedAt, then ID, starting
	// after q.After (cursor paging: rows created or deleted meanwhile shift
	// no page). It counts nothing.
	ListUsersPage(ctx context.Context, appID string, q UserQuery) (UserPage, error)
	UpdateUser(ctx context.Context, appID, id string, fn func(User) (User, error)) (User, error)
	// LockUser returns a user as GetUser does. Called inside InTx, it also
	// keeps the user from being updated or deleted by anyone else until the
	// transaction ends, so that what the transaction writes because the
	// user is active (a session, tokens, a nonce) cannot race the user's
	// deactivation. Never follow it with UpdateUser of the same user in
	// one transaction: two such transactions would wait for each other.
	LockUser(ctx context.Context, appID, id string) (User, error)
	DeleteUser(ctx context.Context, appID, id string) error
}
