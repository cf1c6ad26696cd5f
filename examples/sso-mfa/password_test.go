package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// A wrong password, or an unknown username, is refused by the app itself:
// the browser never reaches passbridge, and no session starts. Both get
// the same answer, so the page does not tell which usernames exist.
func TestWrongPassword(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{BackupEligible: true})
	for name, tc := range map[string]struct{ username, password string }{
		"wrong password":      {"alice", s.passwords["bob"]},
		"unknown user":        {"mallory", s.passwords["alice"]},
		"password cut at 72":  {"alice", s.passwords["alice"] + strings.Repeat("x", 72)},
		"username, different": {"Alice ", s.passwords["bob"]},
	} {
		p := b.signInWithPassword(tc.username, tc.password)
		if p.Status != http.StatusUnauthorized || !p.signedOut() || p.refusal() != "Wrong username or password." {
			t.Errorf("%s: %d %s", name, p.Status, p.Summary())
		}
	}
	if p := b.signInWithPassword("alice", ""); p.Status != http.StatusBadRequest || !strings.Contains(p.refusal(), "Enter") {
		t.Errorf("no password: %d %s", p.Status, p.Summary())
	}
	for _, u := range b.Requests() {
		if u.Scheme+"://"+u.Host == s.Issuer {
			t.Errorf("the browser reached passbridge: %s", u)
		}
	}
	for _, c := range b.SiteCookies() {
		if c.Name == sessionCookie {
			t.Errorf("a refused sign-in set a session cookie")
		}
	}
	if len(s.sessions("u-alice")) != 0 || len(s.devices("u-alice")) != 0 {
		t.Error("passbridge heard of alice")
	}
	// The username is case-insensitive.
	if p := b.signInWithPassword(" ALICE", s.passwords["alice"]); b.authRequestID(p) == "" {
		t.Fatal("no passkey step")
	}
}

// Failed passwords are limited per username: after five, even the right
// password waits, and other usernames are not affected.
func TestPasswordThrottle(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{})
	for range maxFailures {
		if p := b.signInWithPassword("alice", "wrong password"); p.Status != http.StatusUnauthorized {
			t.Fatalf("a wrong password: %d %s", p.Status, p.Summary())
		}
	}
	p := b.signInWithPassword("alice", s.passwords["alice"])
	if p.Status != http.StatusTooManyRequests || !strings.Contains(p.refusal(), "Too many") {
		t.Fatalf("the right password after %d failures: %d %s", maxFailures, p.Status, p.Summary())
	}
	if p := b.signInWithPassword("bob", s.passwords["bob"]); p.Status != http.StatusOK || p.URL.Host == strings.TrimPrefix(s.site, "http://") {
		t.Errorf("bob after alice's failures: %d %s", p.Status, p.URL)
	}
	s.Clock.Advance(failureInterval)
	other := s.newBrowser(softauthn.Options{})
	if p := other.signInWithPassword("alice", s.passwords["alice"]); other.authRequestID(p) == "" {
		t.Fatal("no passkey step")
	}
}

// The sign-in form is a POST that another site cannot make the browser
// send: Go's cross-origin protection refuses it, and the form's token
// must match the browser's cookie.
func TestSignInFormCSRF(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{})
	token := b.open("/").Field(t, "csrf")
	form := url.Values{"csrf": {token}, "username": {"alice"}, "password": {s.passwords["alice"]}}
	for name, tc := range map[string]struct {
		header http.Header
		form   url.Values
		code   string
	}{
		"another site's form":       {http.Header{"Origin": {"http://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}, form, "cross_site_request"},
		"another site, old browser": {http.Header{"Origin": {"http://evil.example"}}, form, "cross_site_request"},
		"without the token": {http.Header{"Origin": {s.site}},
			url.Values{"username": {"alice"}, "password": {s.passwords["alice"]}}, "invalid_csrf_token"},
		"with another token": {http.Header{"Origin": {s.site}},
			url.Values{"csrf": {token + "x"}, "username": {"alice"}, "password": {s.passwords["alice"]}}, "invalid_csrf_token"},
	} {
		if p := b.post(s.site+"/login", tc.form, tc.header); p.Status != http.StatusForbidden || p.ErrorCode() != tc.code {
			t.Errorf("%s: %d %q, want 403 %s", name, p.Status, p.ErrorCode(), tc.code)
		}
	}
	// A browser without the cookie (the token came from another one).
	other := s.newBrowser(softauthn.Options{})
	if p := other.post(s.site+"/login", form, http.Header{"Origin": {s.site}}); p.ErrorCode() != "invalid_csrf_token" {
		t.Errorf("another browser's token: %d %s", p.Status, p.Summary())
	}
	if c := b.Cookie(loginCookie); !c.HttpOnly || c.MaxAge != int(loginTokenLifetime/time.Second) {
		t.Errorf("the sign-in form's cookie: %+v", c)
	}
}
