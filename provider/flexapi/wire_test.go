package flexapi_test

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// Wire shapes the tests read.
type (
	handshakeJSON struct {
		Handshake struct {
			ID        string `json:"id"`
			Challenge struct {
				PublicKey json.RawMessage `json:"publicKey"`
				Mediation string          `json:"mediation"`
			} `json:"challenge"`
		} `json:"handshake"`
	}
	deviceJSON struct {
		ID                string     `json:"id"`
		CredID            string     `json:"cred_id"`
		FriendlyName      string     `json:"friendly_name"`
		Type              string     `json:"type"`
		CreatedAt         time.Time  `json:"created_at"`
		UpdatedAt         time.Time  `json:"updated_at"`
		LastLoginAt       *time.Time `json:"last_login_at"`
		UsageCount        int64      `json:"usage_count"`
		Icons             struct{ Light, Dark *string }
		AAGUID            string   `json:"aaguid"`
		AuthenticatorName string   `json:"authenticator_name"`
		BackupEligible    bool     `json:"backup_eligible"`
		BackedUp          bool     `json:"backed_up"`
		UserVerified      bool     `json:"user_verified"`
		Transports        []string `json:"transports"`
	}
	userJSON struct {
		ID              string       `json:"id"`
		ExternalID      string       `json:"external_id"`
		Status          string       `json:"status"`
		LoginCount      int64        `json:"login_count"`
		LastLoginAt     *time.Time   `json:"last_login_at"`
		WebAuthn        bool         `json:"webauthn"`
		WebAuthnDevices []deviceJSON `json:"webauthn_devices"`
		WebAuthnTypes   []string     `json:"webauthn_types"`
	}
)

// b64 is base64url without padding, as WebAuthn JSON writes IDs.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
