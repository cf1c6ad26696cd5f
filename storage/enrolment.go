package storage

import (
	"context"
	"time"
)

// PrefixEnrolmentLink starts an enrolment link's token, so that an operator
// (and a secret scanner) can tell what it is.
const PrefixEnrolmentLink = "pbe_"

// EnrolmentLink lets one user register one new passkey on passbridge's
// enrolment page: an administrator's way back in for a user who lost every
// passkey, and the way in for an imported or pre-created one. Only a digest
// of its token is stored.
type EnrolmentLink struct {
	ID     string
	AppID  string
	UserID string
	Hash   []byte // SHA-256 of the token; unique
	// DeviceID is the passkey the link's registration created; empty
	// until the link is used (and again if that device is deleted).
	DeviceID  string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
}

// EnrolmentLinkStore persists enrolment links. A link goes with its user
// (and app); DeleteExpired removes it at its expiry, used or not.
type EnrolmentLinkStore interface {
	// CreateEnrolmentLink stores a new link of an existing user of the app
	// (ErrNotFound otherwise).
	CreateEnrolmentLink(ctx context.Context, l EnrolmentLink) error
	// GetEnrolmentLink returns a link of the app by ID, whatever its state.
	GetEnrolmentLink(ctx context.Context, appID, id string) (EnrolmentLink, error)
	// GetEnrolmentLinkByHash returns a link by its token's digest, whatever
	// its state: the page that redeems a token knows no app yet.
	GetEnrolmentLinkByHash(ctx context.Context, hash []byte) (EnrolmentLink, error)
	// ConsumeEnrolmentLink marks an unused link that expires after now used
	// (UsedAt = now) by the registration of device deviceID, and returns
	// it; of concurrent consumers exactly one gets it, the others (and any
	// later caller) get ErrNotFound, as does an expired or unknown link.
	ConsumeEnrolmentLink(ctx context.Context, appID, id, deviceID string, now time.Time) (EnrolmentLink, error)
	// DeleteUnusedEnrolmentLinks withdraws every unused link of a user of
	// the app (a deactivation does) and reports how many went; used links
	// stay until they expire.
	DeleteUnusedEnrolmentLinks(ctx context.Context, appID, userID string) (int, error)
}
