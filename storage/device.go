package storage

import (
	"context"
	"time"
)

// Device types as the Flex API reports them.
const (
	DeviceTypePasskey     = "passkey"      // backup-eligible (synced)
	DeviceTypePlatform    = "platform"     // device-bound, platform attachment
	DeviceTypeSecurityKey = "security_key" // device-bound, cross-platform attachment
)

// Device is one WebAuthn credential of a user.
type Device struct {
	ID                string
	AppID             string
	UserID            string
	CredentialID      []byte // raw credential ID; unique per app
	PublicKey         []byte // COSE_Key
	AttestationType   string // "none", "basic_full", "self", …
	AttestationFormat string // "none", "packed", "tpm", …
	Attestation       []byte // JSON of the registration's attestation record, kept for re-audit
	AAGUID            []byte // 16 bytes; all zero when the authenticator did not say
	Transports        []string
	SignCount         uint32
	CloneWarning      bool
	UserVerified      bool // the authenticator has performed user verification
	BackupEligible    bool
	BackedUp          bool
	Attachment        string // "platform" | "cross-platform" | ""
	FriendlyName      string
	Type              string // DeviceTypePasskey | DeviceTypePlatform | DeviceTypeSecurityKey
	UsageCount        int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
	LastLoginAt       time.Time // zero: never used to authenticate
}

// DeviceStore persists devices. Deleting a device deletes the browser
// sessions, access tokens and refresh tokens it authenticated.
type DeviceStore interface {
	CreateDevice(ctx context.Context, d Device) error
	GetDevice(ctx context.Context, appID, id string) (Device, error)
	GetDeviceByCredentialID(ctx context.Context, appID string, credentialID []byte) (Device, error)
	ListDevices(ctx context.Context, appID, userID string) ([]Device, error) // ordered by CreatedAt, then ID
	// GetUserWithDevices returns an app's user by id with its devices
	// (ordered as ListDevices orders them) in one read: what a ceremony
	// bound to a user needs.
	GetUserWithDevices(ctx context.Context, appID, id string) (User, []Device, error)
	// GetDeviceWithUser returns an app's device by raw credential ID with
	// its user, in one read: what a discoverable ceremony needs.
	GetDeviceWithUser(ctx context.Context, appID string, credentialID []byte) (Device, User, error)
	// GetUserByExternalIDWithDevices is GetUserWithDevices by external ID.
	GetUserByExternalIDWithDevices(ctx context.Context, appID, externalID string) (User, []Device, error)
	UpdateDevice(ctx context.Context, appID, id string, fn func(Device) (Device, error)) (Device, error)
	DeleteDevice(ctx context.Context, appID, id string) error
}
