package ceremony

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// Lifetimes of an enrolment link: a day by default; at least long enough
// to open a message, at most a week, since the link alone lets its holder
// add a passkey to the account.
const (
	DefaultEnrolmentLinkTTL = 24 * time.Hour
	MinEnrolmentLinkTTL     = 5 * time.Minute
	MaxEnrolmentLinkTTL     = 7 * 24 * time.Hour
)

// Audit event types of enrolment links.
const (
	EventEnrolmentLinkCreated = "enrolment_link.created"
	EventEnrolmentLinkUsed    = "enrolment_link.used"
)

// Error codes of enrolment links.
const (
	CodeEnrolmentLinkNotFound = "enrolment_link_not_found"
	CodeEnrolmentLinkExpired  = "enrolment_link_expired"
	CodeEnrolmentLinkUsed     = "enrolment_link_used"
)

// Sentinels of enrolment links, for errors.Is.
var (
	ErrEnrolmentLinkNotFound = &Error{Code: CodeEnrolmentLinkNotFound, Message: "this enrolment link is not valid"}
	ErrEnrolmentLinkExpired  = &Error{Code: CodeEnrolmentLinkExpired, Message: "this enrolment link has expired"}
	ErrEnrolmentLinkUsed     = &Error{Code: CodeEnrolmentLinkUsed, Message: "this enrolment link has been used already"}
)

// maxEnrolmentTokenChars bounds a token before it is hashed; ours are 47
// characters.
const maxEnrolmentTokenChars = 100

// EnrolmentURL is the address of the page that redeems token: the issuer's
// /enrol?token=….
func EnrolmentURL(issuer, token string) string {
	return strings.TrimRight(issuer, "/") + "/enrol?token=" + url.QueryEscape(token)
}

// CreateEnrolmentLink issues a single-use link with which the active user
// userID of app registers one new passkey on passbridge's enrolment page
// and is signed in: the way back for a user who lost every passkey, the way
// in for an imported or pre-created one. ttl 0 means
// DefaultEnrolmentLinkTTL; any other must lie between MinEnrolmentLinkTTL
// and MaxEnrolmentLinkTTL. The token is returned once; only its digest is
// stored. The link and its audit event (enrolment_link.created, naming
// actor, or "system" when empty) commit together.
func (s *Service) CreateEnrolmentLink(ctx context.Context, app storage.App, userID string, ttl time.Duration, actor string) (token string, expiresAt time.Time, err error) {
	switch {
	case ttl == 0:
		ttl = DefaultEnrolmentLinkTTL
	case ttl < MinEnrolmentLinkTTL || ttl > MaxEnrolmentLinkTTL:
		return "", time.Time{}, invalid(fmt.Sprintf("ttl %s is out of range: an enrolment link lasts from %s to %s",
			ttl, MinEnrolmentLinkTTL, MaxEnrolmentLinkTTL))
	}
	if checkID("user_id", userID) != nil {
		return "", time.Time{}, ErrUserNotFound
	}
	u, err := s.store.GetUser(ctx, app.ID, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return "", time.Time{}, ErrUserNotFound
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("get user: %w", err)
	}
	if u.Status != storage.UserActive {
		return "", time.Time{}, newError(CodeUserInactive, "an inactive user gets no enrolment link", nil)
	}
	if actor == "" {
		actor = "system"
	}
	token, _ = storage.NewSecret(storage.PrefixEnrolmentLink)
	now := s.clock()
	l := storage.EnrolmentLink{
		ID:        storage.NewID(),
		AppID:     app.ID,
		UserID:    u.ID,
		Hash:      storage.HashSecret(token),
		CreatedAt: now,
		ExpiresAt: now.Add(ttl),
	}
	err = s.store.InTx(ctx, func(tx storage.Store) error {
		if err := tx.CreateEnrolmentLink(ctx, l); err != nil {
			return err
		}
		return s.audit(ctx, tx, app, EventEnrolmentLinkCreated, actor, u.ID, "", map[string]string{
			"enrolment_link_id": l.ID,
			"expires_at":        l.ExpiresAt.Format(time.RFC3339),
		})
	})
	if errors.Is(err, storage.ErrNotFound) {
		return "", time.Time{}, ErrUserNotFound // deleted meanwhile
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("create enrolment link: %w", err)
	}
	return token, l.ExpiresAt, nil
}

// Enrolment is an enrolment link as its page opens it, with its app and
// its user.
type Enrolment struct {
	Link storage.EnrolmentLink
	App  storage.App
	User storage.User
}

// linkByToken finds the link a token names; a token that cannot be ours
// names none.
func (s *Service) linkByToken(ctx context.Context, token string) (storage.EnrolmentLink, error) {
	if !strings.HasPrefix(token, storage.PrefixEnrolmentLink) || len(token) > maxEnrolmentTokenChars {
		return storage.EnrolmentLink{}, ErrEnrolmentLinkNotFound
	}
	l, err := s.store.GetEnrolmentLinkByHash(ctx, storage.HashSecret(token))
	if errors.Is(err, storage.ErrNotFound) {
		return storage.EnrolmentLink{}, ErrEnrolmentLinkNotFound
	}
	if err != nil {
		return storage.EnrolmentLink{}, fmt.Errorf("get enrolment link: %w", err)
	}
	return l, nil
}

// OpenEnrolmentLink reads the link token names, for its page: one that is
// unknown, used or expired is refused with ErrEnrolmentLinkNotFound,
// ErrEnrolmentLinkUsed or ErrEnrolmentLinkExpired, one of an inactive user
// with ErrUserInactive. Opening changes nothing: a link preview does not
// spend the link.
func (s *Service) OpenEnrolmentLink(ctx context.Context, token string) (Enrolment, error) {
	l, err := s.linkByToken(ctx, token)
	if err != nil {
		return Enrolment{}, err
	}
	if err := linkState(l, s.clock()); err != nil {
		return Enrolment{}, err
	}
	return s.enrolment(ctx, l)
}

// linkState refuses a link that was used or has expired at now.
func linkState(l storage.EnrolmentLink, now time.Time) error {
	switch {
	case !l.UsedAt.IsZero():
		return ErrEnrolmentLinkUsed
	case !now.Before(l.ExpiresAt):
		return ErrEnrolmentLinkExpired
	}
	return nil
}

// enrolment loads the app and the user of a link; the user must be active.
func (s *Service) enrolment(ctx context.Context, l storage.EnrolmentLink) (Enrolment, error) {
	app, err := s.store.GetApp(ctx, l.AppID)
	if errors.Is(err, storage.ErrNotFound) {
		return Enrolment{}, ErrEnrolmentLinkNotFound // deleted with its app meanwhile
	}
	if err != nil {
		return Enrolment{}, fmt.Errorf("get app: %w", err)
	}
	u, err := s.store.GetUser(ctx, l.AppID, l.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return Enrolment{}, ErrEnrolmentLinkNotFound // deleted with its user meanwhile
	}
	if err != nil {
		return Enrolment{}, fmt.Errorf("get user: %w", err)
	}
	if u.Status != storage.UserActive {
		return Enrolment{}, newError(CodeUserInactive, "this account is inactive", nil)
	}
	return Enrolment{Link: l, App: app, User: u}, nil
}

// BeginEnrolment creates the register transaction that the page of an
// opened link runs through the Flex client API, for the link's user and
// bound to the link: its finish consumes the link, in the same store
// transaction as the new device, so of all the transactions of one link
// (a page open in two tabs) at most one ever completes. The passkey's name
// for the authenticator is the user's display name.
func (s *Service) BeginEnrolment(ctx context.Context, en Enrolment) (storage.Transaction, error) {
	name := en.User.DisplayName
	if name == "" {
		name = en.User.ExternalID
	}
	now := s.clock()
	t := storage.Transaction{
		ID:              storage.NewID(),
		AppID:           en.App.ID,
		Kind:            storage.KindRegister,
		UserID:          en.User.ID,
		ExternalID:      en.User.ExternalID,
		DisplayName:     name,
		State:           storage.TransactionPending,
		CreatedAt:       now,
		ExpiresAt:       now.Add(ttl(en.App.TransactionTTL, DefaultTransactionTTL)),
		EnrolmentLinkID: en.Link.ID,
	}
	if err := s.store.CreateTransaction(ctx, t); errors.Is(err, storage.ErrNotFound) {
		return storage.Transaction{}, ErrEnrolmentLinkNotFound // the user went meanwhile
	} else if err != nil {
		return storage.Transaction{}, fmt.Errorf("create transaction: %w", err)
	}
	return t, nil
}

// checkEnrolmentLink refuses to start the registration of a transaction
// whose enrolment link was used (by another tab) or has expired, before the
// person is asked for a passkey that could not be kept.
func (s *Service) checkEnrolmentLink(ctx context.Context, app storage.App, t storage.Transaction) error {
	if t.EnrolmentLinkID == "" {
		return nil
	}
	l, err := s.store.GetEnrolmentLink(ctx, app.ID, t.EnrolmentLinkID)
	if errors.Is(err, storage.ErrNotFound) {
		return ErrEnrolmentLinkExpired // collected after its expiry
	}
	if err != nil {
		return fmt.Errorf("get enrolment link: %w", err)
	}
	return linkState(l, s.clock())
}

// useEnrolmentLink consumes the enrolment link of transaction t, inside the
// store transaction of the registration that created device d, and records
// it. Of concurrent registrations of one link the first to get here keeps
// its passkey; the others are refused and roll back.
func (s *Service) useEnrolmentLink(ctx context.Context, tx storage.Store, app storage.App, t storage.Transaction, d storage.Device, now time.Time) error {
	l, err := tx.ConsumeEnrolmentLink(ctx, app.ID, t.EnrolmentLinkID, d.ID, now)
	if errors.Is(err, storage.ErrNotFound) {
		// Say why: the link was used by another registration, or expired.
		cur, gerr := tx.GetEnrolmentLink(ctx, app.ID, t.EnrolmentLinkID)
		if gerr != nil && !errors.Is(gerr, storage.ErrNotFound) {
			return fmt.Errorf("get enrolment link: %w", gerr)
		}
		if gerr == nil && !cur.UsedAt.IsZero() {
			return ErrEnrolmentLinkUsed
		}
		return ErrEnrolmentLinkExpired
	}
	if err != nil {
		return fmt.Errorf("consume enrolment link: %w", err)
	}
	return s.audit(ctx, tx, app, EventEnrolmentLinkUsed, actor(ctx, "user:"+l.UserID), l.UserID, d.ID,
		map[string]string{"enrolment_link_id": l.ID})
}

// CompleteEnrolment redeems, with the link's token, the nonce of the
// registration that used the link, for the sign-in that follows it. The
// nonce must be that registration's own (its user and its new device);
// anything else is ErrInvalidNonce and leaves the nonce unspent. It
// returns the link, its app and user, and the nonce's record.
func (s *Service) CompleteEnrolment(ctx context.Context, token, nonce string) (Enrolment, storage.Nonce, error) {
	l, err := s.linkByToken(ctx, token)
	if err != nil {
		return Enrolment{}, storage.Nonce{}, err
	}
	if l.UsedAt.IsZero() || l.DeviceID == "" || nonce == "" || len(nonce) > maxNonceChars {
		// No registration used this link (or its passkey is gone): no
		// nonce can be its.
		return Enrolment{}, storage.Nonce{}, ErrInvalidNonce
	}
	en, err := s.enrolment(ctx, l)
	if err != nil {
		return Enrolment{}, storage.Nonce{}, err
	}
	var n storage.Nonce
	err = s.store.InTx(ctx, func(tx storage.Store) error {
		var err error
		n, err = tx.ConsumeNonce(ctx, en.App.ID, storage.HashSecret(nonce), s.clock())
		if errors.Is(err, storage.ErrNotFound) {
			return ErrInvalidNonce
		}
		if err != nil {
			return fmt.Errorf("consume nonce: %w", err)
		}
		if n.Kind != storage.KindRegister || n.UserID != l.UserID || n.DeviceID != l.DeviceID {
			return ErrInvalidNonce // rolled back: the nonce stays its owner's
		}
		return nil
	})
	if err != nil {
		return Enrolment{}, storage.Nonce{}, err
	}
	return en, n, nil
}
