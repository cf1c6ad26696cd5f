//go:build e2e

package oidcspa

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// TestBrowserJourney drives the app in headless Chromium with a virtual
// authenticator, on each store engine, as a person does: sign up on
// passbridge's page, see the ID token's claims, renew the tokens with the
// refresh token (twice), call userinfo, confirm with the passkey (step-up),
// sign out. Every call the page makes to passbridge is a cross-origin
// fetch, so the journey also proves passbridge's CORS policy for a public
// client: discovery, token, userinfo and revocation.
func TestBrowserJourney(t *testing.T) {
	for _, engine := range []string{sqlstoretest.SQLite, sqlstoretest.Postgres} {
		t.Run(engine, func(t *testing.T) { journey(t, engine) })
	}
}

func journey(t *testing.T, engine string) {
	s := startStack(t, stackOptions{engine: engine})
	tab := newTab(t)

	// Sign up: a new user, signed in with a refresh token.
	sub := s.signUp(tab)
	if !strings.HasPrefix(sub, "pb_") {
		t.Fatalf("signed up as %q", sub)
	}
	s.p.User(s.app.ID, sub) // passbridge has the user
	asked := s.rec.lastAuthorize(t)
	if got := asked.Get("prompt"); got != "create" {
		t.Errorf("sign-up's prompt = %q, want create", got)
	}
	if got := asked.Get("code_challenge_method"); got != "S256" || asked.Get("code_challenge") == "" {
		t.Errorf("sign-up's PKCE: method %q, challenge %q", got, asked.Get("code_challenge"))
	}
	if scopes := strings.Fields(asked.Get("scope")); !slices.Contains(scopes, "offline_access") {
		t.Errorf("sign-up's scope = %q, want offline_access in it", asked.Get("scope"))
	}
	if acr := claim(tab, "acr"); acr != "phr" && acr != "phrh" {
		t.Errorf("acr on the page = %q", acr)
	}
	if amr := claim(tab, "amr"); !strings.Contains(amr, "mfa") {
		t.Errorf("amr on the page = %q, want mfa in it (the virtual authenticator verifies the user)", amr)
	}
	signedUpAt := authTime(t, tab)

	u1, ok := s.user(tab)
	if !ok || u1.RefreshToken == "" {
		t.Fatalf("no refresh token in the tab after signing in with offline_access (user stored: %v)", ok)
	}
	first, err := s.refreshToken(u1.RefreshToken)
	if err != nil {
		t.Fatalf("passbridge's record of the first refresh token: %v", err)
	}
	shownToken := tab.Text("access-token")

	// Renew now: the refresh token buys new tokens, and is rotated.
	tab.ClickInPage("renew")
	tab.Until("the first renewal", `document.getElementById("renewed").dataset.renewals === "1"`)
	if got := tab.Text("renewed"); !strings.HasPrefix(got, "Tokens renewed at ") {
		t.Errorf("the page says %q after the renewal", got)
	}
	u2, _ := s.user(tab)
	if u2.RefreshToken == "" || u2.RefreshToken == u1.RefreshToken || u2.AccessToken == u1.AccessToken {
		t.Fatalf("the renewal did not bring a new access and refresh token")
	}
	if got := tab.Text("access-token"); got == shownToken {
		t.Errorf("the page shows the same access token fingerprint %q after the renewal", got)
	}
	if _, err := s.refreshToken(u1.RefreshToken); !isReused(err) {
		t.Errorf("the first refresh token after the renewal: %v, want it spent", err)
	}
	second, err := s.refreshToken(u2.RefreshToken)
	if err != nil || second.GrantID != first.GrantID {
		t.Errorf("the rotated refresh token: %v (grant %q, want %q)", err, second.GrantID, first.GrantID)
	}
	if got := s.userinfo(u1.AccessToken); got != 401 {
		t.Errorf("userinfo with the access token the renewal replaced: %d, want 401", got)
	}
	if got := claim(tab, "sub"); got != sub {
		t.Errorf("sub after the renewal = %q, want %q", got, sub)
	}

	// Again: the rotated token works, once.
	tab.ClickInPage("renew")
	tab.Until("the second renewal", `document.getElementById("renewed").dataset.renewals === "2"`)
	u3, _ := s.user(tab)
	if u3.RefreshToken == "" || u3.RefreshToken == u2.RefreshToken || u3.AccessToken == u2.AccessToken {
		t.Fatalf("the second renewal did not bring new tokens")
	}
	if _, err := s.refreshToken(u2.RefreshToken); !isReused(err) {
		t.Errorf("the second refresh token after its use: %v, want it spent", err)
	}

	// userinfo, called by the page with its access token.
	tab.ClickInPage("call-userinfo")
	tab.Until("userinfo's answer", `document.querySelector('[data-userinfo="sub"]')?.textContent === "`+sub+`"`)

	// Confirm with passkey: a fresh ceremony of the same user; auth_time moves.
	s.syncClock(2 * time.Second)
	tab.Click("confirm")
	tab.PasskeyUntilBack(s.site + "/")
	waitSignedIn(tab)
	tab.Until("the step-up's note", `!document.getElementById("step-up").hidden`)
	asked = s.rec.lastAuthorize(t)
	for param, want := range map[string]string{"acr_values": "phr", "max_age": "0", "prompt": "login", "login_hint": sub} {
		if got := asked.Get(param); got != want {
			t.Errorf("step-up's %s = %q, want %q", param, got, want)
		}
	}
	if got := claim(tab, "sub"); got != sub {
		t.Errorf("sub after the step-up = %q, want %q", got, sub)
	}
	if confirmedAt := authTime(t, tab); !confirmedAt.After(signedUpAt) {
		t.Errorf("auth_time %s after the step-up, %s before", confirmedAt, signedUpAt)
	}
	u4, _ := s.user(tab)
	if _, err := s.refreshToken(u3.RefreshToken); !isGone(err) {
		t.Errorf("the refresh token of the sign-in the step-up replaced: %v, want it revoked", err)
	}
	if _, err := s.refreshToken(u4.RefreshToken); err != nil {
		t.Errorf("the step-up's refresh token: %v", err)
	}

	// Sign out: tokens revoked, passbridge's session ended, the page signed out.
	if n := len(s.p.Sessions(s.app.ID, sub)); n == 0 {
		t.Fatal("passbridge has no session of the user before the sign-out")
	}
	tab.Click("sign-out")
	tab.Arrive(s.site + "/")
	tab.Until("the signed-out page", `!document.getElementById("signed-out-note").hidden && !document.getElementById("signed-out").hidden`)
	if n := len(s.p.Sessions(s.app.ID, sub)); n != 0 {
		t.Errorf("passbridge kept %d sessions of the user after the sign-out", n)
	}
	if _, err := s.refreshToken(u4.RefreshToken); !isGone(err) {
		t.Errorf("the refresh token after the sign-out: %v, want it revoked", err)
	}
	if got := s.userinfo(u4.AccessToken); got != 401 {
		t.Errorf("userinfo with the access token after the sign-out: %d, want 401", got)
	}
	if _, ok := s.user(tab); ok {
		t.Error("the tab still holds the user after the sign-out")
	}
	if got := tab.Eval(`location.href`); got != s.site+"/" {
		t.Errorf("after the sign-out the tab is at %s, want %s/ (state dropped from the address)", got, s.site)
	}
}
