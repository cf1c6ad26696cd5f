package ceremony_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// enrolUser is a user an administrator created without a passkey (as an
// import or a pre-created account leaves one), and the link issued for it.
func (e *env) enrolUser(externalID string) (storage.User, string) {
	e.t.Helper()
	u := storage.User{
		ID: storage.NewID(), AppID: e.app.ID, ExternalID: externalID, Handle: storage.RandomBytes(32),
		DisplayName: externalID + "@example.com", Status: storage.UserActive,
		CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now(),
	}
	if err := e.store.CreateUser(e.ctx, u); err != nil {
		e.t.Fatal(err)
	}
	token, _, err := e.svc.CreateEnrolmentLink(e.ctx, e.app, u.ID, 0, "cli")
	if err != nil {
		e.t.Fatalf("CreateEnrolmentLink: %v", err)
	}
	return u, token
}

// link reads the stored link of a token.
func (e *env) link(token string) storage.EnrolmentLink {
	e.t.Helper()
	l, err := e.store.GetEnrolmentLinkByHash(e.ctx, storage.HashSecret(token))
	if err != nil {
		e.t.Fatalf("GetEnrolmentLinkByHash: %v", err)
	}
	return l
}

// auditTypes lists the app's audit event types, oldest first.
func (e *env) auditTypes() []string {
	e.t.Helper()
	events, err := e.store.ListAuditEvents(e.ctx, storage.AuditQuery{AppID: e.app.ID, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]string, len(events))
	for i, ev := range events {
		out[len(events)-1-i] = ev.Type
	}
	return out
}

// beginEnrolment opens the link of token and starts the registration of a
// transaction bound to it, answered by a.
func (e *env) beginEnrolment(a *softauthn.Authenticator, token string) flexRegistration {
	e.t.Helper()
	en, err := e.svc.OpenEnrolmentLink(e.ctx, token)
	if err != nil {
		e.t.Fatalf("OpenEnrolmentLink: %v", err)
	}
	tx, err := e.svc.BeginEnrolment(e.ctx, en)
	if err != nil {
		e.t.Fatalf("BeginEnrolment: %v", err)
	}
	hs, err := e.svc.BeginFlexRegistration(e.ctx, e.app, tx.ID, "any")
	if err != nil {
		e.t.Fatalf("BeginFlexRegistration: %v", err)
	}
	resp, cred, err := a.Register(hs.Options, testOrigin)
	if err != nil {
		e.t.Fatal(err)
	}
	return flexRegistration{tx: tx, hs: hs, response: resp, cred: cred}
}

func TestCreateEnrolmentLink(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		u, token := e.enrolUser("alice")

		if !strings.HasPrefix(token, storage.PrefixEnrolmentLink) || len(token) != 47 {
			t.Errorf("token %q, want pbe_ and 256 bits", token)
		}
		l := e.link(token)
		if l.AppID != e.app.ID || l.UserID != u.ID || !l.UsedAt.IsZero() || l.DeviceID != "" ||
			l.ExpiresAt.Sub(l.CreatedAt) != ceremony.DefaultEnrolmentLinkTTL || !l.CreatedAt.Equal(e.clock.Now().Round(time.Microsecond)) {
			t.Errorf("stored link %+v", l)
		}
		events, err := e.store.ListAuditEvents(e.ctx, storage.AuditQuery{AppID: e.app.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].Type != "enrolment_link.created" || events[0].Actor != "cli" || events[0].UserID != u.ID ||
			events[0].Detail["enrolment_link_id"] != l.ID || events[0].Detail["expires_at"] != l.ExpiresAt.Format(time.RFC3339) {
			t.Errorf("audit %+v", events)
		}

		// Bounds: five minutes to a week.
		e.clock.Advance(time.Second)
		for _, ttl := range []time.Duration{ceremony.MinEnrolmentLinkTTL, ceremony.MaxEnrolmentLinkTTL} {
			tok, exp, err := e.svc.CreateEnrolmentLink(e.ctx, e.app, u.ID, ttl, "")
			if err != nil {
				t.Fatalf("ttl %s: %v", ttl, err)
			}
			if got := e.link(tok); got.ExpiresAt.Sub(got.CreatedAt) != ttl || !got.ExpiresAt.Equal(exp) {
				t.Errorf("ttl %s: link lives %s, expires %s (returned %s)", ttl, got.ExpiresAt.Sub(got.CreatedAt), got.ExpiresAt, exp)
			}
		}
		if ev, _ := e.store.ListAuditEvents(e.ctx, storage.AuditQuery{AppID: e.app.ID, Limit: 1}); ev[0].Actor != "system" {
			t.Errorf("an empty actor is recorded as %q, want system", ev[0].Actor)
		}

		inactive, _ := e.enrolUser("bob")
		if _, err := e.store.UpdateUser(e.ctx, e.app.ID, inactive.ID, func(u storage.User) (storage.User, error) {
			u.Status = storage.UserInactive
			return u, nil
		}); err != nil {
			t.Fatal(err)
		}
		other := e.newApp()
		before := len(e.auditTypes())
		for _, tc := range []struct {
			name   string
			app    storage.App
			userID string
			ttl    time.Duration
			code   string
			says   string
		}{
			{"too short", e.app, u.ID, ceremony.MinEnrolmentLinkTTL - time.Second, ceremony.CodeInvalidRequest, "ttl 4m59s"},
			{"too long", e.app, u.ID, ceremony.MaxEnrolmentLinkTTL + time.Second, ceremony.CodeInvalidRequest, "ttl 168h0m1s"},
			{"negative", e.app, u.ID, -time.Hour, ceremony.CodeInvalidRequest, "ttl -1h0m0s"},
			{"unknown user", e.app, storage.NewID(), 0, ceremony.CodeUserNotFound, ""},
			{"malformed user ID", e.app, "a\x00b", 0, ceremony.CodeUserNotFound, ""},
			{"another app's user", other, u.ID, 0, ceremony.CodeUserNotFound, ""},
			{"inactive user", e.app, inactive.ID, 0, ceremony.CodeUserInactive, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tok, _, err := e.svc.CreateEnrolmentLink(e.ctx, tc.app, tc.userID, tc.ttl, "cli")
				ce := wantCode(t, err, tc.code)
				if tok != "" || !strings.Contains(ce.Message, tc.says) {
					t.Errorf("token %q, message %q; want none, and a message naming %q", tok, ce.Message, tc.says)
				}
			})
		}
		if after := len(e.auditTypes()); after != before {
			t.Errorf("refusals recorded %d audit events", after-before)
		}
	})
}

// An enrolment link's address: the issuer's enrolment page with the token,
// which CreateEnrolmentLink returns once.
func ExampleEnrolmentURL() {
	fmt.Println(ceremony.EnrolmentURL("https://id.example.com", "pbe_Zm9yIGV4YW1wbGUgb25seQ"))
	// Output: https://id.example.com/enrol?token=pbe_Zm9yIGV4YW1wbGUgb25seQ
}

func TestEnrolmentURL(t *testing.T) {
	for _, issuer := range []string{"https://id.example.com", "https://id.example.com/"} {
		if got := ceremony.EnrolmentURL(issuer, "pbe_abc-_9"); got != "https://id.example.com/enrol?token=pbe_abc-_9" {
			t.Errorf("EnrolmentURL(%q) = %q", issuer, got)
		}
	}
	if got := ceremony.EnrolmentURL("https://example.com/id", "pbe_x"); got != "https://example.com/id/enrol?token=pbe_x" {
		t.Errorf("EnrolmentURL under a path = %q", got)
	}
}

// TestEnrolment runs a link from its page to the sign-in: opening it spends
// nothing, the registration's finish spends it, the nonce of that
// registration completes it once, and the link then refuses everything.
func TestEnrolment(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		u, token := e.enrolUser("alice")

		for range 2 { // a link preview, then the person
			en, err := e.svc.OpenEnrolmentLink(e.ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			if en.App.ID != e.app.ID || en.User.ID != u.ID || en.Link.UserID != u.ID {
				t.Fatalf("opened %+v", en)
			}
		}
		if l := e.link(token); !l.UsedAt.IsZero() {
			t.Fatalf("opening used the link: %+v", l)
		}

		a := softauthn.New(softauthn.Options{AAGUID: aaguidApple, BackupEligible: true, BackedUp: true})
		r := e.beginEnrolment(a, token)
		if r.tx.UserID != u.ID || r.tx.Kind != storage.KindRegister || r.tx.DisplayName != "alice@example.com" ||
			r.tx.EnrolmentLinkID != e.link(token).ID {
			t.Fatalf("transaction %+v", r.tx)
		}
		res, err := e.svc.FinishFlexRegistration(e.ctx, e.app, r.tx.ID, r.hs.ID, r.response)
		if err != nil {
			t.Fatal(err)
		}
		l := e.link(token)
		if l.UsedAt.IsZero() || l.DeviceID != res.Device.ID {
			t.Fatalf("link after the registration %+v, want used by device %s", l, res.Device.ID)
		}
		// The test clock stands still: the events' order is not defined.
		if got := e.auditTypes(); len(got) != 3 || !slices.Contains(got, "enrolment_link.created") ||
			!slices.Contains(got, "enrolment_link.used") || !slices.Contains(got, "device.registered") {
			t.Errorf("audit %q", got)
		}

		_, err = e.svc.OpenEnrolmentLink(e.ctx, token)
		wantCode(t, err, ceremony.CodeEnrolmentLinkUsed)

		// Another nonce of the same user (a registration the app's backend
		// ran) does not complete the link, and stays its owner's.
		other := e.register(softauthn.New(softauthn.Options{}), "alice")
		_, _, err = e.svc.CompleteEnrolment(e.ctx, token, other.Nonce)
		wantCode(t, err, ceremony.CodeInvalidNonce)
		if _, err := e.svc.VerifyNonce(e.ctx, e.app, other.Nonce); err != nil {
			t.Errorf("the refused nonce was spent: %v", err)
		}
		_, _, err = e.svc.CompleteEnrolment(e.ctx, "pbe_unknown", res.Nonce)
		wantCode(t, err, ceremony.CodeEnrolmentLinkNotFound)

		en, n, err := e.svc.CompleteEnrolment(e.ctx, token, res.Nonce)
		if err != nil {
			t.Fatal(err)
		}
		if en.App.ID != e.app.ID || en.User.ID != u.ID || n.DeviceID != res.Device.ID || n.ExternalID != "alice" || !n.UserVerified {
			t.Fatalf("completed %+v with %+v", en, n)
		}
		_, _, err = e.svc.CompleteEnrolment(e.ctx, token, res.Nonce)
		wantCode(t, err, ceremony.CodeInvalidNonce)

		// The new passkey signs in.
		if got := e.authenticate(a, "alice"); got.Device.ID != res.Device.ID {
			t.Errorf("signed in with %s, want %s", got.Device.ID, res.Device.ID)
		}
	})
}

// TestEnrolmentTwoTabs: the page of one link open in two tabs, both
// registering. The first finish keeps its passkey; the other is refused,
// stores nothing, and a new start is refused too.
func TestEnrolmentTwoTabs(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		u, token := e.enrolUser("alice")
		first := e.beginEnrolment(softauthn.New(softauthn.Options{}), token)
		second := e.beginEnrolment(softauthn.New(softauthn.Options{}), token)

		if _, err := e.svc.FinishFlexRegistration(e.ctx, e.app, first.tx.ID, first.hs.ID, first.response); err != nil {
			t.Fatal(err)
		}
		before := e.snapshot([]string{second.tx.ID}, []string{second.hs.ID})
		_, err := e.svc.FinishFlexRegistration(e.ctx, e.app, second.tx.ID, second.hs.ID, second.response)
		wantCode(t, err, ceremony.CodeEnrolmentLinkUsed)
		e.assertUnchanged(before, []string{second.tx.ID}, []string{second.hs.ID})
		if ds, _ := e.store.ListDevices(e.ctx, e.app.ID, u.ID); len(ds) != 1 {
			t.Errorf("%d devices, want the first tab's", len(ds))
		}
		_, err = e.svc.BeginFlexRegistration(e.ctx, e.app, second.tx.ID, "any")
		wantCode(t, err, ceremony.CodeEnrolmentLinkUsed)
	})
}

// TestEnrolmentConcurrentFinishes: many tabs of one link finish at once;
// exactly one keeps its passkey.
func TestEnrolmentConcurrentFinishes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		u, token := e.enrolUser("alice")
		const n = 8
		regs := make([]flexRegistration, n)
		for i := range regs {
			regs[i] = e.beginEnrolment(softauthn.New(softauthn.Options{}), token)
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, r := range regs {
			wg.Go(func() {
				<-start
				_, errs[i] = e.svc.FinishFlexRegistration(e.ctx, e.app, r.tx.ID, r.hs.ID, r.response)
			})
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, ceremony.ErrEnrolmentLinkUsed):
			default:
				t.Errorf("finish: %v", err)
			}
		}
		ds, err := e.store.ListDevices(e.ctx, e.app.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if wins != 1 || len(ds) != 1 || e.link(token).DeviceID != ds[0].ID {
			t.Errorf("%d finishes won, %d devices stored; want exactly one of each, the link's", wins, len(ds))
		}
	})
}

// TestEnrolmentExpired: a link past its expiry opens to a refusal, a
// transaction of it cannot start, and a ceremony begun before the expiry
// cannot finish after it.
func TestEnrolmentExpired(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		// Transactions outlive the link here, so that the link's expiry is
		// what refuses them.
		e := newEnv(t, open(t), func(a *storage.App) { a.TransactionTTL = 30 * time.Minute })
		u, _ := e.enrolUser("alice")
		token, _, err := e.svc.CreateEnrolmentLink(e.ctx, e.app, u.ID, 5*time.Minute, "cli")
		if err != nil {
			t.Fatal(err)
		}
		en, err := e.svc.OpenEnrolmentLink(e.ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		unstarted, err := e.svc.BeginEnrolment(e.ctx, en)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(4 * time.Minute)
		late := e.beginEnrolment(softauthn.New(softauthn.Options{}), token) // its handshake lasts 2 minutes
		e.clock.Advance(time.Minute - time.Second)

		_, err = e.svc.OpenEnrolmentLink(e.ctx, token)
		if err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		e.clock.Advance(time.Second)
		_, err = e.svc.OpenEnrolmentLink(e.ctx, token)
		wantCode(t, err, ceremony.CodeEnrolmentLinkExpired)
		_, err = e.svc.BeginFlexRegistration(e.ctx, e.app, unstarted.ID, "any")
		wantCode(t, err, ceremony.CodeEnrolmentLinkExpired)
		before := e.snapshot([]string{late.tx.ID}, []string{late.hs.ID})
		_, err = e.svc.FinishFlexRegistration(e.ctx, e.app, late.tx.ID, late.hs.ID, late.response)
		wantCode(t, err, ceremony.CodeEnrolmentLinkExpired)
		e.assertUnchanged(before, []string{late.tx.ID}, []string{late.hs.ID})

		// Collected, the link is unknown; its transactions are refused all the same.
		if _, err := e.store.DeleteExpired(e.ctx, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.OpenEnrolmentLink(e.ctx, token)
		wantCode(t, err, ceremony.CodeEnrolmentLinkNotFound)
		_, err = e.svc.FinishFlexRegistration(e.ctx, e.app, late.tx.ID, late.hs.ID, late.response)
		wantCode(t, err, ceremony.CodeEnrolmentLinkExpired)
	})
}

// TestEnrolmentRefusals: tokens that name nothing, and a link whose user was
// deactivated or deleted after it was issued.
func TestEnrolmentRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		for _, token := range []string{"", "pbe_", "pbe_unknown", "nope", "pbe_" + strings.Repeat("x", 200)} {
			_, err := e.svc.OpenEnrolmentLink(e.ctx, token)
			wantCode(t, err, ceremony.CodeEnrolmentLinkNotFound)
		}

		u, token := e.enrolUser("alice")
		if _, err := e.store.UpdateUser(e.ctx, e.app.ID, u.ID, func(u storage.User) (storage.User, error) {
			u.Status = storage.UserInactive
			return u, nil
		}); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.OpenEnrolmentLink(e.ctx, token)
		wantCode(t, err, ceremony.CodeUserInactive)

		gone, goneToken := e.enrolUser("bob")
		if err := e.store.DeleteUser(e.ctx, e.app.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.OpenEnrolmentLink(e.ctx, goneToken)
		wantCode(t, err, ceremony.CodeEnrolmentLinkNotFound)

		// A link no registration used completes nothing.
		_, fresh := e.enrolUser("carol")
		_, _, err = e.svc.CompleteEnrolment(e.ctx, fresh, "some-nonce")
		wantCode(t, err, ceremony.CodeInvalidNonce)
	})
}

// A deactivation withdraws the user's open links: after a reactivation an
// old link is unknown, and only a new one brings the user in.
func TestEnrolmentLinkWithdrawnByDeactivation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		u, token := e.enrolUser("dora")
		for _, status := range []string{storage.UserInactive, storage.UserActive} {
			if _, err := e.svc.SetUserStatus(e.ctx, e.app, u.ID, status, "cli"); err != nil {
				t.Fatalf("SetUserStatus %s: %v", status, err)
			}
		}
		_, err := e.svc.OpenEnrolmentLink(e.ctx, token)
		wantCode(t, err, ceremony.CodeEnrolmentLinkNotFound)
		fresh, _, err := e.svc.CreateEnrolmentLink(e.ctx, e.app, u.ID, 0, "cli")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.OpenEnrolmentLink(e.ctx, fresh); err != nil {
			t.Fatalf("a link issued after the reactivation: %v", err)
		}
	})
}
