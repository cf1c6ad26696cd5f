package flexapi

import (
	"slices"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// passageContact holds the fields of Passage's user objects that passbridge
// does not keep (it knows users by the app's external ID only). They are
// sent empty so Passage's typed SDKs, which require them, keep decoding.
type passageContact struct {
	Email         string         `json:"email"`
	EmailVerified bool           `json:"email_verified"`
	Phone         string         `json:"phone"`
	PhoneVerified bool           `json:"phone_verified"`
	UserMetadata  map[string]any `json:"user_metadata"` // always null
}

// UserListItem is one user of a find-users page.
type UserListItem struct {
	ID         string `json:"id"`
	ExternalID string `json:"external_id"`
	Status     string `json:"status"` // "active" | "inactive"
	passageContact
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	LastLoginAt *time.Time `json:"last_login_at"` // null until first authentication
	LoginCount  int64      `json:"login_count"`
}

// UserInfo is one user with its devices.
type UserInfo struct {
	UserListItem
	WebAuthn          bool     `json:"webauthn"` // the user has at least one device
	WebAuthnDevices   []Device `json:"webauthn_devices"`
	WebAuthnTypes     []string `json:"webauthn_types"`     // distinct device types, in device order
	RecentEvents      []any    `json:"recent_events"`      // always empty
	SocialConnections struct{} `json:"social_connections"` // always empty
}

func newUserListItem(u storage.User) UserListItem {
	return UserListItem{
		ID:          u.ID,
		ExternalID:  u.ExternalID,
		Status:      u.Status,
		CreatedAt:   u.CreatedAt.UTC(),
		UpdatedAt:   u.UpdatedAt.UTC(),
		LastLoginAt: optionalTime(u.LastLoginAt),
		LoginCount:  u.LoginCount,
	}
}

func newUserInfo(u storage.User, devices []Device) UserInfo {
	types := []string{}
	for _, d := range devices {
		if !slices.Contains(types, d.Type) {
			types = append(types, d.Type)
		}
	}
	return UserInfo{
		UserListItem:    newUserListItem(u),
		WebAuthn:        len(devices) > 0,
		WebAuthnDevices: devices,
		WebAuthnTypes:   types,
		RecentEvents:    []any{},
	}
}
