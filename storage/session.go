package storage

import (
	"context"
	"time"
)

// Session is a browser's signed-in state at the OIDC provider (SSO). Only a
// digest of its cookie is stored.
type Session struct {
	ID         string
	AppID      string
	UserID     string
	Subject    string
	Hash       []byte // SHA-256 of the cookie value; unique
	DeviceID   string // the device whose ceremony created it
	AuthTime   time.Time
	AMR        []string
	ACR        string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// SessionStore persists browser sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s Session) error
	// GetSessionByHash returns an unexpired session by its cookie digest.
	GetSessionByHash(ctx context.Context, hash []byte, now time.Time) (Session, error)
	GetSession(ctx context.Context, id string) (Session, error)
	ListSessions(ctx context.Context, appID, userID string) ([]Session, error) // ordered by CreatedAt, then ID
	UpdateSession(ctx context.Context, id string, fn func(Session) (Session, error)) (Session, error)
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions ends every session of a user, expired or not, and
	// reports how many there were; none is not an error.
	DeleteUserSessions(ctx context.Context, appID, userID string) (int, error)
	// StartSession stores the session of a fresh sign-in, all at once or
	// not at all (one statement on PostgreSQL). It holds the session's user
	// as LockUser does, so that a deactivation lands wholly before or
	// after it, and writes only for an active user: ErrUserInactive when
	// the user is inactive or gone. It deletes the session st.Replaces
	// names and, with st.AuthRequestID, completes that auth request as
	// CompleteAuthRequest does: ErrConflict when it is done already or
	// gone.
	StartSession(ctx context.Context, st SessionStart) error
}

// SessionStart is what StartSession writes: a browser's new session, the
// session of the same browser it replaces, and the auth request it
// completes.
type SessionStart struct {
	Session Session
	// Replaces is the cookie digest of the browser's session with the app
	// that Session takes the place of; nil when there is none.
	Replaces []byte
	// AuthRequestID names the auth request the sign-in completes; "" when
	// it completes none (the provider's own pages).
	AuthRequestID string
	// Code, with AuthRequestID, is the code that answers that auth
	// request, stored with the rest (its AuthRequestID is the request's):
	// the provider redirects to the client with it at once, instead of
	// through op's callback. nil when the callback mints the code.
	Code *AuthCode
}

// Signing key states, in the order a key lives through them.
const (
	KeyNext    = "next"    // published in JWKS, not yet signing
	KeyActive  = "active"  // signs new tokens; exactly one at a time
	KeyRetired = "retired" // published until ExpiresAt so old tokens still verify
)

// SigningKey is a JWT signing key. The private key is encrypted by the caller
// (with the master key) before it reaches the store.
type SigningKey struct {
	ID          string // JWK kid
	Algorithm   string // "RS256" | "ES256" | "EdDSA"
	PrivateKey  []byte // encrypted PKCS#8
	PublicKey   []byte // PKIX DER
	State       string // KeyNext | KeyActive | KeyRetired
	CreatedAt   time.Time
	ActivatedAt time.Time // zero until active
	RetiredAt   time.Time // zero until retired
	ExpiresAt   time.Time // retired keys: when to drop them from JWKS; zero otherwise
}

// SigningKeyStore persists signing keys.
type SigningKeyStore interface {
	CreateSigningKey(ctx context.Context, k SigningKey) error
	GetSigningKey(ctx context.Context, id string) (SigningKey, error)
	ListSigningKeys(ctx context.Context) ([]SigningKey, error) // ordered by CreatedAt, then ID
	UpdateSigningKey(ctx context.Context, id string, fn func(SigningKey) (SigningKey, error)) (SigningKey, error)
	DeleteSigningKey(ctx context.Context, id string) error
	// InitMasterKeyCheck stores check as the store's master key check value
	// if the store has none yet, and returns the value the store holds: the
	// one just stored, or the one a first start stored before. Every
	// instance sharing a store must hold the same master key; comparing its
	// own check with the returned one tells an instance whether it does.
	InitMasterKeyCheck(ctx context.Context, check []byte, now time.Time) ([]byte, error)
	// MasterKeyCheck returns the stored master key check value, or
	// ErrNotFound before a first start stored one. It writes nothing.
	MasterKeyCheck(ctx context.Context) ([]byte, error)
}

// AuditEvent records a security-relevant action.
type AuditEvent struct {
	ID        string
	AppID     string // empty for server-wide events
	Type      string // e.g. "device.registered", "device.revoked", "apikey.created"
	Actor     string // "api_key:<id>", "cli", "user:<id>", "system"
	UserID    string
	DeviceID  string
	Detail    map[string]string
	CreatedAt time.Time
}

// AuditQuery filters and pages ListAuditEvents. Every filter set must hold.
type AuditQuery struct {
	AppID     string    // empty: all apps
	UserID    string    // empty: all users
	Type      string    // empty: all types; otherwise exactly this type
	Actor     string    // empty: every actor; otherwise exactly this one ("admin_key:<id>", "cli")
	ActorType string    // empty: every actor; otherwise actors of this kind ("api_key" matches "api_key:<id>", "cli" matches "cli")
	Since     time.Time // zero: no bound; otherwise events at or after
	Until     time.Time // zero: no bound; otherwise events strictly before
	Before    time.Time // zero: no bound; otherwise events strictly older
	// After pages: the zero Cursor starts at the newest event; the
	// position of the last event of a page (CreatedAt and ID) asks for the
	// events that follow it in listing order, which are older.
	After Cursor
	Limit int // 0: engine default of 50; at most 1000
}

// AuditStore persists audit events. Events outlive the users and devices they
// name; they go with their app.
type AuditStore interface {
	AppendAuditEvent(ctx context.Context, e AuditEvent) error
	// ListAuditEvents returns newest first (CreatedAt, then ID, descending).
	ListAuditEvents(ctx context.Context, q AuditQuery) ([]AuditEvent, error)
}
