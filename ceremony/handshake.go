package ceremony

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/passbridge/passbridge/storage"
)

// handshakeScope says which ceremony a finish expects, so that a handshake
// of one flow, kind or transaction cannot finish another.
type handshakeScope struct {
	flow          string
	kind          string
	transactionID string // Flex: the transaction named by the finish ("" = discoverable)
}

// saveHandshake stores through st go-webauthn's session data of a begun
// ceremony, verbatim: its extensions and algorithm list are checked again at
// finish.
func (s *Service) saveHandshake(ctx context.Context, st storage.Store, app storage.App, scope handshakeScope, userID, attachment string, session *webauthn.SessionData) (storage.Handshake, error) {
	data, err := json.Marshal(session)
	if err != nil {
		return storage.Handshake{}, fmt.Errorf("encode session: %w", err)
	}
	now := s.clock()
	h := storage.Handshake{
		ID:            storage.NewID(),
		AppID:         app.ID,
		Flow:          scope.flow,
		Kind:          scope.kind,
		TransactionID: scope.transactionID,
		UserID:        userID,
		Challenge:     session.Challenge,
		Session:       data,
		Attachment:    attachment,
		CreatedAt:     now,
		ExpiresAt:     now.Add(ttl(app.CeremonyTimeout, DefaultCeremonyTimeout)),
	}
	if err := st.CreateHandshake(ctx, h); err != nil {
		return storage.Handshake{}, fmt.Errorf("create handshake: %w", err)
	}
	return h, nil
}

// flexHandshake reads (without consuming) the handshake a Flex finish names.
func (s *Service) flexHandshake(ctx context.Context, app storage.App, id string, scope handshakeScope, now time.Time) (storage.Handshake, error) {
	key, err := flexKey(id)
	if err != nil {
		return storage.Handshake{}, err
	}
	return s.readHandshake(ctx, app, key, scope, now)
}

// challengeHandshake reads (without consuming) the handshake whose challenge
// the response's clientDataJSON carries: how the start/finish API finds the
// ceremony a finish belongs to.
func (s *Service) challengeHandshake(ctx context.Context, app storage.App, challenge string, scope handshakeScope, now time.Time) (storage.Handshake, error) {
	key, err := challengeKey(challenge)
	if err != nil {
		return storage.Handshake{}, err
	}
	return s.readHandshake(ctx, app, key, scope, now)
}

// flexKey checks the handshake ID a Flex finish names.
func flexKey(id string) (storage.HandshakeKey, error) {
	if id == "" {
		return storage.HandshakeKey{}, invalid("handshake_id is required")
	}
	if checkID("handshake_id", id) != nil {
		return storage.HandshakeKey{}, ErrHandshakeNotFound
	}
	return storage.HandshakeKey{ID: id}, nil
}

// challengeKey checks the challenge a start/finish API finish names.
func challengeKey(challenge string) (storage.HandshakeKey, error) {
	if challenge == "" || len(challenge) > maxChallengeChars {
		return storage.HandshakeKey{}, ErrHandshakeNotFound
	}
	return storage.HandshakeKey{Challenge: challenge}, nil
}

// readHandshake reads the handshake key names, which must be of scope.
func (s *Service) readHandshake(ctx context.Context, app storage.App, key storage.HandshakeKey, scope handshakeScope, now time.Time) (storage.Handshake, error) {
	var (
		h   storage.Handshake
		err error
	)
	if key.ID != "" {
		h, err = s.store.GetHandshake(ctx, app.ID, key.ID, now)
	} else {
		h, err = s.store.GetHandshakeByChallenge(ctx, app.ID, key.Challenge, now)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Handshake{}, ErrHandshakeNotFound
	}
	if err != nil {
		return storage.Handshake{}, fmt.Errorf("get handshake: %w", err)
	}
	return h, scope.check(h)
}

// assertionHandshake reads (without consuming) the handshake an
// authentication's finish names, which must be of scope, with the app's
// device of the asserted credential and its user (nil when there is
// none), in one store read.
func (s *Service) assertionHandshake(ctx context.Context, app storage.App, key storage.HandshakeKey, scope handshakeScope, credentialID []byte, now time.Time) (storage.Handshake, *storage.Credential, error) {
	h, cred, err := s.store.GetAssertionHandshake(ctx, app.ID, key, credentialID, now)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Handshake{}, nil, ErrHandshakeNotFound
	}
	if err != nil {
		return storage.Handshake{}, nil, fmt.Errorf("get handshake: %w", err)
	}
	return h, cred, scope.check(h)
}

// check reports ErrHandshakeNotFound for a handshake that belongs to another
// flow, kind or transaction: to this finish, it does not exist.
func (sc handshakeScope) check(h storage.Handshake) error {
	if h.Flow != sc.flow || h.Kind != sc.kind {
		return ErrHandshakeNotFound
	}
	if sc.flow == storage.FlowFlex && h.TransactionID != sc.transactionID {
		return ErrHandshakeNotFound
	}
	return nil
}

// sessionOf decodes a handshake's session data into a fresh value.
func sessionOf(h storage.Handshake) (webauthn.SessionData, error) {
	var sd webauthn.SessionData
	if err := json.Unmarshal(h.Session, &sd); err != nil {
		return webauthn.SessionData{}, fmt.Errorf("decode session of handshake %s: %w", h.ID, err)
	}
	return sd, nil
}

// consumeHandshake takes the handshake inside a finish's store transaction.
// Gone means another finish of the same ceremony won the race.
func consumeHandshake(ctx context.Context, tx storage.Store, h storage.Handshake, now time.Time) error {
	_, err := tx.ConsumeHandshake(ctx, h.AppID, h.ID, now)
	if errors.Is(err, storage.ErrNotFound) {
		return ErrHandshakeNotFound
	}
	if err != nil {
		return fmt.Errorf("consume handshake: %w", err)
	}
	return nil
}

// completeTransaction completes a Flex transaction inside a finish's store
// transaction. Gone means it expired or another finish completed it.
func completeTransaction(ctx context.Context, tx storage.Store, appID, id string, now time.Time) error {
	_, err := tx.CompleteTransaction(ctx, appID, id, now)
	if errors.Is(err, storage.ErrNotFound) {
		return ErrTransactionExpired
	}
	if err != nil {
		return fmt.Errorf("complete transaction: %w", err)
	}
	return nil
}
