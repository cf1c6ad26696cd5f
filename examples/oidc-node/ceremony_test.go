//go:build e2e

package oidcnode_test

import (
	"encoding/json"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// TestBrowserCeremonyFailures makes passbridge's passkey ceremony fail
// under the app's sign-in and step-up, as it fails for people: the user
// cancels (user verification fails), the device has no passkey, the
// passkey was revoked. Each time passbridge's login page says what
// happened and what to do, the app gains no session, and where a working
// passkey is at hand, a retry completes the sign-in the app started.
func TestBrowserCeremonyFailures(t *testing.T) {
	s := startStack(t, sqlstoretest.SQLite, nil)
	tab := exampletest.NewTab(t)
	pg := page{tab}
	tab.Navigate(s.site + "/")
	tab.Click("sign-up")
	tab.PasskeyUntilBack(s.site + "/")
	sub := pg.claim("sub")
	signedUpAt := pg.authTime()

	// The person cancels the confirmation (user verification fails), then
	// tries again.
	s.catchUp()
	tab.Click("confirm")
	onLoginPage(tab, s)
	setUserVerified(t, tab, false)
	tab.ClickInPage("passkey")
	if got := loginMessage(tab); got != "Sign-in cancelled, or no passkey found" {
		t.Errorf("cancelled confirmation: passbridge's login page says %q", got)
	}
	setUserVerified(t, tab, true)
	tab.PasskeyUntilBack(s.site + "/")
	if !pg.has("step-up") || !pg.authTime().After(signedUpAt) || pg.claim("sub") != sub {
		t.Fatalf("the confirmation's retry did not confirm (at %s, error %q)", tab.Href(), pg.errorCode())
	}
	tab.Click("sign-out")
	tab.Arrive(s.site + "/?state=")

	// This device has no passkey, then has it back (as when the person
	// picks the device that holds it).
	creds := credentials(t, tab)
	if len(creds) != 1 {
		t.Fatalf("the authenticator holds %d credentials, want 1", len(creds))
	}
	clearCredentials(t, tab)
	tab.Click("sign-in")
	onLoginPage(tab, s)
	tab.ClickInPage("passkey")
	if got := loginMessage(tab); got != "Sign-in cancelled, or no passkey found" {
		t.Errorf("no passkey: passbridge's login page says %q", got)
	}
	putCredential(t, tab, creds[0])
	tab.PasskeyUntilBack(s.site + "/")
	if got := pg.claim("sub"); got != sub {
		t.Fatalf("signed in as %q after the retry, want %q (at %s, error %q)", got, sub, tab.Href(), pg.errorCode())
	}
	tab.Click("sign-out")
	tab.Arrive(s.site + "/?state=")

	// The passkey was revoked at passbridge.
	for _, d := range s.pb.Devices(s.app.ID, sub) {
		if err := s.pb.Store.DeleteDevice(t.Context(), s.app.ID, d.ID); err != nil {
			t.Fatal(err)
		}
	}
	tab.Click("sign-in")
	onLoginPage(tab, s)
	// Where the browser offers passkey autofill, the login page's autofill
	// request answers at once: the virtual authenticator picks the passkey.
	// Elsewhere the button runs the ceremony.
	if tab.Eval(`PublicKeyCredential.isConditionalMediationAvailable?.().then(String) ?? "false"`) != "true" {
		tab.ClickInPage("passkey")
	}
	if got := loginMessage(tab); got != "This passkey was removed from your account" {
		t.Errorf("revoked passkey: passbridge's login page says %q", got)
	}
	pg.signedOut(s)
}

// setUserVerified makes the virtual authenticator's user verification
// succeed or fail; failing, the browser answers NotAllowedError, as when
// the person cancels the prompt.
func setUserVerified(t *testing.T, tab *exampletest.Tab, ok bool) {
	t.Helper()
	if _, err := chromedp.Call(tab.Ctx, webauthn.SetUserVerified,
		webauthn.SetUserVerifiedParams{AuthenticatorID: tab.Browser.Authenticator, IsUserVerified: ok}); err != nil {
		t.Fatalf("set user verified: %v", err)
	}
}

// credentials are those the virtual authenticator holds, private keys
// included.
func credentials(t *testing.T, tab *exampletest.Tab) []*webauthn.Credential {
	t.Helper()
	res, err := chromedp.Call(tab.Ctx, webauthn.GetCredentials,
		webauthn.GetCredentialsParams{AuthenticatorID: tab.Browser.Authenticator})
	if err != nil {
		t.Fatal(err)
	}
	return res.Credentials
}

// putCredential gives the virtual authenticator c back. It goes as the
// authenticator reported it, less the fields of key kinds the virtual
// authenticator refuses to be given (cdproto always sends them).
func putCredential(t *testing.T, tab *exampletest.Tab, c *webauthn.Credential) {
	t.Helper()
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"cmtgKeys", "activeCmtgKeyIndex", "generateCmtgKeyOnNextOperation"} {
		delete(fields, k)
	}
	type params struct {
		AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
		Credential      map[string]any           `json:"credential"`
	}
	add := cdp.Command[params, cdp.Empty]{Method: webauthn.CommandAddCredential}
	if _, err := chromedp.Call(tab.Ctx, add, params{AuthenticatorID: tab.Browser.Authenticator, Credential: fields}); err != nil {
		t.Fatalf("add credential: %v", err)
	}
}
