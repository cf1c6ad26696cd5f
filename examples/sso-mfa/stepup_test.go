package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// A step-up answered by another user's passkey is refused: by passbridge
// when the request is bound to the user (login_hint), and by the app when
// someone removed the hint from the request on its way through the
// browser. Either way the session keeps the password only.
func TestStepUpByAnotherUser(t *testing.T) {
	s := startStack(t)
	// One authenticator holds alice's passkey and bob's, both enrolled
	// through the app.
	b := s.newBrowser(softauthn.Options{BackupEligible: true})
	for _, name := range []string{"alice", "bob"} {
		p := b.signIn(name)
		if !p.signedIn() {
			t.Fatalf("%s's enrolment: %s", name, p.Summary())
		}
		b.press(p, "/logout")
	}
	bob := softauthn.WithCredential(b.Auth.Credentials()[1].ID)
	s.Clock.Advance(30 * time.Second)

	// The request as the app sent it: passbridge refuses bob's passkey.
	id := b.authRequestID(b.signInWithPassword("alice", s.passwords["alice"]))
	refused := b.complete(id, b.Authenticate(map[string]any{}, bob))
	if refused.Status != http.StatusForbidden || refused.URL.Host != strings.TrimPrefix(s.Issuer, "http://") {
		t.Fatalf("bob's passkey for alice's step-up at passbridge: %d %s", refused.Status, refused.URL)
	}

	// The request without its login_hint: passbridge runs a discoverable
	// ceremony and signs bob in; the app refuses the answer.
	b.StopWhen(func(u *url.URL) bool { return u.Path == "/authorize" })
	authorize := b.press(b.open("/"), "/mfa").Location(t)
	b.StopWhen(nil)
	q := authorize.Query()
	q.Del("login_hint")
	authorize.RawQuery = q.Encode()
	p := b.atPassbridge(b.open(authorize.String()), bob)
	if p.Status != http.StatusForbidden || p.ErrorCode() != "step_up_refused" || !strings.Contains(p.Body, "another account") {
		t.Fatalf("bob's answer to alice's step-up: %d %s %s", p.Status, p.URL, p.Summary())
	}
	if home := b.open("/"); home.state() != statePasswordOnly || !strings.Contains(home.Body, `id="use-passkey"`) {
		t.Fatalf("alice's session after the refused step-up: %s", home.Summary())
	}

	// Her own passkey then completes it.
	if p := b.atPassbridge(b.press(b.open("/"), "/mfa")); !p.signedIn() || p.Claim(t, "sub") != "u-alice" {
		t.Fatalf("alice's own passkey: %d %s", p.Status, p.Summary())
	}
}

// A session that has the password only can do nothing but the passkey
// step, and lives only as long as that takes.
func TestPasswordOnlySession(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{BackupEligible: true})
	b.StopWhen(func(u *url.URL) bool { return u.Path == "/authorize" })
	b.signInWithPassword("alice", s.passwords["alice"])
	b.StopWhen(nil)

	home := b.open("/")
	if home.state() != statePasswordOnly || !strings.Contains(home.Body, `id="create-passkey"`) ||
		strings.Contains(home.Body, `data-claim`) {
		t.Fatalf("the password-only page: %s", home.Summary())
	}
	if p := b.press(home, "/sensitive"); p.Status != http.StatusForbidden || p.ErrorCode() != "mfa_required" {
		t.Errorf("a sensitive action with the password only: %d %s", p.Status, p.Summary())
	}
	if c := b.Cookie(sessionCookie); c.MaxAge != int(passwordOnlyLifetime/time.Second) {
		t.Errorf("the password-only session cookie lives %d s", c.MaxAge)
	}
	s.Clock.Advance(passwordOnlyLifetime + time.Second)
	if p := b.open("/"); !p.signedOut() {
		t.Errorf("the password-only session outlived its %s: %s", passwordOnlyLifetime, p.Summary())
	}
}
