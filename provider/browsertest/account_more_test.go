//go:build e2e

package browsertest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/storage"
)

// TestBrowserAccountWithoutSignals runs the account page in a browser
// without the Signals API: signing in, renaming and removing work as
// before, and nothing fails.
func TestBrowserAccountWithoutSignals(t *testing.T) {
	b := Start(t)
	e := newOIDCEnv(t)
	tb := newTab(t, b.Ctx, b.Authenticator)
	sig := watchSignals(t, tb, true)
	problems := consoleProblems(b.Ctx, false)

	tb.register(t, e, "alice")
	if hasSignals(t, tb) {
		t.Fatal("the Signals API is still there")
	}
	_, ds := e.userDevices(t, "alice")
	id := ds[0].ID

	tb.openAccount(t, e.issuer+"/account?app_id="+e.app.ID)
	tb.do(t, "sign in", chromedp.Click(chromedp.ID("signin")))
	tb.waitAccount(t, "signed-in", 1)

	tb.do(t, "rename", chromedp.Click(chromedp.CSS(rowButton(id, "pk-rename-button"))))
	tb.waitFor(t, `document.activeElement?.classList.contains("pk-rename-input")`)
	eval[bool](t, tb, `(document.activeElement.value = "", true)`)
	tb.do(t, "type", chromedp.SendKeys(chromedp.CSS(`#passkeys .pk-rename-input`), "Home PC\r"))
	tb.waitFor(t, `document.querySelector("#passkeys .pk-name")?.textContent === "Home PC"`)

	tb.do(t, "remove", chromedp.Click(chromedp.CSS(rowButton(id, "pk-remove-button"))))
	tb.waitFor(t, `document.getElementById("confirm").open`)
	tb.do(t, "confirm", chromedp.Click(chromedp.ID("confirm-remove")))
	if v := tb.waitAccount(t, "signed-out", 0); v.Message != "Passkey removed. You are signed out" {
		t.Errorf("page shows %+v", v)
	}
	if _, ds := e.userDevices(t, "alice"); len(ds) != 0 {
		t.Errorf("devices stored %+v", ds)
	}
	sig.expect(t)
	if v := tb.violations(); len(v) > 0 {
		t.Errorf("CSP violations: %+v", v)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("console errors and warnings: %q", p)
	}
}

// TestBrowserLoginUnknownCredential signs in on the login page with a
// passkey the app's backend has revoked through the management API: the
// server refuses it, the page says so and what to do, and the SDK tells the
// passkey provider with signalUnknownCredential, which the browser then
// acts on. A browser without the API gets the same refusal, and nothing
// else happens.
func TestBrowserLoginUnknownCredential(t *testing.T) {
	b := Start(t)
	e := newOIDCEnv(t)
	for _, absent := range []bool{false, true} {
		name := "with the Signals API"
		if absent {
			name = "without the Signals API"
		}
		t.Run(name, func(t *testing.T) {
			tb := newBrowserTab(t, b.Ctx, true, true)
			sig := watchSignals(t, tb, absent)
			problems := consoleProblems(tb.ctx, false)
			user := "user-" + storage.NewID()
			tb.register(t, e, user)
			u, ds := e.userDevices(t, user)
			e.revokeDevice(t, u.ID, ds[0].ID)
			if _, left := e.userDevices(t, user); len(left) != 0 {
				t.Fatalf("the revoked passkey is still stored: %+v", left)
			}
			e.rec.take()

			// The autofill request answers with the revoked passkey at once,
			// as a user picking it from the suggestions.
			authorize, _ := e.authorizeURL(e.client, url.Values{"prompt": {"login"}})
			tb.openLogin(t, authorize)
			tb.waitFor(t, `document.querySelector("#message p")`)
			// What happened, and what to do.
			if m := tb.message(t); m.Title != "This passkey was removed from your account" || !strings.Contains(m.Text, "Use another passkey") {
				t.Errorf("message %+v, want that the passkey was removed and to use another one", m)
			}
			if visible := eval[bool](t, tb, `!document.getElementById("complete").hidden && !document.getElementById("passkey").disabled`); !visible {
				t.Error("the sign-in button is gone: the user cannot use another passkey")
			}
			var refused bool
			for _, r := range e.rec.take() {
				if r.Path == "authenticate/transactions/webauthn/finish" {
					refused = r.Status == http.StatusUnprocessableEntity && r.Code == "webauthn_verification_failed" &&
						r.Error == "passkey not recognised"
				}
			}
			if !refused {
				t.Error("the server did not refuse the finish as an unknown credential")
			}
			if absent {
				sig.expect(t)
			} else {
				want := signal("signalUnknownCredential", map[string]any{"rpId": "localhost", "credentialId": b64url(ds[0].CredentialID)})
				if calls := sig.wait(t); len(calls) != 1 || calls[0] != want {
					t.Errorf("Signals API calls %+v, want %+v", calls, want)
				}
				// Chromium's virtual authenticator acts on the signal: the
				// passkey is gone from it.
				deadline := time.Now().Add(5 * time.Second)
				for len(tb.credentials(t)) > 0 && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if n := len(tb.credentials(t)); n != 0 {
					t.Errorf("the authenticator still holds %d credentials", n)
				}
			}
			e.rp.none(t)
			if p := problems(); len(p) > 0 {
				t.Errorf("console errors and warnings: %q", p)
			}
		})
	}
}

// TestBrowserAccountPages opens the pages around the account page: the
// landing page, the choice of app, the signed-out account page; checks
// their policy and markup, that nothing violates the policy, and takes
// screenshots. It also reads /.well-known/passkey-endpoints from another
// origin, as a passkey manager's page could.
func TestBrowserAccountPages(t *testing.T) {
	b := Start(t)
	e := newOIDCEnv(t)
	tb := newTab(t, b.Ctx, b.Authenticator)
	problems := consoleProblems(b.Ctx, true)
	dir := screenshotDir(t)
	forum := e.createApp(t, "Forum", nil, e.issuer)
	tb.do(t, "viewport", chromedp.EmulateViewport(1280, 800))

	for _, tc := range []struct {
		name, path, heading string
		markup              bool // checkMarkup applies (no <template> of rows)
	}{
		{"landing", "/", "passbridge", true},
		{"choose an app", "/account", "Your passkeys", true},
		{"signed out", "/account?app_id=" + e.app.ID, "Your passkeys for Shop", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := fetchPage(t, e.issuer+tc.path)
			checkCSP(t, res.Header.Get("Content-Security-Policy"))
			if tc.markup {
				checkMarkup(t, body, e.issuer, "")
			}
			if status := tb.navigate(t, e.issuer+tc.path); status != http.StatusOK {
				t.Errorf("status %d", status)
			}
			if h := eval[string](t, tb, `document.querySelector("h1").textContent.trim()`); h != tc.heading {
				t.Errorf("heading %q, want %q", h, tc.heading)
			}
			for _, scheme := range []string{"light", "dark"} {
				setScheme(t, tb, scheme)
				for _, c := range contrasts(t, tb) {
					if c.Ratio < c.Min {
						t.Errorf("%s: %s %.2f:1, want at least %.1f:1", scheme, c.Pair, c.Ratio, c.Min)
					}
				}
				saveScreenshot(t, tb, dir, "account-page-"+strings.ReplaceAll(tc.name, " ", "-")+"-"+scheme)
			}
			setScheme(t, tb, "light")
		})
	}

	t.Run("the choice links to each app's page, by name", func(t *testing.T) {
		tb.navigate(t, e.issuer+"/account")
		links := eval[[]string](t, tb, `[...document.querySelectorAll("#apps a")].map((a) => a.textContent + " " + a.href)`)
		want := []string{"Forum " + e.issuer + "/account?app_id=" + forum.ID, "Shop " + e.issuer + "/account?app_id=" + e.app.ID}
		if strings.Join(links, "|") != strings.Join(want, "|") {
			t.Errorf("links %q, want %q", links, want)
		}
	})

	if v := tb.violations(); len(v) > 0 {
		t.Errorf("CSP violations: %+v", v)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("console errors and warnings: %q", p)
	}

	t.Run("passkey endpoints from another origin", func(t *testing.T) {
		tb.navigate(t, e.rp.origin+"/callback")
		doc := eval[map[string]string](t, tb, `fetch(`+jsString(e.issuer+"/.well-known/passkey-endpoints")+`).then((r) => r.json())`)
		if doc["enroll"] != e.issuer+"/account" || doc["manage"] != e.issuer+"/account" || len(doc) != 2 {
			t.Errorf("passkey endpoints %v", doc)
		}
	})
}
