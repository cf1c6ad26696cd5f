package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// Sign out ends the app's session, then passbridge's through its
// end_session endpoint, and comes back to the app signed out: a new
// sign-in needs the passkey again. A sign-out another site posts, or one
// without the session's token, is refused. Nothing secret reaches the log.
func TestSignOut(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{BackupEligible: true})
	b.Register("alice")
	home := b.signIn("/login")
	csrf := home.Field(t, "csrf")
	sessionID := b.Cookie(sessionCookie).Value
	if len(s.Sessions(s.app.ID, "alice")) != 1 {
		t.Fatal("passbridge has no session of alice's")
	}

	for name, tc := range map[string]struct {
		header http.Header
		form   url.Values
		code   string
	}{
		"another site's form": {http.Header{"Origin": {"http://evil.example"}, "Sec-Fetch-Site": {"cross-site"}},
			url.Values{"csrf": {csrf}}, "cross_site_request"},
		"another site, old browser": {http.Header{"Origin": {"http://evil.example"}}, url.Values{"csrf": {csrf}}, "cross_site_request"},
		"without the token":         {http.Header{"Origin": {s.site}}, nil, "invalid_csrf_token"},
		"with a wrong token":        {http.Header{"Origin": {s.site}}, url.Values{"csrf": {csrf + "x"}}, "invalid_csrf_token"},
	} {
		if p := b.post(s.site+"/logout", tc.form, tc.header); p.Status != http.StatusForbidden || p.ErrorCode() != tc.code {
			t.Errorf("sign-out from %s: %d %q, want 403 %s", name, p.Status, p.ErrorCode(), tc.code)
		}
	}
	if p := b.open("/"); !p.signedIn() {
		t.Fatalf("a refused sign-out signed out: %s", p.Summary())
	}

	p := b.submit("/logout", url.Values{"csrf": {csrf}})
	if p.Status != http.StatusOK || !p.signedOut() || !strings.Contains(p.Body, `id="signed-out"`) {
		t.Fatalf("after sign-out: %d %s %s", p.Status, p.URL, p.Summary())
	}
	end := b.LastRequest(s.Issuer, "/end_session").Query()
	back := b.LastRequest(s.site, "/").Query()
	if end.Get("id_token_hint") == "" || end.Get("client_id") != s.client.ID ||
		end.Get("post_logout_redirect_uri") != s.site+"/" || end.Get("state") == "" || back.Get("state") != end.Get("state") {
		t.Errorf("end_session asked with %v, came back with %v", end, back)
	}
	if sessions := s.Sessions(s.app.ID, "alice"); len(sessions) != 0 {
		t.Errorf("passbridge still has %d sessions of alice's", len(sessions))
	}
	// The notice is for the browser that signed out, once.
	if p := b.open("/?state=" + url.QueryEscape(back.Get("state"))); !p.signedOut() || strings.Contains(p.Body, `id="signed-out"`) {
		t.Errorf("the signed-out notice shows again: %s", p.Summary())
	}

	// No SSO any more: passbridge shows its login page again.
	b.authRequestID(b.open("/login"))

	// The log of all this holds none of the secrets that went by.
	callback := b.LastRequest(s.site, callbackPath).Query()
	logs := s.logs.String()
	for name, secret := range map[string]string{
		"client secret": s.secret, "code": callback.Get("code"), "state": callback.Get("state"),
		"ID token": end.Get("id_token_hint"), "session ID": sessionID, "CSRF token": csrf,
	} {
		if secret == "" {
			t.Errorf("no %s to look for", name)
		} else if strings.Contains(logs, secret) {
			t.Errorf("the app logged the %s", name)
		}
	}
}

// Signing out without a session (an expired one, a second tab) just lands
// on the signed-out page.
func TestSignOutWithoutSession(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{})
	p := b.submit("/logout", url.Values{"csrf": {"anything"}})
	if p.Status != http.StatusOK || !p.signedOut() || p.URL.String() != s.site+"/" {
		t.Fatalf("sign-out without a session: %d %s %s", p.Status, p.URL, p.Summary())
	}
}
