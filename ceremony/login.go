package ceremony

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/passbridge/passbridge/storage"
)

// errSignCountRegressed aborts the commit of an assertion whose counter did
// not advance past the stored one, under the reject policy.
var errSignCountRegressed = errors.New("sign count regressed")

// finishAuthentication verifies a parsed assertion against its handshake
// and, only if it passes, commits everything it changes at once: the device
// (sign count, flags, usage), the user (login count), the handshake
// consumed, the transaction completed (bound Flex) and the nonce (Flex).
func (s *Service) finishAuthentication(ctx context.Context, app storage.App, h storage.Handshake, t *storage.Transaction, wantExternalID string, parsed *protocol.ParsedCredentialAssertionData, withNonce bool) (Result, error) {
	a, err := s.verifyAssertion(ctx, app, h, wantExternalID, parsed)
	if err != nil {
		return Result{}, err
	}
	reject := app.SignCountPolicy != storage.SignCountAllow
	if a.regressed && reject {
		return Result{}, s.refuseClone(ctx, app, a.device.ID)
	}
	uv := a.flags.HasUserVerified()
	be := a.flags.HasBackupEligible()
	now := s.clock()
	var (
		res   = Result{UserVerified: uv, BackupEligible: be}
		nonce storage.Nonce
	)
	err = s.store.InTx(ctx, func(tx storage.Store) error {
		// The handshake goes first: of concurrent finishes of one
		// ceremony, the losers stop here.
		if err := consumeHandshake(ctx, tx, h, now); err != nil {
			return err
		}
		if t != nil {
			if err := completeTransaction(ctx, tx, app.ID, t.ID, now); err != nil {
				return err
			}
		}
		d, err := tx.UpdateDevice(ctx, app.ID, a.device.ID, func(d storage.Device) (storage.Device, error) {
			return recordUse(d, a, reject, now)
		})
		if errors.Is(err, storage.ErrNotFound) {
			return failed(reasonUnknownPasskey, err) // revoked during the ceremony
		}
		if err != nil {
			return err
		}
		u, err := tx.UpdateUser(ctx, app.ID, a.user.ID, func(u storage.User) (storage.User, error) {
			if u.Status != storage.UserActive {
				return u, ErrUserInactive
			}
			u.LoginCount++
			u.LastLoginAt = now
			return u, nil
		})
		if errors.Is(err, storage.ErrNotFound) {
			return ErrUserNotFound
		}
		if err != nil {
			return err
		}
		res.User, res.Device = u, d
		if withNonce {
			res.Nonce, nonce = s.newNonce(app, u, d, storage.KindAuthenticate, uv, be)
			if err := tx.CreateNonce(ctx, nonce); err != nil {
				return fmt.Errorf("create nonce: %w", err)
			}
		}
		return nil
	})
	if errors.Is(err, errSignCountRegressed) {
		return Result{}, s.refuseClone(ctx, app, a.device.ID)
	}
	var ours *Error
	if errors.As(err, &ours) {
		return Result{}, ours
	}
	if err != nil {
		return Result{}, fmt.Errorf("record authentication: %w", err)
	}
	return res, nil
}

// recordUse updates a device, as it is now in the store, with a verified
// assertion. The counter is compared with the current row, not the one read
// before verifying, so two assertions racing cannot both advance it.
func recordUse(d storage.Device, a asserted, reject bool, now time.Time) (storage.Device, error) {
	// WebAuthn L3 §7.2 and §6.1.1: a counter that does not advance (unless
	// both are 0, as synced passkeys report) signals a possible clone.
	if a.counter > d.SignCount || (a.counter == 0 && d.SignCount == 0) {
		d.SignCount = a.counter
	} else {
		if reject {
			return d, errSignCountRegressed
		}
		d.CloneWarning = true
	}
	if a.regressed {
		d.CloneWarning = true
	}
	// Backup eligibility may go up, never down (see verifyAssertion); the
	// check there saw the row as it was before verifying, so it is made
	// again against the locked row, where a racing upgrade may have landed.
	if d.BackupEligible && !a.flags.HasBackupEligible() {
		return d, failed(reasonBackupEligible, nil)
	}
	// UV is latched: once the authenticator has verified the user, the
	// device is known to be able to.
	d.UserVerified = d.UserVerified || a.flags.HasUserVerified()
	d.BackupEligible = a.flags.HasBackupEligible()
	d.BackedUp = a.flags.HasBackupState()
	d.Type = deviceType(d.BackupEligible, d.Attachment)
	d.UsageCount++
	d.LastLoginAt = now
	d.UpdatedAt = now
	return d, nil
}

// refuseClone records the clone warning on the device, the one store change a
// refused ceremony makes (so the operator sees it), and returns the refusal.
func (s *Service) refuseClone(ctx context.Context, app storage.App, deviceID string) error {
	_, err := s.store.UpdateDevice(ctx, app.ID, deviceID, func(d storage.Device) (storage.Device, error) {
		if !d.CloneWarning {
			d.CloneWarning = true
			d.UpdatedAt = s.clock()
		}
		return d, nil
	})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("record clone warning: %w", err)
	}
	return failed(reasonSignCount, nil)
}
