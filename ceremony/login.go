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
func (s *Service) finishAuthentication(ctx context.Context, app storage.App, h storage.Handshake, cred *storage.Credential, t *storage.Transaction, wantExternalID string, parsed *protocol.ParsedCredentialAssertionData, withNonce bool) (Result, error) {
	a, err := s.verifyAssertion(ctx, app, h, cred, wantExternalID, parsed)
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
	c := storage.CeremonyCommit{AppID: app.ID, Now: now, HandshakeID: h.ID, UserID: a.user.ID, RecordLogin: true}
	if t != nil {
		c.TransactionID = t.ID
	}
	res := Result{UserVerified: uv, BackupEligible: be}
	// The decision is made on the device as read, to refuse early, and
	// made again by the commit on the device as it is then (see
	// storage.DeviceUse), so that concurrent uses of one passkey all count
	// and a counter that went backwards meanwhile is still caught.
	for attempt := 1; ; attempt++ {
		next, err := recordUse(a.device, a, reject, now)
		if errors.Is(err, errSignCountRegressed) {
			return Result{}, s.refuseClone(ctx, app, a.device.ID)
		}
		if err != nil {
			return Result{}, err
		}
		c.Use = &storage.DeviceUse{DeviceID: a.device.ID, Counter: a.counter, RejectRegression: reject,
			CloneWarning: a.regressed, UserVerified: uv, BackupEligible: be, BackedUp: next.BackedUp, Type: next.Type}
		if withNonce {
			var nonce storage.Nonce
			res.Nonce, nonce = s.newNonce(app, a.user, next, storage.KindAuthenticate, uv, be)
			c.Nonce = &nonce
		}
		u, d, err := s.store.CommitCeremony(ctx, c)
		var refused *storage.CommitError
		if errors.As(err, &refused) && refused.Part == storage.CommitDevice && attempt < maxCommitAttempts {
			// Revoked, or another ceremony moved the counter or the
			// backup eligibility: decide again on the device as it is.
			if a.device, err = s.store.GetDevice(ctx, app.ID, a.device.ID); errors.Is(err, storage.ErrNotFound) {
				return Result{}, failed(reasonUnknownPasskey, err)
			} else if err != nil {
				return Result{}, fmt.Errorf("get device: %w", err)
			}
			continue
		}
		if err != nil {
			return Result{}, s.commitRefusal(ctx, app, a.user.ID, err)
		}
		res.User, res.Device = u, d
		return res, nil
	}
}

// maxCommitAttempts bounds how often an authentication is decided again on
// a device that changed under it: once is enough for the decision to come
// out as a refusal, unless the device changed back meanwhile.
const maxCommitAttempts = 3

// commitRefusal turns a refused commit into the ceremony's error.
func (s *Service) commitRefusal(ctx context.Context, app storage.App, userID string, err error) error {
	var refused *storage.CommitError
	if !errors.As(err, &refused) {
		return fmt.Errorf("record ceremony: %w", err)
	}
	switch refused.Part {
	case storage.CommitHandshake:
		return ErrHandshakeNotFound // another finish of the ceremony won
	case storage.CommitTransaction:
		return ErrTransactionExpired
	case storage.CommitUser:
		if _, err := s.activeUser(ctx, app, userID); err != nil {
			return err
		}
		return ErrUserInactive
	case storage.CommitDevice:
		// Changed under the ceremony again and again: refused as a
		// regression would be, which is what keeps changing it.
		return failed(reasonSignCount, err)
	case storage.CommitNewDevice:
		return ErrCredentialRegistered
	}
	return fmt.Errorf("record ceremony: %w", err)
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
