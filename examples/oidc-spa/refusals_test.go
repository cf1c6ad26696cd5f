//go:build e2e

package oidcspa

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// TestBrowserCallbackRefusals sends the callback page answers that do not belong
// to the sign-in under way in the tab: a tampered state, none, an error
// with a forged description, and a replay of a real answer. Each is refused
// with one clear message, before any token request; the forged text is not
// shown; and the sign-in under way still completes afterwards.
func TestBrowserCallbackRefusals(t *testing.T) {
	s := startStack(t, stackOptions{})
	tab := newTab(t)

	tab.Navigate(s.site + "/")
	tab.Click("sign-up")
	tab.Arrive(s.p.Issuer + "/login")
	pending := s.rec.lastAuthorize(t)
	state := pending.Get("state")
	if state == "" {
		t.Fatal("the authorization request carries no state")
	}

	for _, c := range []struct {
		name  string
		query url.Values
	}{
		{"tampered state", url.Values{"code": {"c0de"}, "state": {state[:len(state)-1] + "x"}}},
		{"no state", url.Values{"code": {"c0de"}}},
		{"forged error", url.Values{"error": {"access_denied"}, "error_description": {"Call 0800 123 now"}, "state": {"forged"}}},
	} {
		tab.Navigate(s.site + "/callback.html?" + c.query.Encode())
		text := messageIs(tab, "state_mismatch")
		if !strings.Contains(text, "Nothing was signed in") {
			t.Errorf("%s: the page says %q", c.name, text)
		}
		if strings.Contains(text, "0800") {
			t.Errorf("%s: the page shows a description from an answer it refused: %q", c.name, text)
		}
		if got := tab.Eval(`location.search`); got != "" {
			t.Errorf("%s: the refused answer stays in the address bar: %q", c.name, got)
		}
		if tab.State(`document.getElementById("back").hidden ? "" : "yes"`) != "yes" {
			t.Errorf("%s: no way back to the app", c.name)
		}
	}
	if n := s.rec.tokenRequests(); n != 0 {
		t.Errorf("%d token requests for refused answers", n)
	}
	if _, ok := s.user(tab); ok {
		t.Fatal("a refused answer signed the tab in")
	}

	// The sign-in under way was left alone: passbridge's answer to it (its
	// state, its PKCE challenge) still signs in.
	tab.Navigate(s.p.Issuer + "/authorize?" + pending.Encode())
	tab.PasskeyUntilBack(s.site + "/")
	waitSignedIn(tab)
	sub := claim(tab, "sub")

	// The same answer again is refused without a token request, and the
	// sign-in stays.
	tokens := s.rec.tokenRequests()
	tab.Navigate(s.rec.lastCallback(t))
	messageIs(tab, "state_mismatch")
	if n := s.rec.tokenRequests(); n != tokens {
		t.Errorf("a replayed answer made %d token requests", n-tokens)
	}
	tab.Navigate(s.site + "/")
	waitSignedIn(tab)
	if got := claim(tab, "sub"); got != sub {
		t.Errorf("signed in as %q after the replay, want %q", got, sub)
	}
}

// TestBrowserCeremonyFailure fails the step-up's passkey ceremony on passbridge's
// page (the authenticator no longer holds the passkey): passbridge's page
// says what happened and what to do, and the app is still signed in as
// before.
func TestBrowserCeremonyFailure(t *testing.T) {
	s := startStack(t, stackOptions{})
	tab := newTab(t)
	sub := s.signUp(tab)
	before := authTime(t, tab)

	if _, err := chromedp.Call(tab.Ctx, webauthn.ClearCredentials,
		webauthn.ClearCredentialsParams{AuthenticatorID: tab.Browser.Authenticator}); err != nil {
		t.Fatal(err)
	}
	tokens := s.rec.tokenRequests()
	tab.Click("confirm")
	tab.Arrive(s.p.Issuer + "/login")
	tab.ClickInPage("passkey")
	tab.Until("passbridge's message", `document.querySelector("#message .message-title")?.textContent === "Sign-in cancelled, or no passkey found"`)
	if text := tab.Text("message"); !strings.Contains(text, "Try again") {
		t.Errorf("passbridge's page says %q", text)
	}
	if n := s.rec.tokenRequests(); n != tokens {
		t.Errorf("%d token requests after a failed ceremony", n-tokens)
	}

	tab.Navigate(s.site + "/")
	waitSignedIn(tab)
	if got := claim(tab, "sub"); got != sub {
		t.Errorf("signed in as %q after the failed step-up, want %q", got, sub)
	}
	if after := authTime(t, tab); !after.Equal(before) {
		t.Errorf("auth_time moved from %s to %s without a ceremony", before, after)
	}
}

// TestBrowserStepUpByAnotherUser confirms with another user's passkey, the
// login_hint having been removed from the step-up's request on its way
// through the browser: the app checks the ID token, not what it asked
// for, refuses the confirmation, and keeps the user's own sign-in.
func TestBrowserStepUpByAnotherUser(t *testing.T) {
	s := startStack(t, stackOptions{})
	tab := newTab(t)
	other := s.signUp(tab)
	tab.Click("sign-out")
	tab.Arrive(s.site + "/")
	tab.Until("the signed-out page", `!document.getElementById("signed-out").hidden`)
	sub := s.signUp(tab)
	if sub == other {
		t.Fatalf("both sign-ups made user %q", sub)
	}
	before := authTime(t, tab)
	signedIn, _ := s.user(tab)

	// The authenticator keeps only the other user's passkey.
	creds, err := chromedp.Call(tab.Ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: tab.Browser.Authenticator})
	if err != nil {
		t.Fatal(err)
	}
	handle := s.p.User(s.app.ID, sub).Handle
	for _, c := range creds.Credentials {
		if bytes.Equal(c.UserHandle, handle) {
			if _, err := chromedp.Call(tab.Ctx, webauthn.RemoveCredential, webauthn.RemoveCredentialParams{
				AuthenticatorID: tab.Browser.Authenticator, CredentialID: c.CredentialID}); err != nil {
				t.Fatal(err)
			}
		}
	}

	tab.Click("confirm")
	tab.Arrive(s.p.Issuer + "/login")
	asked := s.rec.lastAuthorize(t)
	if asked.Get("login_hint") != sub {
		t.Fatalf("the step-up's login_hint = %q, want %q", asked.Get("login_hint"), sub)
	}
	asked.Del("login_hint")
	s.syncClock(2 * time.Second)
	tab.Navigate(s.p.Issuer + "/authorize?" + asked.Encode())
	tab.PasskeyUntilBack(s.site + "/")
	if text := messageIs(tab, "step_up_refused"); !strings.Contains(text, "passbridge confirmed another account") {
		t.Errorf("the page says %q", text)
	}

	tab.Click("back")
	waitSignedIn(tab)
	if got := claim(tab, "sub"); got != sub {
		t.Errorf("signed in as %q after the refused step-up, want %q", got, sub)
	}
	if after := authTime(t, tab); !after.Equal(before) {
		t.Errorf("auth_time moved from %s to %s", before, after)
	}
	if u, _ := s.user(tab); u.RefreshToken != signedIn.RefreshToken {
		t.Error("the tab holds another refresh token than its own sign-in's")
	}
	if _, err := s.refreshToken(signedIn.RefreshToken); err != nil {
		t.Errorf("the user's own refresh token after the refused step-up: %v", err)
	}
}

// TestBrowserRevokedPasskey revokes the passkey the user signed in with, at
// passbridge: the access token is refused at userinfo, and the next renewal
// ends the sign-in in the app too, saying why.
func TestBrowserRevokedPasskey(t *testing.T) {
	s := startStack(t, stackOptions{})
	tab := newTab(t)
	sub := s.signUp(tab)

	devices := s.p.Devices(s.app.ID, sub)
	if len(devices) != 1 {
		t.Fatalf("the user has %d devices, want 1", len(devices))
	}
	if err := s.p.Store.DeleteDevice(t.Context(), s.app.ID, devices[0].ID); err != nil {
		t.Fatal(err)
	}

	tab.ClickInPage("call-userinfo")
	messageIs(tab, "token_refused")

	tab.ClickInPage("renew")
	if text := messageIs(tab, "sign_in_ended"); !strings.Contains(text, "passkey you signed in with was removed") {
		t.Errorf("the page says %q", text)
	}
	tab.Until("the signed-out page", `!document.getElementById("signed-out").hidden && document.getElementById("signed-in").hidden`)
	if _, ok := s.user(tab); ok {
		t.Error("the tab still holds the revoked sign-in")
	}
}

// TestBrowserProviderError: passbridge refuses a sign-up where its app allows
// none, and sends the error to the callback, which shows it with
// passbridge's description.
func TestBrowserProviderError(t *testing.T) {
	s := startStack(t, stackOptions{signupClosed: true})
	tab := newTab(t)

	tab.Navigate(s.site + "/")
	tab.Click("sign-up")
	tab.Arrive(s.site + "/callback.html")
	text := messageIs(tab, "access_denied")
	if !strings.Contains(text, "passbridge said: sign-up is not open for this app") {
		t.Errorf("the page says %q", text)
	}
	if n := s.rec.tokenRequests(); n != 0 {
		t.Errorf("%d token requests after an error", n)
	}
	tab.Click("back")
	tab.Arrive(s.site + "/")
	tab.Until("the signed-out page", `!document.getElementById("signed-out").hidden`)
}
