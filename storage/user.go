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

// UserQuery filters and pages ListUsers.
type UserQuery struct {
	ExternalID string // exact match when not empty
	Limit      int    // 0: engine default of 50; at most 1000
	Offset     int
}

// UserStore persists users. Deleting a user deletes its devices, sessions,
// tokens, transactions, handshakes and nonces.
type UserStore interface {
	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, appID, id string) (User, error)
	GetUserByExternalID(ctx context.Context, appID, externalID string) (User, error)
	GetUserByHandle(ctx context.Context, appID string, handle []byte) (User, error)
	// ListUsers returns one page ordered by CreatedAt, then ID, and the number
	// of users matching the filter across all pages.
	ListUsers(ctx context.Context, appID string, q UserQuery) ([]User, int, error)
	UpdateUser(ctx context.Context, appID, id string, fn func(User) (User, error)) (User, error)
	DeleteUser(ctx context.Context, appID, id string) error
}
