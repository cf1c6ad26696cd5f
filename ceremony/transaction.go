package ceremony

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// userHandleBytes is the length of a new user's WebAuthn user handle: random
// (WebAuthn L3 §14.6.1) and within the 64-byte limit of §5.4.3.
const userHandleBytes = 32

// CreateRegisterTransaction lets the browser register a passkey for
// externalID, creating the user if the app has never seen it. The backend
// calling it is authenticated, so it may create users whatever the app's
// AllowSignup says (that setting governs self-service sign-up). The
// transaction's display name, which the authenticator shows, is
// passkeyDisplayName, else the user's display name.
func (s *Service) CreateRegisterTransaction(ctx context.Context, app storage.App, externalID, passkeyDisplayName string) (storage.Transaction, error) {
	if err := checkExternalID(externalID); err != nil {
		return storage.Transaction{}, err
	}
	name, err := cleanDisplayName("passkey_display_name", passkeyDisplayName)
	if err != nil {
		return storage.Transaction{}, err
	}
	now := s.clock()
	t := storage.Transaction{
		ID:          storage.NewID(),
		AppID:       app.ID,
		Kind:        storage.KindRegister,
		ExternalID:  externalID,
		DisplayName: name,
		State:       storage.TransactionPending,
		CreatedAt:   now,
		ExpiresAt:   now.Add(ttl(app.TransactionTTL, DefaultTransactionTTL)),
	}
	of := func(u storage.User) {
		t.UserID = u.ID
		if t.DisplayName == "" {
			t.DisplayName = u.DisplayName
		}
	}
	// Two attempts: a concurrent request may create the same user between
	// our read and our insert; the second read then finds it.
	for attempt := 0; ; attempt++ {
		u, err := s.store.GetUserByExternalID(ctx, app.ID, externalID)
		switch {
		case err == nil:
			if u.Status != storage.UserActive {
				return storage.Transaction{}, refuseInactive(ErrUserInactive)
			}
			of(u)
			if err := s.store.CreateTransaction(ctx, t); err != nil {
				return storage.Transaction{}, fmt.Errorf("create transaction: %w", err)
			}
			return t, nil
		case !errors.Is(err, storage.ErrNotFound):
			return storage.Transaction{}, fmt.Errorf("get user: %w", err)
		}
		// A new user, its audit event and the transaction are stored
		// together: no user is left behind by a failed transaction.
		u = s.newUser(app, externalID, name)
		of(u)
		e := s.auditEvent(app, EventUserCreated, actor(ctx, "system"), u.ID, "", map[string]string{"external_id": u.ExternalID})
		err = s.store.CreateUserWithTransaction(ctx, u, e, t)
		if errors.Is(err, storage.ErrAlreadyExists) && attempt == 0 {
			continue
		}
		if err != nil {
			return storage.Transaction{}, fmt.Errorf("create user: %w", err)
		}
		return t, nil
	}
}

// refuseInactive reports an inactive user, at transaction creation, as the
// Flex API's cannot_create_transaction: the backend asked for something the
// user's state forbids.
func refuseInactive(err error) error {
	if errors.Is(err, ErrUserInactive) {
		return newError(CodeCannotCreateTransaction, "cannot create a transaction for an inactive user", err)
	}
	return err
}

// CreateAuthenticateTransaction lets the browser authenticate externalID with
// one of its passkeys.
func (s *Service) CreateAuthenticateTransaction(ctx context.Context, app storage.App, externalID string) (storage.Transaction, error) {
	if err := checkExternalID(externalID); err != nil {
		return storage.Transaction{}, err
	}
	u, _, err := s.userWithDevices(ctx, app, externalID)
	if err != nil {
		return storage.Transaction{}, refuseInactive(err)
	}
	now := s.clock()
	t := storage.Transaction{
		ID:          storage.NewID(),
		AppID:       app.ID,
		Kind:        storage.KindAuthenticate,
		UserID:      u.ID,
		ExternalID:  u.ExternalID,
		DisplayName: u.DisplayName,
		State:       storage.TransactionPending,
		CreatedAt:   now,
		ExpiresAt:   now.Add(ttl(app.TransactionTTL, DefaultTransactionTTL)),
	}
	if err := s.store.CreateTransaction(ctx, t); err != nil {
		return storage.Transaction{}, fmt.Errorf("create transaction: %w", err)
	}
	return t, nil
}

// userWithDevices finds an active user by external ID and its devices, for
// an authentication bound to it.
func (s *Service) userWithDevices(ctx context.Context, app storage.App, externalID string) (storage.User, []storage.Device, error) {
	u, devices, err := activeWithDevices(s.store.GetUserByExternalIDWithDevices(ctx, app.ID, externalID))
	if err != nil {
		return storage.User{}, nil, err
	}
	if len(devices) == 0 {
		return storage.User{}, nil, ErrUserHasNoPasskeys
	}
	return u, devices, nil
}

// userForRegistration finds the active user externalID names, or creates it
// (display name: displayName, else the external ID), then runs then inside
// the same store transaction as the creation. An inactive user may not
// register.
func (s *Service) userForRegistration(ctx context.Context, app storage.App, externalID, displayName string, then func(tx storage.Store, u storage.User) error) (storage.User, error) {
	// Two attempts: a concurrent request may create the same user between
	// our read and our insert; the second read then finds it.
	for attempt := 0; ; attempt++ {
		u, err := s.store.GetUserByExternalID(ctx, app.ID, externalID)
		switch {
		case err == nil:
			if u.Status != storage.UserActive {
				return storage.User{}, ErrUserInactive
			}
			return u, then(s.store, u)
		case !errors.Is(err, storage.ErrNotFound):
			return storage.User{}, fmt.Errorf("get user: %w", err)
		}
		u = s.newUser(app, externalID, displayName)
		err = s.store.InTx(ctx, func(tx storage.Store) error {
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			if err := s.audit(ctx, tx, app, EventUserCreated, actor(ctx, "system"), u.ID, "", map[string]string{"external_id": u.ExternalID}); err != nil {
				return err
			}
			return then(tx, u)
		})
		if errors.Is(err, storage.ErrAlreadyExists) && attempt == 0 {
			continue
		}
		if err != nil {
			return storage.User{}, fmt.Errorf("create user: %w", err)
		}
		return u, nil
	}
}

// newUser builds a new active user with a random user handle.
func (s *Service) newUser(app storage.App, externalID, displayName string) storage.User {
	if displayName == "" {
		displayName = externalID
	}
	now := s.clock()
	return storage.User{
		ID:          storage.NewID(),
		AppID:       app.ID,
		ExternalID:  externalID,
		Handle:      storage.RandomBytes(userHandleBytes),
		DisplayName: displayName,
		Status:      storage.UserActive,
		CreatedAt:   now,
		UpdatedAt:   now,
	}
}

// pendingTransaction loads a transaction of kind for a finish or a start,
// telling apart the one that never existed (or is of another kind) from the
// one that can no longer be used.
func (s *Service) pendingTransaction(ctx context.Context, app storage.App, id, kind string, now time.Time) (storage.Transaction, error) {
	if err := checkTransactionID(id); err != nil {
		return storage.Transaction{}, err
	}
	t, err := s.store.GetTransaction(ctx, app.ID, id)
	if err != nil {
		return storage.Transaction{}, transactionReadError(err)
	}
	return t, checkPending(t, kind, now)
}

// pendingTransactionWithUser is pendingTransaction with the transaction's
// user and devices, read in the same statement and refused as
// activeUserWithDevices refuses them: what a transaction's start needs.
func (s *Service) pendingTransactionWithUser(ctx context.Context, app storage.App, id, kind string, now time.Time) (storage.Transaction, storage.User, []storage.Device, error) {
	if err := checkTransactionID(id); err != nil {
		return storage.Transaction{}, storage.User{}, nil, err
	}
	t, u, devices, err := s.store.GetTransactionWithUser(ctx, app.ID, id)
	if err != nil {
		return storage.Transaction{}, storage.User{}, nil, transactionReadError(err)
	}
	if err := checkPending(t, kind, now); err != nil {
		return storage.Transaction{}, storage.User{}, nil, err
	}
	var user storage.User
	if u == nil {
		// No user (gone): the read by ID says what to answer.
		user, devices, err = s.activeUserWithDevices(ctx, app, t.UserID)
	} else {
		user, devices, err = activeWithDevices(*u, devices, nil)
	}
	if err != nil {
		return storage.Transaction{}, storage.User{}, nil, err
	}
	return t, user, devices, nil
}

// checkTransactionID refuses what cannot name a transaction.
func checkTransactionID(id string) error {
	if id == "" {
		return invalid("transaction_id is required")
	}
	if checkID("transaction_id", id) != nil {
		return ErrTransactionNotFound
	}
	return nil
}

// transactionReadError is the ceremony's error for a failed transaction
// read.
func transactionReadError(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return ErrTransactionNotFound
	}
	return fmt.Errorf("get transaction: %w", err)
}

// checkPending refuses a transaction of another kind, or one that is no
// longer pending.
func checkPending(t storage.Transaction, kind string, now time.Time) error {
	if t.Kind != kind {
		return newError(CodeTransactionNotFound, "no "+kind+" transaction has this id", nil)
	}
	if t.State != storage.TransactionPending || !now.Before(t.ExpiresAt) {
		return ErrTransactionExpired
	}
	return nil
}

// ttl is an app's lifetime setting, or def when unset.
func ttl(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
