package transfer

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// The header's format name and the version of the format this package
// writes and reads.
const (
	FormatName = "passbridge-export"
	Version    = 1
)

// Header is the first line of an export: what it is and which RP ID its
// passkeys belong to.
type Header struct {
	Format     string `json:"format"`
	Version    int    `json:"version"`
	RPID       string `json:"rp_id"`
	ExportedAt string `json:"exported_at,omitempty"` // RFC 3339
}

// User is one line after the header: a user and its devices. Binary values
// are base64url without padding, times RFC 3339.
type User struct {
	ExternalID  string   `json:"external_id"`
	DisplayName string   `json:"display_name"`
	Status      string   `json:"status"`      // "active" | "inactive"; "" is active
	UserHandle  string   `json:"user_handle"` // the WebAuthn user handle the authenticators hold
	CreatedAt   string   `json:"created_at"`
	Devices     []Device `json:"devices"`
}

// Device is a passkey of a User.
type Device struct {
	CredID          string   `json:"cred_id"`
	PublicKey       string   `json:"public_key"` // COSE_Key (RFC 9052 §7)
	SignCount       uint32   `json:"sign_count"` // 0: the authenticator keeps no counter
	AAGUID          string   `json:"aaguid"`     // "" or a UUID
	Transports      []string `json:"transports"`
	BackupEligible  bool     `json:"backup_eligible"`
	BackedUp        bool     `json:"backed_up"`
	UserVerified    bool     `json:"user_verified"`
	AttestationType string   `json:"attestation_type"`
	FriendlyName    string   `json:"friendly_name"`
	CreatedAt       string   `json:"created_at"`
	LastLoginAt     *string  `json:"last_login_at"` // null: never used
	UsageCount      int64    `json:"usage_count"`
}

// Binary encodes bytes as the format writes them: base64url, no padding.
func Binary(b []byte) string {
	return base64.RawURLEncoding.EncodeToString(b)
}

// Time writes a time as the format does: RFC 3339 in UTC; the zero time is
// "".
func Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// OptionalTime is Time for a time that may be unset: nil for the zero time.
func OptionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := Time(t)
	return &s
}

// Encoder writes an export: a header, then users, one line each.
type Encoder struct {
	enc *json.Encoder
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer) *Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &Encoder{enc: enc}
}

// Header writes the header line of an export of passkeys of rpID.
func (e *Encoder) Header(rpID string, exportedAt time.Time) error {
	h := Header{Format: FormatName, Version: Version, RPID: rpID, ExportedAt: Time(exportedAt)}
	if err := e.enc.Encode(h); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	return nil
}

// User writes one user line. Nil lists are written as [].
func (e *Encoder) User(u User) error {
	devices := make([]Device, len(u.Devices))
	for i, d := range u.Devices {
		if d.Transports == nil {
			d.Transports = []string{}
		}
		devices[i] = d
	}
	u.Devices = devices
	if err := e.enc.Encode(u); err != nil {
		return fmt.Errorf("write user: %w", err)
	}
	return nil
}
