package main

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// The callback accepts only the answer to the passkey step this browser
// started, once: a tampered state, another browser's callback and a
// replayed one are refused, and none of them disturbs the step under way
// or the session.
func TestCallbackRefusals(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{BackupEligible: true})
	atCallback := func(u *url.URL) bool { return "http://"+u.Host == s.site && u.Path == callbackPath }

	// Stop where passbridge sends the browser back with the code.
	b.StopWhen(atCallback)
	callback := b.signIn("alice").Location(t)
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

	// Another browser, which did not start this step, gets the real
	// callback URL (a leaked link): refused, and the step stays open.
	other := s.newBrowser(softauthn.Options{})
	if p := other.open(callback.String()); p.Status != http.StatusBadRequest || p.ErrorCode() != "no_passkey_step_in_progress" {
		t.Fatalf("callback in another browser: %d %s", p.Status, p.Summary())
	}
	if p := other.open("/"); !p.signedOut() {
		t.Fatalf("the other browser is signed in: %s", p.Summary())
	}
	if s.user("u-alice").PasskeyEnrolledAt != nil {
		t.Fatal("alice is enrolled before her callback was accepted")
	}

	p := b.open(callback.String())
	if !p.signedIn() || p.Claim(t, "sub") != "u-alice" {
		t.Fatalf("the real callback after the refusals: %d %s", p.Status, p.Summary())
	}
	session := b.Cookie(sessionCookie).Value

	// The same callback again (a reload, the back button, someone with
	// the URL and the browser's cookies): the flow was used up.
	if p := b.open(callback.String()); p.Status != http.StatusBadRequest || p.ErrorCode() != "no_passkey_step_in_progress" {
		t.Fatalf("replayed callback: %d %s", p.Status, p.Summary())
	}
	if p := b.open("/"); !p.signedIn() || b.Cookie(sessionCookie).Value != session {
		t.Fatalf("the replay changed the session: %s", p.Summary())
	}

	// With the flow but without a code or an error.
	b.StopWhen(atCallback)
	callback = b.atPassbridge(b.press(b.open("/"), "/sensitive")).Location(t)
	b.StopWhen(nil)
	q = callback.Query()
	q.Del("code")
	callback.RawQuery = q.Encode()
	if p := b.open(callback.String()); p.Status != http.StatusBadRequest || p.ErrorCode() != "invalid_callback" {
		t.Fatalf("callback without a code: %d %s", p.Status, p.Summary())
	}
}

// An answer that arrives after the browser's session changed (signed out,
// or signed in as someone else meanwhile) is refused.
func TestCallbackForAnotherSession(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{BackupEligible: true})
	atCallback := func(u *url.URL) bool { return "http://"+u.Host == s.site && u.Path == callbackPath }
	b.StopWhen(atCallback)
	callback := b.signIn("alice").Location(t)
	b.StopWhen(nil)

	// Sign out of the password-only session, then use the answer.
	b.press(b.open("/"), "/logout")
	if p := b.open(callback.String()); p.Status != http.StatusBadRequest || p.ErrorCode() != "session_changed" {
		t.Fatalf("an answer for a session that ended: %d %s", p.Status, p.Summary())
	}
	if s.user("u-alice").PasskeyEnrolledAt != nil {
		t.Error("alice's enrolment was recorded for a session that ended")
	}
}
