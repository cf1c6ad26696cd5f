package ceremony

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/passbridge/passbridge/storage"
)

// BeginFlexRegistration starts the registration ceremony of a transaction.
// attachment is "platform", "cross-platform", or "any"/"" for no constraint.
// A transaction may be started again (a person who cancelled tries once
// more); each start is its own handshake, and the first finish completes it.
func (s *Service) BeginFlexRegistration(ctx context.Context, app storage.App, transactionID, attachment string) (Handshake, error) {
	att, err := checkAttachment(attachment)
	if err != nil {
		return Handshake{}, err
	}
	t, u, devices, err := s.pendingTransactionWithUser(ctx, app, transactionID, storage.KindRegister, s.clock())
	if err != nil {
		return Handshake{}, err
	}
	if err := s.checkEnrolmentLink(ctx, app, t); err != nil {
		return Handshake{}, err
	}
	scope := handshakeScope{flow: storage.FlowFlex, kind: storage.KindRegister, transactionID: t.ID}
	return s.beginRegistration(ctx, s.store, app, u, devices, t.DisplayName, t.DisplayName, att, scope)
}

// FinishFlexRegistration verifies the browser's RegistrationResponseJSON,
// stores the device and returns a nonce.
func (s *Service) FinishFlexRegistration(ctx context.Context, app storage.App, transactionID, handshakeID string, response []byte) (Result, error) {
	parsed, err := parseRegistration(response)
	if err != nil {
		return Result{}, err
	}
	now := s.clock()
	t, err := s.pendingTransaction(ctx, app, transactionID, storage.KindRegister, now)
	if err != nil {
		return Result{}, err
	}
	scope := handshakeScope{flow: storage.FlowFlex, kind: storage.KindRegister, transactionID: t.ID}
	h, err := s.flexHandshake(ctx, app, handshakeID, scope, now)
	if err != nil {
		return Result{}, err
	}
	return s.finishRegistration(ctx, app, h, &t, "", parsed)
}

// StartRegistration begins a registration for the start/finish API. It is
// called by the app's backend with its API key, so, like a register
// transaction, it creates a user the app has never seen, whatever
// AllowSignup says. The ceremony is found again at finish by its challenge.
func (s *Service) StartRegistration(ctx context.Context, app storage.App, req RegistrationStart) (Handshake, error) {
	if err := checkExternalID(req.ExternalID); err != nil {
		return Handshake{}, err
	}
	userName, err := cleanDisplayName("email_or_username", req.UserName)
	if err != nil {
		return Handshake{}, err
	}
	userDisplay, err := cleanDisplayName("user_display_name", req.UserDisplayName)
	if err != nil {
		return Handshake{}, err
	}
	passkeyName, err := cleanDisplayName("passkey_display_name", req.PasskeyDisplayName)
	if err != nil {
		return Handshake{}, err
	}
	name := firstOf(passkeyName, userName, req.ExternalID)
	display := firstOf(passkeyName, userDisplay, userName, req.ExternalID)

	scope := handshakeScope{flow: storage.FlowStartFinish, kind: storage.KindRegister}
	var hs Handshake
	_, err = s.userForRegistration(ctx, app, req.ExternalID, display, func(tx storage.Store, u storage.User) error {
		devices, err := tx.ListDevices(ctx, app.ID, u.ID)
		if err != nil {
			return fmt.Errorf("list devices: %w", err)
		}
		hs, err = s.beginRegistration(ctx, tx, app, u, devices, name, display, "", scope)
		return err
	})
	if err != nil {
		return Handshake{}, err
	}
	return hs, nil
}

// FinishRegistration completes a start/finish registration; the ceremony is
// found by the challenge inside the response's clientDataJSON. When
// externalID is not empty, the ceremony must be that user's.
func (s *Service) FinishRegistration(ctx context.Context, app storage.App, externalID string, response []byte) (Result, error) {
	if externalID != "" {
		if err := checkExternalID(externalID); err != nil {
			return Result{}, err
		}
	}
	parsed, err := parseRegistration(response)
	if err != nil {
		return Result{}, err
	}
	scope := handshakeScope{flow: storage.FlowStartFinish, kind: storage.KindRegister}
	h, err := s.challengeHandshake(ctx, app, parsed.Response.CollectedClientData.Challenge, scope, s.clock())
	if err != nil {
		return Result{}, err
	}
	return s.finishRegistration(ctx, app, h, nil, externalID, parsed)
}

// beginRegistration creates the options and the handshake of a
// registration for u, who has devices, storing the handshake through st.
func (s *Service) beginRegistration(ctx context.Context, st storage.Store, app storage.App, u storage.User, devices []storage.Device, name, displayName string, att protocol.AuthenticatorAttachment, scope handshakeScope) (Handshake, error) {
	w, err := relyingParty(app)
	if err != nil {
		return Handshake{}, err
	}
	wu := newWAUser(u, devices)
	if name != "" {
		wu.name = name
	}
	if displayName != "" {
		wu.displayName = displayName
	}
	rk := residentKey(app)
	selection := protocol.AuthenticatorSelection{
		AuthenticatorAttachment: att,
		ResidentKey:             rk,
		// WebAuthn L3 §5.4.4: requireResidentKey is kept for Level 1
		// clients and must be true exactly when residentKey is required.
		RequireResidentKey: protocol.ResidentKeyNotRequired(),
		UserVerification:   userVerification(app),
	}
	if rk == protocol.ResidentKeyRequirementRequired {
		selection.RequireResidentKey = protocol.ResidentKeyRequired()
	}
	creation, session, err := w.BeginRegistration(wu,
		// WebAuthn L3 §5.4 excludeCredentials: the authenticator refuses to
		// create a second credential for a user it already holds one of.
		webauthn.WithExclusions(webauthn.Credentials(wu.creds).CredentialDescriptors()),
		webauthn.WithAuthenticatorSelection(selection),
		webauthn.WithCredentialParameters(credentialParameters),
		// WebAuthn L3 §10.1.3 credProps: learn whether the credential is
		// discoverable where residentKey was only preferred.
		webauthn.WithExtensions(webauthn.WithExtensionCredProps()),
	)
	if err != nil {
		return Handshake{}, fmt.Errorf("begin registration: %w", err)
	}
	h, err := s.saveHandshake(ctx, st, app, scope, u.ID, string(att), session)
	if err != nil {
		return Handshake{}, err
	}
	opts, err := json.Marshal(creation.Response)
	if err != nil {
		return Handshake{}, fmt.Errorf("encode creation options: %w", err)
	}
	return Handshake{ID: h.ID, Options: opts}, nil
}

// finishRegistration verifies a parsed registration against its handshake
// and, only if it passes, commits everything it changes at once: the
// handshake consumed, the transaction completed (Flex), the device, the
// nonce (Flex) and the audit event. t is nil outside the Flex flow.
func (s *Service) finishRegistration(ctx context.Context, app storage.App, h storage.Handshake, t *storage.Transaction, wantExternalID string, parsed *protocol.ParsedCredentialCreationData) (Result, error) {
	if t != nil && h.UserID != t.UserID {
		return Result{}, ErrHandshakeNotFound
	}
	u, err := s.activeUser(ctx, app, h.UserID)
	if err != nil {
		return Result{}, err
	}
	if wantExternalID != "" && u.ExternalID != wantExternalID {
		return Result{}, newError(CodeHandshakeNotFound, "no registration of this user matches the response", nil)
	}
	session, err := sessionOf(h)
	if err != nil {
		return Result{}, err
	}
	w, err := relyingParty(app)
	if err != nil {
		return Result{}, err
	}
	var cred *webauthn.Credential
	err = guard(func() (err error) {
		// WebAuthn L3 §7.1: client data, RP ID hash, flags,
		// algorithm, attestation statement.
		cred, err = w.CreateCredential(newWAUser(u, nil), session, parsed)
		return err
	})
	if err != nil {
		return Result{}, verificationError(err)
	}
	d, err := s.newDevice(app, u, cred)
	if err != nil {
		return Result{}, err
	}
	uv := parsed.Response.AttestationObject.AuthData.Flags.HasUserVerified()
	res := Result{User: u, Device: d, UserVerified: uv, BackupEligible: d.BackupEligible}
	var nonce storage.Nonce
	if t != nil {
		res.Nonce, nonce = s.newNonce(app, u, d, storage.KindRegister, uv, d.BackupEligible)
	}
	now := s.clock()
	detail := map[string]string{
		"credential_id": encodeID(d.CredentialID),
		"type":          d.Type,
		"friendly_name": d.FriendlyName,
	}
	if t != nil && t.EnrolmentLinkID != "" {
		if err := s.commitEnrolment(ctx, app, h, *t, u, d, nonce, detail, now); err != nil {
			return Result{}, err
		}
		return res, nil
	}
	// The user is held until the commit and checked again: of this
	// registration and a deactivation, one lands wholly before the other,
	// so no device or nonce is added for an inactive user. WebAuthn L3
	// §7.1: a credential ID registered before, to anyone, is refused; the
	// store's uniqueness decides it.
	e := s.auditEvent(app, EventDeviceRegistered, actor(ctx, "user:"+u.ID), u.ID, d.ID, detail)
	c := storage.CeremonyCommit{AppID: app.ID, Now: now, HandshakeID: h.ID, UserID: u.ID, Device: &d, Audit: &e}
	if t != nil {
		c.TransactionID, c.Nonce = t.ID, &nonce
	}
	if _, _, err := s.store.CommitCeremony(ctx, c); err != nil {
		return Result{}, s.commitRefusal(ctx, app, u.ID, err)
	}
	return res, nil
}

// commitEnrolment commits a registration on an enrolment link's page: as
// CommitCeremony would, and the link consumed in the same transaction.
func (s *Service) commitEnrolment(ctx context.Context, app storage.App, h storage.Handshake, t storage.Transaction, u storage.User, d storage.Device, nonce storage.Nonce, detail map[string]string, now time.Time) error {
	return s.store.InTx(ctx, func(tx storage.Store) error {
		if err := lockActive(ctx, tx, app.ID, u.ID); err != nil {
			return err
		}
		if err := consumeHandshake(ctx, tx, h, now); err != nil {
			return err
		}
		if err := completeTransaction(ctx, tx, app.ID, t.ID, now); err != nil {
			return err
		}
		if err := tx.CreateDevice(ctx, d); errors.Is(err, storage.ErrAlreadyExists) {
			return ErrCredentialRegistered
		} else if err != nil {
			return fmt.Errorf("create device: %w", err)
		}
		// After the device, which the link records as its own.
		if err := s.useEnrolmentLink(ctx, tx, app, t, d, now); err != nil {
			return err
		}
		if err := tx.CreateNonce(ctx, nonce); err != nil {
			return fmt.Errorf("create nonce: %w", err)
		}
		return s.audit(ctx, tx, app, EventDeviceRegistered, actor(ctx, "user:"+u.ID), u.ID, d.ID, detail)
	})
}

// activeUser loads the user a transaction or handshake is bound to.
func (s *Service) activeUser(ctx context.Context, app storage.App, id string) (storage.User, error) {
	u, err := s.store.GetUser(ctx, app.ID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, ErrUserNotFound
	}
	if err != nil {
		return storage.User{}, fmt.Errorf("get user: %w", err)
	}
	if u.Status != storage.UserActive {
		return storage.User{}, ErrUserInactive
	}
	return u, nil
}

// activeUserWithDevices loads the user a transaction or handshake is bound
// to, with its devices, in one read.
func (s *Service) activeUserWithDevices(ctx context.Context, app storage.App, id string) (storage.User, []storage.Device, error) {
	return activeWithDevices(s.store.GetUserWithDevices(ctx, app.ID, id))
}

// activeWithDevices turns a read of a user with its devices into the
// ceremony's errors: unknown, or not active.
func activeWithDevices(u storage.User, devices []storage.Device, err error) (storage.User, []storage.Device, error) {
	if errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, nil, ErrUserNotFound
	}
	if err != nil {
		return storage.User{}, nil, fmt.Errorf("get user: %w", err)
	}
	if u.Status != storage.UserActive {
		return storage.User{}, nil, ErrUserInactive
	}
	return u, devices, nil
}

// lockActive holds an app's user through the store transaction tx (see
// storage.UserStore.LockUser) and checks that the user is still active.
func lockActive(ctx context.Context, tx storage.Store, appID, userID string) error {
	u, err := tx.LockUser(ctx, appID, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return ErrUserNotFound
	}
	if err != nil {
		return fmt.Errorf("lock user: %w", err)
	}
	if u.Status != storage.UserActive {
		return ErrUserInactive
	}
	return nil
}

// checkAttachment validates the authenticator attachment a registration asks
// for (WebAuthn L3 §5.4.5); "any" and "" ask for none.
func checkAttachment(a string) (protocol.AuthenticatorAttachment, error) {
	switch a {
	case "", "any":
		return "", nil
	case string(protocol.Platform), string(protocol.CrossPlatform):
		return protocol.AuthenticatorAttachment(a), nil
	}
	return "", invalid(`authenticator_attachment must be "platform", "cross-platform" or "any"`)
}

// firstOf returns the first non-empty string.
func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
