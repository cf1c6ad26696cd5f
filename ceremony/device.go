package ceremony

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/passbridge/passbridge/storage"
)

// Generic device names, for authenticators the AAGUID list does not know.
const (
	namePasskey     = "Passkey"
	nameSecurityKey = "Security key"
)

// errNotOwned aborts a device update whose device belongs to another user.
var errNotOwned = errors.New("device of another user")

// newDevice builds the record of a freshly registered credential. A
// registration is not a use: UsageCount 0 and LastLoginAt zero.
func (s *Service) newDevice(app storage.App, u storage.User, cred *webauthn.Credential) (storage.Device, error) {
	// The attestation record lets the credential be audited again later
	// (webauthn.Credential.Verify against metadata), e.g. for an AAGUID
	// policy introduced after registration.
	att, err := json.Marshal(cred.Attestation)
	if err != nil {
		return storage.Device{}, fmt.Errorf("encode attestation: %w", err)
	}
	attachment := attachmentOf(cred.Authenticator.Attachment)
	be := cred.Flags.BackupEligible
	name := genericName(be, attachment)
	if info, ok := s.aaguids.Lookup(cred.Authenticator.AAGUID); ok {
		name = info.Name
	}
	aaguid := cred.Authenticator.AAGUID
	if len(aaguid) != 16 {
		aaguid = make([]byte, 16)
	}
	now := s.clock()
	return storage.Device{
		ID:                storage.NewID(),
		AppID:             app.ID,
		UserID:            u.ID,
		CredentialID:      cred.ID,
		PublicKey:         cred.PublicKey,
		AttestationType:   cred.AttestationType,
		AttestationFormat: cred.AttestationFormat,
		Attestation:       att,
		AAGUID:            aaguid,
		Transports:        CleanTransports(cred.Transport),
		SignCount:         cred.Authenticator.SignCount,
		UserVerified:      cred.Flags.UserVerified,
		BackupEligible:    be,
		BackedUp:          cred.Flags.BackupState,
		Attachment:        attachment,
		FriendlyName:      name,
		Type:              deviceType(be, attachment),
		CreatedAt:         now,
		UpdatedAt:         now,
	}, nil
}

// transportValues are the AuthenticatorTransport values of WebAuthn L3
// §5.8.4.
var transportValues = []protocol.AuthenticatorTransport{
	protocol.USB, protocol.NFC, protocol.BLE, protocol.SmartCard, protocol.Hybrid, protocol.Internal,
}

// CleanTransports keeps the transports WebAuthn L3 §5.8.4 defines, each
// once, in the order they first appear, so at most six. Other values are
// dropped, not refused: §5.8.4 has clients and relying parties ignore
// transports they do not know. A client reports transports at registration
// and the device holds them for good, showing them in every device list and
// sending them in every allowCredentials, so whatever it reports must pass
// through here.
func CleanTransports[T ~string](in []T) []string {
	out := make([]string, 0, len(transportValues))
	for _, t := range in {
		known := slices.Contains(transportValues, protocol.AuthenticatorTransport(t))
		if known && !slices.Contains(out, string(t)) {
			out = append(out, string(t))
		}
	}
	return out
}

// attachmentOf keeps the two attachments WebAuthn L3 §5.4.5 defines; the
// client reports it, and anything else means it did not say.
func attachmentOf(a protocol.AuthenticatorAttachment) string {
	switch a {
	case protocol.Platform, protocol.CrossPlatform:
		return string(a)
	}
	return ""
}

// deviceType classifies a credential as the Flex API does: a backup-eligible
// credential can be synced, so it is a passkey whatever holds it.
func deviceType(backupEligible bool, attachment string) string {
	switch {
	case backupEligible:
		return storage.DeviceTypePasskey
	case attachment == string(protocol.Platform):
		return storage.DeviceTypePlatform
	default:
		return storage.DeviceTypeSecurityKey
	}
}

// genericName names a device by its kind, matching deviceType.
func genericName(backupEligible bool, attachment string) string {
	// DESIGN §4: a platform credential, synced or not, is what people call
	// a passkey; only a roaming (cross-platform) one is a security key.
	if deviceType(backupEligible, attachment) == storage.DeviceTypeSecurityKey {
		return nameSecurityKey
	}
	return namePasskey
}

// RenameDevice sets a device's friendly name (trimmed, 1–100 characters, no
// control characters). A device of another user or app is not found.
func (s *Service) RenameDevice(ctx context.Context, app storage.App, userID, deviceID, name string) (storage.Device, error) {
	name, err := cleanFriendlyName(name)
	if err != nil {
		return storage.Device{}, err
	}
	if checkID("user_id", userID) != nil || checkID("device_id", deviceID) != nil {
		return storage.Device{}, ErrDeviceNotFound
	}
	var renamed storage.Device
	err = s.store.InTx(ctx, func(tx storage.Store) error {
		var old string
		d, err := tx.UpdateDevice(ctx, app.ID, deviceID, func(d storage.Device) (storage.Device, error) {
			if d.UserID != userID {
				return d, errNotOwned
			}
			old = d.FriendlyName
			d.FriendlyName = name
			d.UpdatedAt = s.clock()
			return d, nil
		})
		if err != nil {
			return err
		}
		renamed = d
		return s.audit(ctx, tx, app, EventDeviceRenamed, actor(ctx, "system"), userID, deviceID,
			map[string]string{"from": old, "to": name})
	})
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, errNotOwned) {
		return storage.Device{}, ErrDeviceNotFound
	}
	if err != nil {
		return storage.Device{}, fmt.Errorf("rename device: %w", err)
	}
	return renamed, nil
}

// RevokeDevice deletes a device, and with it the sessions and tokens it
// authenticated. The user stays, even without devices.
func (s *Service) RevokeDevice(ctx context.Context, app storage.App, userID, deviceID string) error {
	return s.revokeDevice(ctx, app, userID, deviceID, true)
}

// RevokeDeviceKeepingLast is RevokeDevice that refuses, with ErrLastDevice,
// to delete the user's only device. The check and the deletion happen
// under the user's row lock, so two removals racing cannot leave the user
// with none.
func (s *Service) RevokeDeviceKeepingLast(ctx context.Context, app storage.App, userID, deviceID string) error {
	return s.revokeDevice(ctx, app, userID, deviceID, false)
}

func (s *Service) revokeDevice(ctx context.Context, app storage.App, userID, deviceID string, allowLast bool) error {
	if checkID("user_id", userID) != nil || checkID("device_id", deviceID) != nil {
		return ErrDeviceNotFound
	}
	err := s.store.InTx(ctx, func(tx storage.Store) error {
		if !allowLast {
			// Lock the user: removals of its devices queue here.
			if _, err := tx.UpdateUser(ctx, app.ID, userID, func(u storage.User) (storage.User, error) { return u, nil }); err != nil {
				return err
			}
		}
		d, err := tx.GetDevice(ctx, app.ID, deviceID)
		if err != nil {
			return err
		}
		if d.UserID != userID {
			return errNotOwned
		}
		if !allowLast {
			ds, err := tx.ListDevices(ctx, app.ID, userID)
			if err != nil {
				return err
			}
			if len(ds) <= 1 {
				return ErrLastDevice
			}
		}
		if err := tx.DeleteDevice(ctx, app.ID, deviceID); err != nil {
			return err
		}
		return s.audit(ctx, tx, app, EventDeviceRevoked, actor(ctx, "system"), userID, deviceID,
			map[string]string{"credential_id": encodeID(d.CredentialID), "friendly_name": d.FriendlyName})
	})
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, errNotOwned) {
		return ErrDeviceNotFound
	}
	if errors.Is(err, ErrLastDevice) {
		return ErrLastDevice
	}
	if err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	return nil
}

// encodeID renders a credential ID as WebAuthn JSON does: base64url without
// padding.
func encodeID(id []byte) string {
	return base64.RawURLEncoding.EncodeToString(id)
}
