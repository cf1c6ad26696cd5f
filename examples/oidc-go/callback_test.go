package main

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// The callback accepts only the answer to the sign-in this browser
// started, once: a tampered state, another browser's callback and a
// replayed one are refused, and none of them disturbs the sign-in under
// way or the session.
func TestCallbackRefusals(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{BackupEligible: true})
	b.Register("alice")
	atCallback := func(u *url.URL) bool { return "http://"+u.Host == s.site && u.Path == callbackPath }

	// Stop where passbridge sends the browser back with the code.
	b.StopWhen(atCallback)
	callback := b.signIn("/login").Location(t)
	b.StopWhen(nil)
	if !atCallback(callback) || callback.Query().Get("code") == "" {
		t.Fatalf("passbridge answered %s", callback)
	}

	tampered := *callback
	q := tampered.Query()
	q.Set("state", q.Get("state")+"x")
	tampered.RawQuery = q.Encode()
	if p := b.open(tampered.String()); p.Status != http.StatusBadRequest || p.ErrorCode() != "state_mismatch" {
		t.Fatalf("tampered state: %d %s", p.Status, p.Summary())
	}

	// Another browser, which did not start this sign-in, gets the real
	// callback URL (a leaked link): refused, and the sign-in stays open.
	other := s.newBrowser(softauthn.Options{})
	if p := other.open(callback.String()); p.Status != http.StatusBadRequest || p.ErrorCode() != "no_sign_in_in_progress" {
		t.Fatalf("callback in another browser: %d %s", p.Status, p.Summary())
	}
	if p := other.open("/"); !p.signedOut() {
		t.Fatalf("the other browser is signed in: %s", p.Summary())
	}

	p := b.open(callback.String())
	if !p.signedIn() || p.Claim(t, "sub") != "alice" {
		t.Fatalf("the real callback after the refusals: %d %s", p.Status, p.Summary())
	}
	session := b.Cookie(sessionCookie).Value

	// The same callback again (a reload, a back button, an attacker with
	// the URL and the browser's cookies): the flow was used up.
	if p := b.open(callback.String()); p.Status != http.StatusBadRequest || p.ErrorCode() != "no_sign_in_in_progress" {
		t.Fatalf("replayed callback: %d %s", p.Status, p.Summary())
	}
	if p := b.open("/"); !p.signedIn() || b.Cookie(sessionCookie).Value != session {
		t.Fatalf("the replay changed the session: %s", p.Summary())
	}

	// With the flow but without a code or an error.
	b.StopWhen(atCallback)
	callback = b.open("/login").Location(t) // SSO: straight back
	b.StopWhen(nil)
	q = callback.Query()
	q.Del("code")
	callback.RawQuery = q.Encode()
	if p := b.open(callback.String()); p.Status != http.StatusBadRequest || p.ErrorCode() != "invalid_callback" {
		t.Fatalf("callback without a code: %d %s", p.Status, p.Summary())
	}
}

// A code presented with another flow's PKCE verifier is refused by
// passbridge, and the app says so: a code that leaked from one browser's
// sign-in cannot be redeemed through another browser's flow.
func TestCallbackCodeOfAnotherFlow(t *testing.T) {
	s := startStack(t)
	victim := s.newBrowser(softauthn.Options{BackupEligible: true})
	victim.Register("alice")
	atCallback := func(u *url.URL) bool { return "http://"+u.Host == s.site && u.Path == callbackPath }
	victim.StopWhen(atCallback)
	stolen := victim.signIn("/login").Location(t).Query().Get("code")

	attacker := s.newBrowser(softauthn.Options{BackupEligible: true})
	attacker.Register("mallory")
	attacker.StopWhen(atCallback)
	own := attacker.signIn("/login").Location(t)
	attacker.StopWhen(nil)
	q := own.Query()
	q.Set("code", stolen)
	own.RawQuery = q.Encode()
	if p := attacker.open(own.String()); p.Status != http.StatusBadRequest || p.ErrorCode() != "code_refused" {
		t.Fatalf("alice's code through mallory's flow: %d %s", p.Status, p.Summary())
	}
	if p := attacker.open("/"); p.signedIn() {
		t.Fatalf("mallory is signed in: %s", p.Summary())
	}
}
