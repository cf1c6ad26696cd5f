package ceremony

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// errUnimplemented marks the contract below until the ceremony core lands.
var errUnimplemented = errors.New("ceremony: not implemented yet")

// Config configures a Service.
type Config struct {
	Store storage.Store
	// Now is the clock; nil means time.Now. Times are used in UTC.
	Now func() time.Time
}

// Service runs passkey ceremonies for any number of apps. It is safe for
// concurrent use and keeps no state of its own: everything lives in the store.
type Service struct {
	store storage.Store
	now   func() time.Time
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
	return &Service{store: cfg.Store, now: now}, nil
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

// CreateRegisterTransaction lets the browser register a passkey for
// externalID, creating the user if the app has never seen it.
func (s *Service) CreateRegisterTransaction(ctx context.Context, app storage.App, externalID, passkeyDisplayName string) (storage.Transaction, error) {
	return storage.Transaction{}, errUnimplemented
}

// CreateAuthenticateTransaction lets the browser authenticate externalID with
// one of its passkeys.
func (s *Service) CreateAuthenticateTransaction(ctx context.Context, app storage.App, externalID string) (storage.Transaction, error) {
	return storage.Transaction{}, errUnimplemented
}

// BeginFlexRegistration starts the registration ceremony of a transaction.
// attachment is "platform", "cross-platform", or "any"/"" for no constraint.
func (s *Service) BeginFlexRegistration(ctx context.Context, app storage.App, transactionID, attachment string) (Handshake, error) {
	return Handshake{}, errUnimplemented
}

// FinishFlexRegistration verifies the browser's RegistrationResponseJSON,
// stores the device and returns a nonce.
func (s *Service) FinishFlexRegistration(ctx context.Context, app storage.App, transactionID, handshakeID string, response []byte) (Result, error) {
	return Result{}, errUnimplemented
}

// BeginFlexAuthentication starts an authentication ceremony: bound to the
// transaction's user, or discoverable when transactionID is empty.
func (s *Service) BeginFlexAuthentication(ctx context.Context, app storage.App, transactionID string) (Handshake, error) {
	return Handshake{}, errUnimplemented
}

// FinishFlexAuthentication verifies the browser's AuthenticationResponseJSON
// and returns a nonce.
func (s *Service) FinishFlexAuthentication(ctx context.Context, app storage.App, transactionID, handshakeID string, response []byte) (Result, error) {
	return Result{}, errUnimplemented
}

// VerifyNonce redeems a nonce once and returns what it proves.
func (s *Service) VerifyNonce(ctx context.Context, app storage.App, nonce string) (storage.Nonce, error) {
	return storage.Nonce{}, errUnimplemented
}

// StartRegistration begins a registration for the start/finish API.
func (s *Service) StartRegistration(ctx context.Context, app storage.App, req RegistrationStart) (Handshake, error) {
	return Handshake{}, errUnimplemented
}

// FinishRegistration completes a start/finish registration; the ceremony is
// found by the challenge inside the response's clientDataJSON.
func (s *Service) FinishRegistration(ctx context.Context, app storage.App, externalID string, response []byte) (Result, error) {
	return Result{}, errUnimplemented
}

// StartAuthentication begins a start/finish authentication, bound to
// externalID or discoverable when it is empty.
func (s *Service) StartAuthentication(ctx context.Context, app storage.App, externalID string) (Handshake, error) {
	return Handshake{}, errUnimplemented
}

// FinishAuthentication completes a start/finish authentication. When
// externalID is not empty, the authenticated user must be that one.
func (s *Service) FinishAuthentication(ctx context.Context, app storage.App, externalID string, response []byte) (Result, error) {
	return Result{}, errUnimplemented
}

// RenameDevice sets a device's friendly name.
func (s *Service) RenameDevice(ctx context.Context, app storage.App, userID, deviceID, name string) (storage.Device, error) {
	return storage.Device{}, errUnimplemented
}

// RevokeDevice deletes a device, and with it the sessions and tokens it
// authenticated. The user stays, even without devices.
func (s *Service) RevokeDevice(ctx context.Context, app storage.App, userID, deviceID string) error {
	return errUnimplemented
}

// Authenticator names the authenticator model of an AAGUID.
func (s *Service) Authenticator(aaguid []byte) AuthenticatorInfo {
	return AuthenticatorInfo{}
}
