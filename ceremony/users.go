package ceremony

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/passbridge/passbridge/storage"
)

// Audit event types of the administration of users.
const (
	EventUserUpdated       = "user.updated"
	EventUserDeactivated   = "user.deactivated"
	EventUserReactivated   = "user.reactivated"
	EventUserDeleted       = "user.deleted"
	EventUserSessionsEnded = "user.sessions_ended"
)

// errUnchanged aborts an update that would write what is stored already.
var errUnchanged = errors.New("unchanged")

// auditActor is who the audit events of an administrative change name:
// given, else the context's (WithActor), else "system".
func auditActor(ctx context.Context, given string) string {
	if given != "" {
		return given
	}
	return actor(ctx, "system")
}

// SetUserStatus activates or deactivates a user (status storage.UserActive
// or storage.UserInactive) on behalf of actor, who is named in the audit
// event ("user.deactivated" or "user.reactivated").
//
// Deactivation means off, at once: in the store transaction that marks the
// user inactive, the user's browser sessions, access and refresh tokens and
// unredeemed nonces are deleted. An inactive user is refused every
// transaction and ceremony, and every write that would sign them in (a
// session, tokens, a nonce) holds the user's row (storage.LockUser) and
// checks the status there, so none can slip in beside a deactivation.
// Reactivation restores sign-in with the same passkeys; it restores no
// session or token.
//
// Setting the status a user has already changes nothing and records
// nothing. A status other than the two is ErrInvalidRequest; an unknown
// user, ErrUserNotFound.
func (s *Service) SetUserStatus(ctx context.Context, app storage.App, userID, status, actor string) (storage.User, error) {
	if status != storage.UserActive && status != storage.UserInactive {
		return storage.User{}, invalid(`status must be "active" or "inactive"`)
	}
	if checkID("user_id", userID) != nil {
		return storage.User{}, ErrUserNotFound
	}
	var user storage.User
	err := s.store.InTx(ctx, func(tx storage.Store) error {
		var old string
		u, err := tx.UpdateUser(ctx, app.ID, userID, func(u storage.User) (storage.User, error) {
			if u.Status == status {
				user = u
				return u, errUnchanged
			}
			old = u.Status
			u.Status = status
			u.UpdatedAt = s.clock()
			return u, nil
		})
		if err != nil {
			return err
		}
		user = u
		detail := map[string]string{"from": old, "to": status}
		typ := EventUserReactivated
		if status == storage.UserInactive {
			typ = EventUserDeactivated
			n, err := signOut(ctx, tx, app.ID, userID)
			if err != nil {
				return err
			}
			detail["sessions_ended"] = strconv.Itoa(n)
			if _, err := tx.DeleteUserNonces(ctx, app.ID, userID); err != nil {
				return fmt.Errorf("delete nonces: %w", err)
			}
			// A link issued before must not bring the user back in
			// after a reactivation: an administrator issues a new one.
			links, err := tx.DeleteUnusedEnrolmentLinks(ctx, app.ID, userID)
			if err != nil {
				return fmt.Errorf("withdraw enrolment links: %w", err)
			}
			detail["enrolment_links_withdrawn"] = strconv.Itoa(links)
		}
		return s.audit(ctx, tx, app, typ, auditActor(ctx, actor), userID, "", detail)
	})
	switch {
	case errors.Is(err, errUnchanged):
		return user, nil
	case errors.Is(err, storage.ErrNotFound):
		return storage.User{}, ErrUserNotFound
	case err != nil:
		return storage.User{}, fmt.Errorf("set user status: %w", err)
	}
	return user, nil
}

// EndUserSessions signs a user out everywhere passbridge can reach, on
// behalf of actor: every browser session of the user ends, and every access
// and refresh token issued to the user is revoked, so apps holding a
// refresh token must send the user through a sign-in again. It returns how
// many sessions ended and records "user.sessions_ended". The user stays
// active and may sign in again at once. An unknown user is ErrUserNotFound.
func (s *Service) EndUserSessions(ctx context.Context, app storage.App, userID, actor string) (int, error) {
	if checkID("user_id", userID) != nil {
		return 0, ErrUserNotFound
	}
	var ended int
	err := s.store.InTx(ctx, func(tx storage.Store) error {
		// The lock keeps a sign-in that checked the user from writing a
		// session after the deletion below.
		if _, err := tx.LockUser(ctx, app.ID, userID); err != nil {
			return err
		}
		n, err := signOut(ctx, tx, app.ID, userID)
		if err != nil {
			return err
		}
		ended = n
		return s.audit(ctx, tx, app, EventUserSessionsEnded, auditActor(ctx, actor), userID, "",
			map[string]string{"sessions_ended": strconv.Itoa(n)})
	})
	if errors.Is(err, storage.ErrNotFound) {
		return 0, ErrUserNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("end user sessions: %w", err)
	}
	return ended, nil
}

// signOut deletes a user's browser sessions and tokens through tx and
// returns how many sessions there were.
func signOut(ctx context.Context, tx storage.Store, appID, userID string) (int, error) {
	n, err := tx.DeleteUserSessions(ctx, appID, userID)
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", err)
	}
	if err := tx.DeleteTokensOfUser(ctx, appID, userID, ""); err != nil {
		return 0, fmt.Errorf("delete tokens: %w", err)
	}
	return n, nil
}

// SetUserDisplayName renames a user (the name authenticators show for new
// passkeys, and the profile claims) on behalf of actor, recording
// "user.updated". The name is trimmed; empty falls back to the external ID,
// as for a new user. The same name changes nothing and records nothing.
func (s *Service) SetUserDisplayName(ctx context.Context, app storage.App, userID, name, actor string) (storage.User, error) {
	name, err := cleanDisplayName("display_name", name)
	if err != nil {
		return storage.User{}, err
	}
	if checkID("user_id", userID) != nil {
		return storage.User{}, ErrUserNotFound
	}
	var user storage.User
	err = s.store.InTx(ctx, func(tx storage.Store) error {
		var old string
		u, err := tx.UpdateUser(ctx, app.ID, userID, func(u storage.User) (storage.User, error) {
			want := name
			if want == "" {
				want = u.ExternalID
			}
			if u.DisplayName == want {
				user = u
				return u, errUnchanged
			}
			old = u.DisplayName
			u.DisplayName = want
			u.UpdatedAt = s.clock()
			return u, nil
		})
		if err != nil {
			return err
		}
		user = u
		return s.audit(ctx, tx, app, EventUserUpdated, auditActor(ctx, actor), userID, "",
			map[string]string{"display_name_from": old, "display_name_to": u.DisplayName})
	})
	switch {
	case errors.Is(err, errUnchanged):
		return user, nil
	case errors.Is(err, storage.ErrNotFound):
		return storage.User{}, ErrUserNotFound
	case err != nil:
		return storage.User{}, fmt.Errorf("set display name: %w", err)
	}
	return user, nil
}

// DeleteUser deletes a user with everything of it (devices, sessions,
// tokens, pending ceremonies) on behalf of actor, recording "user.deleted"
// with the user's external ID. An unknown user is ErrUserNotFound.
func (s *Service) DeleteUser(ctx context.Context, app storage.App, userID, actor string) error {
	if checkID("user_id", userID) != nil {
		return ErrUserNotFound
	}
	err := s.store.InTx(ctx, func(tx storage.Store) error {
		u, err := tx.GetUser(ctx, app.ID, userID)
		if err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, app.ID, userID); err != nil {
			return err
		}
		return s.audit(ctx, tx, app, EventUserDeleted, auditActor(ctx, actor), userID, "",
			map[string]string{"external_id": u.ExternalID})
	})
	if errors.Is(err, storage.ErrNotFound) {
		return ErrUserNotFound
	}
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}

// RevokeAllDevices deletes every passkey of a user on behalf of actor, and
// with them the sessions and tokens they authenticated (the store
// cascades), recording "device.revoked" for each; the user stays, and may
// be given a new passkey. It returns the devices revoked, oldest first. The
// user's row is locked meanwhile, so a registration finishing at the same
// time lands wholly before (and is revoked) or after. An unknown user is
// ErrUserNotFound.
func (s *Service) RevokeAllDevices(ctx context.Context, app storage.App, userID, actor string) ([]storage.Device, error) {
	if checkID("user_id", userID) != nil {
		return nil, ErrUserNotFound
	}
	var revoked []storage.Device
	err := s.store.InTx(ctx, func(tx storage.Store) error {
		if _, err := tx.UpdateUser(ctx, app.ID, userID, func(u storage.User) (storage.User, error) { return u, nil }); err != nil {
			return err
		}
		ds, err := tx.ListDevices(ctx, app.ID, userID)
		if err != nil {
			return fmt.Errorf("list devices: %w", err)
		}
		for _, d := range ds {
			if err := tx.DeleteDevice(ctx, app.ID, d.ID); err != nil {
				return fmt.Errorf("delete device: %w", err)
			}
			if err := s.audit(ctx, tx, app, EventDeviceRevoked, auditActor(ctx, actor), userID, d.ID,
				map[string]string{"credential_id": encodeID(d.CredentialID), "friendly_name": d.FriendlyName}); err != nil {
				return err
			}
		}
		revoked = ds
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrUserNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("revoke all devices: %w", err)
	}
	return revoked, nil
}
