package flexapi

import (
	"encoding/base64"
	"time"

	"github.com/google/uuid"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/storage"
)

// Device is a passkey as the API shows it: Passage Flex's device fields, then
// what passbridge adds (AAGUID, authenticator name, flags, transports).
type Device struct {
	ID           string     `json:"id"`
	CredID       string     `json:"cred_id"` // base64url without padding, as in WebAuthn JSON
	FriendlyName string     `json:"friendly_name"`
	Type         string     `json:"type"` // "passkey" | "platform" | "security_key"
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	LastLoginAt  *time.Time `json:"last_login_at"` // null until first used to authenticate
	UsageCount   int64      `json:"usage_count"`
	Icons        Icons      `json:"icons"`

	AAGUID            string   `json:"aaguid"` // canonical UUID form
	AuthenticatorName string   `json:"authenticator_name"`
	BackupEligible    bool     `json:"backup_eligible"`
	BackedUp          bool     `json:"backed_up"`
	UserVerified      bool     `json:"user_verified"`
	Transports        []string `json:"transports"`
}

// Icons are the authenticator model's SVG data URIs, null when unknown.
type Icons struct {
	Light *string `json:"light"`
	Dark  *string `json:"dark"`
}

// NewDevice renders a stored device, naming its authenticator with info
// (from ceremony.Service.DeviceAuthenticator).
func NewDevice(d storage.Device, info ceremony.AuthenticatorInfo) Device {
	// Cleaned here too, for devices stored before transports were cleaned
	// at registration; never null in JSON.
	transports := ceremony.CleanTransports(d.Transports)
	return Device{
		ID:                d.ID,
		CredID:            base64.RawURLEncoding.EncodeToString(d.CredentialID),
		FriendlyName:      d.FriendlyName,
		Type:              d.Type,
		CreatedAt:         d.CreatedAt.UTC(),
		UpdatedAt:         d.UpdatedAt.UTC(),
		LastLoginAt:       optionalTime(d.LastLoginAt),
		UsageCount:        d.UsageCount,
		Icons:             Icons{Light: optionalString(info.IconLight), Dark: optionalString(info.IconDark)},
		AAGUID:            FormatAAGUID(d.AAGUID),
		AuthenticatorName: info.Name,
		BackupEligible:    d.BackupEligible,
		BackedUp:          d.BackedUp,
		UserVerified:      d.UserVerified,
		Transports:        transports,
	}
}

// FormatAAGUID writes an AAGUID in its canonical UUID form. Anything that is
// not 16 bytes (an authenticator that did not say) is the all-zero AAGUID,
// which is what WebAuthn uses for "unknown".
func FormatAAGUID(b []byte) string {
	id, err := uuid.FromBytes(b)
	if err != nil {
		return uuid.Nil.String()
	}
	return id.String()
}

// devices renders a user's devices, in the store's order (oldest first).
func (a *API) devices(ds []storage.Device) []Device {
	out := make([]Device, len(ds))
	for i, d := range ds {
		out[i] = NewDevice(d, a.ceremony.DeviceAuthenticator(d))
	}
	return out
}

// optionalTime is nil for the zero time, which the store uses for "never".
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
