// Package ceremony runs passkey ceremonies (WebAuthn registration and
// authentication) for passbridge's apps on top of go-webauthn: transactions,
// handshakes, nonces, devices and authenticator metadata. It knows nothing of
// HTTP or SQL; it takes a storage.Store and a clock.
//
// Every method takes the app it works for. Client-caused failures come back
// as *Error with a stable Code; any other error is an internal failure whose
// text must not reach a client. A rejected finish leaves the store as it was;
// a successful one changes it in one store transaction.
package ceremony

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/ceremony/aaguid"
	"github.com/passbridge/passbridge/storage"
)

// Config configures a Service.
type Config struct {
	Store storage.Store
	// Now is the clock; nil means time.Now. Times are used in UTC.
	Now func() time.Time
	// AAGUIDs names authenticator models; nil loads the embedded list. Pass
	// one Registry to many Services to parse the list only once.
	AAGUIDs *aaguid.Registry
}

// Service runs passkey ceremonies for any number of apps. It is safe for
// concurrent use and keeps no state of its own: everything lives in the store,
// so a ceremony begun by one instance may finish on another.
type Service struct {
	store   storage.Store
	now     func() time.Time
	aaguids *aaguid.Registry
}

// New validates cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("ceremony: a store is required")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	reg := cfg.AAGUIDs
	if reg == nil {
		var err error
		if reg, err = aaguid.Load(); err != nil {
			return nil, fmt.Errorf("ceremony: %w", err)
		}
	}
	return &Service{store: cfg.Store, now: now, aaguids: reg}, nil
}

// clock returns the current time as the store keeps times (package storage:
// UTC, rounded to the microsecond), so that what a call returns equals what
// it stored and expiry compares the same here as in the store.
func (s *Service) clock() time.Time {
	return s.now().UTC().Round(time.Microsecond)
}

// Handshake is a begun ceremony: the options to hand to the browser.
type Handshake struct {
	ID string
	// Options is the inner "publicKey" object: PublicKeyCredentialCreationOptionsJSON
	// or PublicKeyCredentialRequestOptionsJSON, as @simplewebauthn/browser's
	// optionsJSON and PublicKeyCredential.parse*OptionsFromJSON take it.
	Options json.RawMessage
	// Mediation is "conditional" when the options may be used for autofill.
	Mediation string
}

// Result is a finished ceremony.
type Result struct {
	Nonce          string // plaintext single-use nonce (Flex flows only); only its digest is stored
	User           storage.User
	Device         storage.Device
	UserVerified   bool // this ceremony proved user verification
	BackupEligible bool
}

// RegistrationStart asks the start/finish API for registration options.
type RegistrationStart struct {
	ExternalID         string
	UserName           string // email or username; WebAuthn user.name
	UserDisplayName    string // WebAuthn user.displayName; defaults to UserName
	PasskeyDisplayName string // overrides both names when set
}

// AuthenticatorInfo names an authenticator model from its AAGUID.
type AuthenticatorInfo struct {
	Name      string
	IconLight string // SVG data URI, or ""
	IconDark  string // SVG data URI, or ""
}

// UnknownAuthenticator is the name Authenticator gives an AAGUID that the
// list does not know, or an authenticator that did not say what it is.
const UnknownAuthenticator = "Unknown authenticator"

// Authenticator names the authenticator model of an AAGUID. An AAGUID the
// list does not know (or the all-zero one) is named UnknownAuthenticator,
// without icons; DeviceAuthenticator gives a better name for a device.
func (s *Service) Authenticator(aaguid []byte) AuthenticatorInfo {
	if info, ok := s.aaguids.Lookup(aaguid); ok {
		return AuthenticatorInfo{Name: info.Name, IconLight: info.IconLight, IconDark: info.IconDark}
	}
	return AuthenticatorInfo{Name: UnknownAuthenticator}
}

// DeviceAuthenticator names a device's authenticator model; when its AAGUID
// is unknown, the name says what kind of authenticator it is ("Passkey" or
// "Security key").
func (s *Service) DeviceAuthenticator(d storage.Device) AuthenticatorInfo {
	if info, ok := s.aaguids.Lookup(d.AAGUID); ok {
		return AuthenticatorInfo{Name: info.Name, IconLight: info.IconLight, IconDark: info.IconDark}
	}
	return AuthenticatorInfo{Name: genericName(d.BackupEligible, d.Attachment)}
}

// actorKey carries the audit actor in a context.
type actorKey struct{}

// WithActor returns a context whose audit events name actor (e.g.
// "api_key:<id>", "user:<id>", "cli") as who acted. Without it, events the
// management calls record name "system"; those a browser's ceremony records
// name the user.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// actor returns the context's audit actor, or fallback.
func actor(ctx context.Context, fallback string) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return fallback
}
