package storage

import (
	"context"
	"time"
)

// Ceremony kinds.
const (
	KindRegister     = "register"
	KindAuthenticate = "authenticate"
)

// Transaction states.
const (
	TransactionPending   = "pending"
	TransactionCompleted = "completed"
)

// TransactionRetention is how long DeleteExpired keeps a transaction past
// its expiry. A finish that arrives late, or again, is then told that its
// transaction expired or was used (410), not that it never existed (404);
// after that, an ID that old is as good as unknown.
const TransactionRetention = time.Hour

// Handshake flows: which API began the ceremony, so one API cannot finish
// another's handshake.
const (
	FlowFlex        = "flex"        // Flex client API (transaction + handshake id)
	FlowStartFinish = "startfinish" // start/finish API (found by challenge)
)

// Transaction is a backend's permission for one ceremony of one user (or, for
// a discoverable authentication, of whoever the authenticator names).
type Transaction struct {
	ID          string
	AppID       string
	Kind        string // KindRegister | KindAuthenticate
	UserID      string // empty: discoverable authentication
	ExternalID  string
	DisplayName string // passkey display name (WebAuthn user.name / displayName)
	State       string // TransactionPending | TransactionCompleted
	CreatedAt   time.Time
	ExpiresAt   time.Time
	CompletedAt time.Time // zero while pending
	// EnrolmentLinkID names the enrolment link whose page runs this
	// registration: its finish consumes the link, so that of the
	// transactions of one link only one ever completes. Empty otherwise.
	EnrolmentLinkID string
}

// Handshake is the server-side state of one WebAuthn ceremony between its
// start and its finish: go-webauthn's session data, verbatim.
type Handshake struct {
	ID            string
	AppID         string
	Flow          string // FlowFlex | FlowStartFinish
	Kind          string // KindRegister | KindAuthenticate
	TransactionID string // empty outside the Flex flow, or for a discoverable one
	UserID        string // empty: discoverable authentication
	Challenge     string // base64url, as in clientDataJSON; unique per app
	Session       []byte // JSON of webauthn.SessionData
	Attachment    string // authenticator attachment the start asked for ("" = any)
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// Nonce is the single-use proof a finished ceremony hands the browser, which
// the backend redeems for the user's identity. Only its digest is stored.
type Nonce struct {
	Hash           []byte // SHA-256 of the nonce; unique
	AppID          string
	UserID         string
	ExternalID     string
	DeviceID       string
	Kind           string // KindRegister | KindAuthenticate
	UserVerified   bool   // the ceremony proved user verification
	BackupEligible bool   // the credential may be synced (BE flag)
	BackedUp       bool   // the credential was backed up at the ceremony (BS flag)
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// HandshakeKey names a handshake: by ID (a Flex finish), or by challenge
// when ID is "" (a start/finish API finish, which names it through the
// response's clientDataJSON).
type HandshakeKey struct {
	ID, Challenge string
}

// Credential is a device with its user, as an assertion's credential ID
// finds them.
type Credential struct {
	Device Device
	User   User
}

// CeremonyStore persists transactions, handshakes and nonces.
type CeremonyStore interface {
	CreateTransaction(ctx context.Context, t Transaction) error
	// GetTransaction returns the transaction whatever its state or expiry.
	GetTransaction(ctx context.Context, appID, id string) (Transaction, error)
	// GetTransactionWithUser is GetTransaction with, in the same read, the
	// transaction's user and that user's devices (ordered as ListDevices
	// orders them): what a transaction's start needs. The user is nil
	// when the transaction names none or it is gone.
	GetTransactionWithUser(ctx context.Context, appID, id string) (Transaction, *User, []Device, error)
	// CompleteTransaction moves a pending, unexpired transaction to
	// TransactionCompleted (CompletedAt = now) and returns it; otherwise ErrNotFound.
	CompleteTransaction(ctx context.Context, appID, id string, now time.Time) (Transaction, error)

	CreateHandshake(ctx context.Context, h Handshake) error
	// GetHandshake returns an unexpired handshake without consuming it.
	GetHandshake(ctx context.Context, appID, id string, now time.Time) (Handshake, error)
	// GetHandshakeByChallenge returns an unexpired handshake by its challenge.
	GetHandshakeByChallenge(ctx context.Context, appID, challenge string, now time.Time) (Handshake, error)
	// GetAssertionHandshake returns an unexpired handshake without
	// consuming it — by its ID, or when key.ID is "" by its challenge —
	// and, in the same read, the app's device whose credential ID is
	// credentialID with its user: what an authentication's finish needs.
	// The credential is nil when the app has no such device; ErrNotFound
	// means no such handshake.
	GetAssertionHandshake(ctx context.Context, appID string, key HandshakeKey, credentialID []byte, now time.Time) (Handshake, *Credential, error)
	// ConsumeHandshake deletes an unexpired handshake and returns it.
	ConsumeHandshake(ctx context.Context, appID, id string, now time.Time) (Handshake, error)

	CreateNonce(ctx context.Context, n Nonce) error
	// ConsumeNonce deletes an unexpired nonce of the app and returns it.
	ConsumeNonce(ctx context.Context, appID string, hash []byte, now time.Time) (Nonce, error)
	// DeleteUserNonces deletes every unredeemed nonce of a user and reports
	// how many there were; none is not an error.
	DeleteUserNonces(ctx context.Context, appID, userID string) (int, error)
}
