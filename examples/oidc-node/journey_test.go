//go:build e2e

package oidcnode_test

import (
	"strings"
	"testing"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
)

// TestBrowserJourney clicks through the app as a new user does, on each
// store: sign up (a passkey for a new user), confirm with the passkey
// (step-up), sign out (of the app and of passbridge), sign in again. It
// checks what the app asked passbridge for at each step, and what the
// signed-in page shows of the ID token openid-client validated.
func TestBrowserJourney(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			s := startStack(t, engine, nil)
			tab := exampletest.NewTab(t)
			pg := page{tab}

			// Sign up: prompt=create, a new user pb_… with one passkey.
			tab.Navigate(s.site + "/")
			tab.Click("sign-up")
			tab.PasskeyUntilBack(s.site + "/")
			sub := pg.claim("sub")
			if !strings.HasPrefix(sub, "pb_") {
				t.Fatalf("signed up as %q (at %s, error %q)", sub, tab.Href(), pg.errorCode())
			}
			want(t, "sign-up request", s.rec.last(t, "/authorize"), map[string]string{
				"response_type": "code", "scope": "openid profile", "redirect_uri": s.site + "/callback",
				"prompt": "create", "code_challenge_method": "S256", "code_challenge": "*", "state": "*", "nonce": "*",
			}, "acr_values", "max_age", "login_hint")
			if n := len(s.pb.Devices(s.app.ID, sub)); n != 1 {
				t.Errorf("passbridge holds %d passkeys of the new user, want 1", n)
			}
			// Chromium's virtual authenticator keeps its passkeys on the
			// device (not backup-eligible) and verifies the user.
			if acr := pg.claim("acr"); acr != "phrh" {
				t.Errorf("acr %q, want phrh", acr)
			}
			if got := strings.Join(amr(pg.claim("amr")), " "); got != "hwk mfa user" {
				t.Errorf("amr %q, want hwk mfa user", got)
			}
			if pg.claim("sid") == "" {
				t.Error("no sid on the page")
			}
			signedUpAt := pg.authTime()

			// Confirm with passkey: a fresh ceremony of the same user, now.
			s.catchUp()
			tab.Click("confirm")
			tab.PasskeyUntilBack(s.site + "/")
			if !pg.has("step-up") {
				t.Fatalf("the page does not show the step-up (at %s, error %q)", tab.Href(), pg.errorCode())
			}
			want(t, "step-up request", s.rec.last(t, "/authorize"), map[string]string{
				"acr_values": "phr", "max_age": "0", "login_hint": sub,
				"code_challenge_method": "S256", "code_challenge": "*", "state": "*", "nonce": "*",
			}, "prompt")
			if got := pg.claim("sub"); got != sub {
				t.Errorf("confirmed as %q, want %q", got, sub)
			}
			// Asked for phr; the device-bound passkey gives more.
			if acr := pg.claim("acr"); acr != "phrh" {
				t.Errorf("acr %q after the step-up, want phrh (at least phr)", acr)
			}
			confirmedAt := pg.authTime()
			if !confirmedAt.After(signedUpAt) {
				t.Errorf("auth_time %s after the step-up, %s before", confirmedAt, signedUpAt)
			}
			notice := tab.Text("step-up")
			for _, at := range []string{signedUpAt.Format("15:04:05"), confirmedAt.Format("15:04:05")} {
				if !strings.Contains(notice, at) {
					t.Errorf("the step-up notice %q does not say %s", notice, at)
				}
			}

			// Sign out: the app's session, then passbridge's.
			tab.Click("sign-out")
			tab.Arrive(s.site + "/?state=")
			if !pg.has("signed-out") || !pg.has("sign-in") {
				t.Fatalf("not signed out at %s", tab.Href())
			}
			want(t, "end-session request", s.rec.last(t, "/end_session"), map[string]string{
				"id_token_hint": "*", "post_logout_redirect_uri": s.site + "/", "state": "*", "client_id": "*",
			})
			if n := len(s.sessions(sub)); n != 0 {
				t.Errorf("passbridge kept %d sessions of the user's", n)
			}

			// Sign in again: passbridge's session is gone, so a ceremony runs,
			// and the passkey is the same user's.
			tab.Click("sign-in")
			tab.PasskeyUntilBack(s.site + "/")
			if got := pg.claim("sub"); got != sub {
				t.Fatalf("signed in again as %q, want %q (error %q)", got, sub, pg.errorCode())
			}
			want(t, "sign-in request", s.rec.last(t, "/authorize"), map[string]string{
				"code_challenge_method": "S256", "state": "*", "nonce": "*",
			}, "prompt", "acr_values", "max_age", "login_hint")
			if n := len(s.sessions(sub)); n != 1 {
				t.Errorf("passbridge has %d sessions of the user's after signing in again, want a new one", n)
			}
			// Nor codes, states or tokens: an ID token is a JWT, "eyJ…".
			for what, v := range map[string]string{"the client secret": s.secret, "a JWT": "eyJ"} {
				if strings.Contains(s.log.String(), v) {
					t.Errorf("the app's log holds %s", what)
				}
			}
		})
	}
}
