package settings

import (
	"time"

	"github.com/passbridge/passbridge/storage"
)

// UserJSON is a user as the command line and the admin API show it.
type UserJSON struct {
	ID          string     `json:"id"`
	ExternalID  string     `json:"external_id"`
	DisplayName string     `json:"display_name"`
	Status      string     `json:"status"` // "active" | "inactive"
	LoginCount  int64      `json:"login_count"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	LastLoginAt *time.Time `json:"last_login_at"` // null until the first sign-in
}

// NewUserJSON renders a stored user.
func NewUserJSON(u storage.User) UserJSON {
	out := UserJSON{
		ID: u.ID, ExternalID: u.ExternalID, DisplayName: u.DisplayName, Status: u.Status, LoginCount: u.LoginCount,
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
	}
	if !u.LastLoginAt.IsZero() {
		t := u.LastLoginAt.UTC()
		out.LastLoginAt = &t
	}
	return out
}

// SessionJSON is a browser session at the OpenID Connect provider as the
// command line and the admin API show it: never its cookie, of which the
// store keeps only a digest.
type SessionJSON struct {
	ID         string    `json:"id"`
	DeviceID   string    `json:"device_id"` // the device whose ceremony signed the browser in
	AuthTime   time.Time `json:"auth_time"`
	ACR        string    `json:"acr"`
	AMR        []string  `json:"amr"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// NewSessionJSON renders a stored session.
func NewSessionJSON(s storage.Session) SessionJSON {
	return SessionJSON{
		ID: s.ID, DeviceID: s.DeviceID, AuthTime: s.AuthTime.UTC(), ACR: s.ACR, AMR: nonNil(s.AMR),
		CreatedAt: s.CreatedAt.UTC(), LastSeenAt: s.LastSeenAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
	}
}
