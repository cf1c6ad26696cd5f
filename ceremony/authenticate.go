package ceremony

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/passbridge/passbridge/storage"
)

// BeginFlexAuthentication starts an authentication ceremony: bound to the
// transaction's user, or discoverable when transactionID is empty.
func (s *Service) BeginFlexAuthentication(ctx context.Context, app storage.App, transactionID string) (Handshake, error) {
	if transactionID == "" {
		return s.beginDiscoverable(ctx, app, handshakeScope{flow: storage.FlowFlex, kind: storage.KindAuthenticate})
	}
	t, u, devices, err := s.pendingTransactionWithUser(ctx, app, transactionID, storage.KindAuthenticate, s.clock())
	if err != nil {
		return Handshake{}, err
	}
	if len(devices) == 0 {
		return Handshake{}, ErrUserHasNoPasskeys
	}
	scope := handshakeScope{flow: storage.FlowFlex, kind: storage.KindAuthenticate, transactionID: t.ID}
	return s.beginBound(ctx, app, u, devices, scope)
}

// FinishFlexAuthentication verifies the browser's AuthenticationResponseJSON
// and returns a nonce.
func (s *Service) FinishFlexAuthentication(ctx context.Context, app storage.App, transactionID, handshakeID string, response []byte) (Result, error) {
	parsed, err := parseAssertion(response)
	if err != nil {
		return Result{}, err
	}
	now := s.clock()
	scope := handshakeScope{flow: storage.FlowFlex, kind: storage.KindAuthenticate, transactionID: transactionID}
	key, err := flexKey(handshakeID)
	var (
		h    storage.Handshake
		cred *storage.Credential
	)
	if err == nil {
		h, cred, err = s.assertionHandshake(ctx, app, key, scope, parsed.RawID, now)
	}
	if err != nil {
		if transactionID != "" {
			// Say what is wrong with the transaction, if anything is,
			// before what is wrong with the handshake.
			if _, terr := s.pendingTransaction(ctx, app, transactionID, storage.KindAuthenticate, now); terr != nil {
				return Result{}, terr
			}
		}
		return Result{}, err
	}
	var t *storage.Transaction
	if transactionID != "" {
		// The handshake was begun for this transaction, and for its user
		// (BeginFlexAuthentication); whether the transaction is still
		// pending is the commit's to check.
		t = &storage.Transaction{ID: transactionID, UserID: h.UserID}
	}
	return s.finishAuthentication(ctx, app, h, cred, t, "", parsed, true)
}

// StartAuthentication begins a start/finish authentication, bound to
// externalID or discoverable when it is empty.
func (s *Service) StartAuthentication(ctx context.Context, app storage.App, externalID string) (Handshake, error) {
	scope := handshakeScope{flow: storage.FlowStartFinish, kind: storage.KindAuthenticate}
	if externalID == "" {
		return s.beginDiscoverable(ctx, app, scope)
	}
	if err := checkExternalID(externalID); err != nil {
		return Handshake{}, err
	}
	u, devices, err := s.userWithDevices(ctx, app, externalID)
	if err != nil {
		return Handshake{}, err
	}
	return s.beginBound(ctx, app, u, devices, scope)
}

// FinishAuthentication completes a start/finish authentication. When
// externalID is not empty, the authenticated user must be that one.
func (s *Service) FinishAuthentication(ctx context.Context, app storage.App, externalID string, response []byte) (Result, error) {
	if externalID != "" {
		if err := checkExternalID(externalID); err != nil {
			return Result{}, err
		}
	}
	parsed, err := parseAssertion(response)
	if err != nil {
		return Result{}, err
	}
	scope := handshakeScope{flow: storage.FlowStartFinish, kind: storage.KindAuthenticate}
	key, err := challengeKey(parsed.Response.CollectedClientData.Challenge)
	if err != nil {
		return Result{}, err
	}
	h, cred, err := s.assertionHandshake(ctx, app, key, scope, parsed.RawID, s.clock())
	if err != nil {
		return Result{}, err
	}
	return s.finishAuthentication(ctx, app, h, cred, nil, externalID, parsed, false)
}

// beginBound starts an authentication of u: allowCredentials lists its
// devices, with their transports so the browser knows where to look
// (WebAuthn L3 §5.5).
func (s *Service) beginBound(ctx context.Context, app storage.App, u storage.User, devices []storage.Device, scope handshakeScope) (Handshake, error) {
	w, err := relyingParty(app)
	if err != nil {
		return Handshake{}, err
	}
	assertion, session, err := w.BeginLogin(newWAUser(u, devices))
	if err != nil {
		return Handshake{}, fmt.Errorf("begin login: %w", err)
	}
	h, err := s.saveHandshake(ctx, s.store, app, scope, u.ID, "", session)
	if err != nil {
		return Handshake{}, err
	}
	opts, err := json.Marshal(assertion.Response)
	if err != nil {
		return Handshake{}, fmt.Errorf("encode request options: %w", err)
	}
	return Handshake{ID: h.ID, Options: opts}, nil
}

// beginDiscoverable starts an authentication of whoever the authenticator
// names: allowCredentials is empty and the user is found by the user handle
// the assertion returns. The options also serve conditional mediation
// (autofill), which the caller applies on the browser side.
func (s *Service) beginDiscoverable(ctx context.Context, app storage.App, scope handshakeScope) (Handshake, error) {
	w, err := relyingParty(app)
	if err != nil {
		return Handshake{}, err
	}
	assertion, session, err := w.BeginDiscoverableMediatedLogin(protocol.MediationConditional)
	if err != nil {
		return Handshake{}, fmt.Errorf("begin discoverable login: %w", err)
	}
	h, err := s.saveHandshake(ctx, s.store, app, scope, "", "", session)
	if err != nil {
		return Handshake{}, err
	}
	opts, err := json.Marshal(assertion.Response)
	if err != nil {
		return Handshake{}, fmt.Errorf("encode request options: %w", err)
	}
	return Handshake{ID: h.ID, Options: opts, Mediation: string(assertion.Mediation)}, nil
}

// asserted is what a verified assertion established, before it is committed.
type asserted struct {
	user      storage.User
	device    storage.Device // as stored before this ceremony
	flags     protocol.AuthenticatorFlags
	counter   uint32
	regressed bool // the counter did not advance (WebAuthn L3 §6.1.1)
}

// verifyAssertion runs WebAuthn L3 §7.2 on a parsed assertion against its
// handshake and the stored credential (read with the handshake; nil
// when the app has none of that ID). It changes nothing.
func (s *Service) verifyAssertion(ctx context.Context, app storage.App, h storage.Handshake, stored *storage.Credential, wantExternalID string, parsed *protocol.ParsedCredentialAssertionData) (asserted, error) {
	session, err := sessionOf(h)
	if err != nil {
		return asserted{}, err
	}
	w, err := relyingParty(app)
	if err != nil {
		return asserted{}, err
	}
	authFlags := parsed.Response.AuthenticatorData.Flags
	var (
		found    asserted
		failure  error // why the lookup refused, for the library to report
		cred     *webauthn.Credential
		validate func() error
	)
	// prepare presents the stored credential to the library with the
	// backup-eligible flag the authenticator now reports and no clone
	// warning, so that the returned warning is this ceremony's.
	//
	// Backup eligibility may go from 0 to 1 on purpose: synced providers
	// have been seen reporting BE=0 at registration and BE=1 later
	// (go-webauthn issue #335), and refusing them would lock users out of
	// working passkeys; the new flags are recorded on the device. The other
	// way is refused (the library's BE consistency check, WebAuthn L3
	// §6.1.3): a synced credential that now claims to be device-bound
	// would earn a stronger acr than its key deserves.
	prepare := func(u storage.User, devices []storage.Device) *waUser {
		wu := newWAUser(u, devices)
		for i := range wu.creds {
			if bytes.Equal(wu.creds[i].ID, parsed.RawID) {
				c := &wu.creds[i]
				c.Flags.BackupEligible = c.Flags.BackupEligible || authFlags.HasBackupEligible()
				c.Authenticator.CloneWarning = false
				found.device = devices[i]
			}
		}
		found.user = u
		return wu
	}
	if h.UserID != "" {
		var (
			u       storage.User
			devices []storage.Device
			// others are the handshake's other allowed credential IDs,
			// presented by ID only (see below).
			others [][]byte
		)
		if stored != nil && stored.Device.UserID == h.UserID {
			// The asserted credential is the user's (step 6), and the
			// only one verification looks at: the user's other passkeys
			// are not read. The library also checks that the user owns
			// every credential the handshake allowed; that list is the
			// handshake's own, made of this user's passkeys when it
			// began, so it holds, and those are presented by ID only.
			u, devices, err = activeWithDevices(stored.User, []storage.Device{stored.Device}, nil)
			for _, id := range session.AllowedCredentialIDs {
				if !bytes.Equal(id, stored.Device.CredentialID) {
					others = append(others, id)
				}
			}
		} else {
			// Not the user's: the user is read for the refusal their
			// state calls for (unknown, inactive, another user).
			u, devices, err = s.activeUserWithDevices(ctx, app, h.UserID)
		}
		if err != nil {
			return asserted{}, err
		}
		if wantExternalID != "" && u.ExternalID != wantExternalID {
			return asserted{}, newError(CodeHandshakeNotFound, "no authentication of this user matches the response", nil)
		}
		wu := prepare(u, devices)
		for _, id := range others {
			wu.creds = append(wu.creds, webauthn.Credential{ID: id})
		}
		if found.device.ID == "" {
			// WebAuthn L3 §7.2 step 6: the credential must be one of
			// the user's; another user's or an unknown one is refused.
			return asserted{}, failed(reasonNotAllowed, nil)
		}
		validate = func() (err error) {
			cred, err = w.ValidateLogin(wu, session, parsed)
			return err
		}
	} else {
		if len(parsed.Response.UserHandle) == 0 {
			return asserted{}, failed(reasonNoUserHandle, nil)
		}
		handler := discoverableUser(stored, prepare, &failure)
		validate = func() (err error) {
			_, cred, err = w.ValidatePasskeyLogin(handler, session, parsed)
			return err
		}
	}
	if err := guard(validate); err != nil {
		if failure != nil {
			return asserted{}, failure
		}
		return asserted{}, verificationError(err)
	}
	// Checked only now, so that a user's status is revealed to nobody
	// who could not prove possession of their passkey.
	if found.user.Status != storage.UserActive {
		return asserted{}, ErrUserInactive
	}
	if wantExternalID != "" && found.user.ExternalID != wantExternalID {
		return asserted{}, failed(reasonOtherUser, nil)
	}
	found.flags = authFlags
	found.counter = parsed.Response.AuthenticatorData.Counter
	found.regressed = cred.Authenticator.CloneWarning
	return found, nil
}

// discoverableUser is the go-webauthn handler that finds the user of a
// discoverable assertion (WebAuthn L3 §7.2 step 6: by user handle): the
// asserted credential cred, read with the handshake, is all a discoverable
// ceremony checks. On failure it returns an untyped nil user, as the
// library tests the interface against nil, and records why in *failure.
func discoverableUser(cred *storage.Credential, prepare func(storage.User, []storage.Device) *waUser, failure *error) webauthn.DiscoverableUserHandler {
	return func(rawID, userHandle []byte) (webauthn.User, error) {
		if cred == nil || !bytes.Equal(cred.Device.CredentialID, rawID) {
			*failure = failed(reasonUnknownPasskey, storage.ErrNotFound)
			return nil, *failure
		}
		d, u := cred.Device, cred.User
		// The user handle must be the credential's user's (WebAuthn L3
		// §7.2 step 6).
		if !bytes.Equal(u.Handle, userHandle) {
			*failure = failed(reasonUserHandle, nil)
			return nil, *failure
		}
		return prepare(u, []storage.Device{d}), nil
	}
}
