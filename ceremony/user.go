package ceremony

import (
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/passbridge/passbridge/storage"
)

// waUser presents a stored user and devices to go-webauthn.
type waUser struct {
	user        storage.User
	name        string // WebAuthn user.name
	displayName string // WebAuthn user.displayName
	creds       []webauthn.Credential
}

var _ webauthn.User = (*waUser)(nil)

// WebAuthnID is the user handle: random bytes, never the external ID, so an
// authenticator never learns who the user is to the app (WebAuthn L3 §14.6.1).
func (u *waUser) WebAuthnID() []byte { return u.user.Handle }

func (u *waUser) WebAuthnName() string { return u.name }

func (u *waUser) WebAuthnDisplayName() string { return u.displayName }

func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// newWAUser wraps a user and its devices; names default to the user's
// display name, then to its external ID.
func newWAUser(u storage.User, devices []storage.Device) *waUser {
	name := u.DisplayName
	if name == "" {
		name = u.ExternalID
	}
	creds := make([]webauthn.Credential, len(devices))
	for i, d := range devices {
		creds[i] = credential(d)
	}
	return &waUser{user: u, name: name, displayName: name, creds: creds}
}

// credential is the go-webauthn view of a stored device: what authentication
// needs to verify an assertion and to update the record.
func credential(d storage.Device) webauthn.Credential {
	var flags protocol.AuthenticatorFlags
	flags |= protocol.FlagUserPresent
	if d.UserVerified {
		flags |= protocol.FlagUserVerified
	}
	if d.BackupEligible {
		flags |= protocol.FlagBackupEligible
	}
	if d.BackedUp {
		flags |= protocol.FlagBackupState
	}
	// A device stored before its transports were cleaned on the way in may
	// hold any string; allowCredentials must not carry it.
	clean := CleanTransports(d.Transports)
	transports := make([]protocol.AuthenticatorTransport, len(clean))
	for i, t := range clean {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID:                d.CredentialID,
		PublicKey:         d.PublicKey,
		AttestationType:   d.AttestationType,
		AttestationFormat: d.AttestationFormat,
		Transport:         transports,
		Flags:             webauthn.NewCredentialFlags(flags),
		Authenticator: webauthn.Authenticator{
			AAGUID:       d.AAGUID,
			SignCount:    d.SignCount,
			CloneWarning: d.CloneWarning,
			Attachment:   protocol.AuthenticatorAttachment(d.Attachment),
		},
	}
}
