package ceremony

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/passbridge/passbridge/storage"
)

// nonceBytes is the entropy of a nonce: 256 bits, so guessing one is hopeless
// within its lifetime and a fast digest is a safe way to store it.
const nonceBytes = 32

// newNonce returns a fresh nonce and its record. The record is bound to the
// app, user, device and kind of the ceremony and to the flags it proved (d
// is the device as the ceremony left it, so its BackedUp is the BS flag the
// ceremony saw), so the backend redeeming it learns exactly what happened.
func (s *Service) newNonce(app storage.App, u storage.User, d storage.Device, kind string, uv, be bool) (string, storage.Nonce) {
	plain := base64.RawURLEncoding.EncodeToString(storage.RandomBytes(nonceBytes))
	now := s.clock()
	return plain, storage.Nonce{
		Hash:           storage.HashSecret(plain),
		AppID:          app.ID,
		UserID:         u.ID,
		ExternalID:     u.ExternalID,
		DeviceID:       d.ID,
		Kind:           kind,
		UserVerified:   uv,
		BackupEligible: be,
		BackedUp:       d.BackedUp,
		CreatedAt:      now,
		ExpiresAt:      now.Add(ttl(app.NonceTTL, DefaultNonceTTL)),
	}
}

// VerifyNonce redeems a nonce once and returns what it proves. A nonce that is
// malformed, unknown, already used, expired or of another app is
// ErrInvalidNonce; of many concurrent redemptions of one nonce, one succeeds.
func (s *Service) VerifyNonce(ctx context.Context, app storage.App, nonce string) (storage.Nonce, error) {
	if nonce == "" || len(nonce) > maxNonceChars {
		return storage.Nonce{}, ErrInvalidNonce
	}
	n, err := s.store.ConsumeNonce(ctx, app.ID, storage.HashSecret(nonce), s.clock())
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Nonce{}, ErrInvalidNonce
	}
	if err != nil {
		return storage.Nonce{}, fmt.Errorf("consume nonce: %w", err)
	}
	return n, nil
}
