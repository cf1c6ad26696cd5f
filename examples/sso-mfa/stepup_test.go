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
			t.Fatalf("%s's enrolment: %s", name, p.summary())
		}
		b.press(p, "/logout")
	}
	bob := softauthn.WithCredential(b.auth.Credentials()[1].ID)
	s.clock.Advance(30 * time.Second)

	// The request as the app sent it: passbridge refuses bob's passkey.
	id := b.authRequestID(b.signInWithPassword("alice", s.passwords["alice"]))
	refused := b.complete(id, b.authenticate(map[string]any{}, bob))
	if refused.status != http.StatusForbidden || refused.url.Host != strings.TrimPrefix(s.issuer, "http://") {
		t.Fatalf("bob's passkey for alice's step-up at passbridge: %d %s", refused.status, refused.url)
	}

	// The request without its login_hint: passbridge runs a discoverable
	// ceremony and signs bob in; the app refuses the answer.
	b.stopWhen(func(u *url.URL) bool { return u.Path == "/authorize" })
	authorize := b.press(b.open("/"), "/mfa").location(t)
	b.stopWhen(nil)
	q := authorize.Query()
	q.Del("login_hint")
	authorize.RawQuery = q.Encode()
	p := b.atPassbridge(b.open(authorize.String()), bob)
	if p.status != http.StatusForbidden || p.errorCode() != "step_up_refused" || !strings.Contains(p.body, "another account") {
		t.Fatalf("bob's answer to alice's step-up: %d %s %s", p.status, p.url, p.summary())
	}
	if home := b.open("/"); home.state() != statePasswordOnly || !strings.Contains(home.body, `id="use-passkey"`) {
		t.Fatalf("alice's session after the refused step-up: %s", home.summary())
	}

	// Her own passkey then completes it.
	if p := b.atPassbridge(b.press(b.open("/"), "/mfa")); !p.signedIn() || p.claim(t, "sub") != "u-alice" {
		t.Fatalf("alice's own passkey: %d %s", p.status, p.summary())
	}
}

// A session that has the password only can do nothing but the passkey
// step, and lives only as long as that takes.
func TestPasswordOnlySession(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{BackupEligible: true})
	b.stopWhen(func(u *url.URL) bool { return u.Path == "/authorize" })
	b.signInWithPassword("alice", s.passwords["alice"])
	b.stopWhen(nil)

	home := b.open("/")
	if home.state() != statePasswordOnly || !strings.Contains(home.body, `id="create-passkey"`) ||
		strings.Contains(home.body, `data-claim`) {
		t.Fatalf("the password-only page: %s", home.summary())
	}
	if p := b.press(home, "/sensitive"); p.status != http.StatusForbidden || p.errorCode() != "mfa_required" {
		t.Errorf("a sensitive action with the password only: %d %s", p.status, p.summary())
	}
	if c := b.cookie(sessionCookie); c.MaxAge != int(passwordOnlyLifetime/time.Second) {
		t.Errorf("the password-only session cookie lives %d s", c.MaxAge)
	}
	s.clock.Advance(passwordOnlyLifetime + time.Second)
	if p := b.open("/"); !p.signedOut() {
		t.Errorf("the password-only session outlived its %s: %s", passwordOnlyLifetime, p.summary())
	}
}
