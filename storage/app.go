package storage

import (
	"context"
	"time"
)

// WebAuthn requirement values (user verification, resident key) as the spec spells them.
const (
	RequirementRequired    = "required"
	RequirementPreferred   = "preferred"
	RequirementDiscouraged = "discouraged"
)

// Sign-count policies: what an authentication whose signature counter went
// backwards (WebAuthn L3 §6.1.1) does once the device's clone warning is set.
const (
	SignCountReject = "reject" // refuse the ceremony (default)
	SignCountAllow  = "allow"  // record the warning and go on
)

// App is one relying party: a set of users and devices sharing an RP ID.
type App struct {
	ID               string
	Name             string
	RPID             string   // WebAuthn RP ID: a host name, no scheme or port
	RPName           string   // shown by authenticators
	Origins          []string // exact origins ceremonies may run on (scheme://host[:port])
	UserVerification string   // RequirementRequired | RequirementPreferred | RequirementDiscouraged
	Attestation      string   // "none" | "indirect" | "direct" | "enterprise"
	ResidentKey      string   // RequirementRequired | RequirementPreferred | RequirementDiscouraged
	AllowSignup      bool     // may a ceremony create a user that does not exist yet
	SignCountPolicy  string   // SignCountReject | SignCountAllow
	TransactionTTL   time.Duration
	CeremonyTimeout  time.Duration // handshake lifetime and the WebAuthn timeout sent to browsers
	NonceTTL         time.Duration
	LogoURL          string // https URL of the logo the login and account pages show; "" for none
	AccentColor      string // "#rrggbb" of the pages' buttons and links; "" for the default
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// AppStore persists apps. Deleting an app deletes everything that belongs to it.
type AppStore interface {
	CreateApp(ctx context.Context, a App) error
	GetApp(ctx context.Context, id string) (App, error)
	ListApps(ctx context.Context) ([]App, error) // ordered by CreatedAt, then ID
	UpdateApp(ctx context.Context, id string, fn func(App) (App, error)) (App, error)
	DeleteApp(ctx context.Context, id string) error
}

// APIKey authenticates a backend to the management API of one app. Only a
// digest of the secret is stored; Prefix is a short, non-secret part of the key
// shown in listings so an operator can tell keys apart.
type APIKey struct {
	ID         string
	AppID      string
	Name       string
	Prefix     string
	Hash       []byte // SHA-256 of the whole key; unique
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
}

// APIKeyStore persists API keys. Revoking a key deletes it.
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k APIKey) error
	GetAPIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	ListAPIKeys(ctx context.Context, appID string) ([]APIKey, error) // ordered by CreatedAt, then ID
	// TouchAPIKey sets LastUsedAt to at, if at is later than the stored value.
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
	DeleteAPIKey(ctx context.Context, appID, id string) error
}
