//go:build e2e

package byonode

import (
	"bytes"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// TestBrowserBYONode drives the example's page in Chromium as a person
// does, on each store engine: sign up, sign out, sign in (the button, the
// autofill, with a username), add a passkey on a second authenticator,
// remove it, and find that the removed passkey no longer signs in. Along the
// way it checks that every ceremony ran through @simplewebauthn/browser,
// served from node_modules, and that only the site's backend talked to
// passbridge.
func TestBrowserBYONode(t *testing.T) {
	for _, engine := range []string{sqlstoretest.SQLite, sqlstoretest.Postgres} {
		t.Run(engine, func(t *testing.T) {
			e := start(t, engine)
			p := openPage(t, e.site)
			p.waitSignedOut()

			// Sign up: the platform authenticator makes alice's passkey.
			p.typeUsername("alice")
			p.ClickInPage("sign-up")
			p.waitSignedIn("alice")
			rows := p.waitRows(1)
			aliceID := e.userID(t, "alice")
			first := p.credentials(p.platform)
			if len(first) != 1 || !slices.Equal(rows, first) || !slices.Equal(e.credentialIDs(t, aliceID), first) {
				t.Fatalf("after sign-up: page %v, authenticator %v, passbridge %v", rows, first, e.credentialIDs(t, aliceID))
			}
			if acc := e.accountsFile(t)["alice"]; !acc.Active || !slices.Equal(acc.Credentials, first) {
				t.Fatalf("alice's account %+v, want active with %v", acc, first)
			}
			checkCookies(t, p)
			wantCalls(t, e.rec.take(), "passkeys/authenticate/start", // the autofill
				"passkeys/register/start", "passkeys/register/finish", "FetchAllPasskeysForUser", // sign-up
				"FetchAllPasskeysForUser") // the passkey table

			// Sign out, then in with the button (no username: any passkey).
			p.signOut()
			p.ClickInPage("sign-in")
			p.waitSignedIn("alice")
			p.signOut()

			// The autofill: the person picks the passkey from the username
			// field's suggestions.
			p.pickFromAutofill()
			p.waitSignedIn("alice")
			p.signOut()

			// With a username: the options name alice's passkeys only.
			p.typeUsername("alice")
			p.ClickInPage("sign-in")
			p.waitSignedIn("alice")
			p.noMessage()
			e.rec.take()

			// A second passkey, on a security key; the platform authenticator
			// is not used (it would refuse anyway: it holds alice's passkey).
			key := p.addSecurityKey()
			p.use(key, p.platform)
			p.ClickInPage("add-passkey")
			rows = p.waitRows(2)
			second := p.credentials(key)
			// Both were made at the same instant of passbridge's test clock,
			// so their order is not given.
			slices.Sort(rows)
			if len(second) != 1 || !slices.Equal(rows, sorted(first[0], second[0])) {
				t.Fatalf("after adding: page %v, platform %v, security key %v", rows, first, second)
			}
			if got := e.credentialIDs(t, aliceID); !slices.Equal(sorted(got...), rows) {
				t.Fatalf("passbridge holds %v, want %v", got, rows)
			}
			if got := p.Text("status"); got != "Passkey added." {
				t.Errorf("status %q", got)
			}
			wantCalls(t, e.rec.take(), "passkeys/register/start", "passkeys/register/finish", "FetchAllPasskeysForUser")

			// Remove it, after the dialog.
			p.clickRemove(second[0])
			p.ClickInPage("remove-confirm")
			if rows = p.waitRows(1); !slices.Equal(rows, first) {
				t.Fatalf("after removing: page %v, want %v", rows, first)
			}
			if got := e.credentialIDs(t, aliceID); !slices.Equal(got, first) {
				t.Fatalf("passbridge holds %v after the removal, want %v", got, first)
			}
			wantCalls(t, e.rec.take(), "FetchAllPasskeysForUser", "DeregisterPasskey", "FetchAllPasskeysForUser")
			// The last passkey stays: its button is disabled, and the backend
			// refuses it too.
			if p.Eval(`String(document.querySelector("#passkey-rows button.remove").disabled)`) != "true" {
				t.Error("the last passkey's Remove button is enabled")
			}
			if status, code := p.fetch("DELETE", "/api/passkeys/"+first[0]); status != http.StatusConflict || code != "last_passkey" {
				t.Errorf("removing the last passkey: %d %s, want 409 last_passkey", status, code)
			}
			if got := e.credentialIDs(t, aliceID); !slices.Equal(got, first) {
				t.Fatalf("passbridge holds %v, want %v", got, first)
			}

			// The removed passkey, still on the security key, no longer signs
			// in: passbridge does not know it, the page says so, and tells the
			// browser, which deletes it from the key (WebAuthn signals).
			p.signOut()
			e.rec.take()
			p.ClickInPage("sign-in")
			msg := p.waitMessage("passkey_not_recognised")
			if !strings.Contains(msg, "removed") || !strings.Contains(msg, "another of your passkeys") {
				t.Errorf("message %q does not say what happened and what to do", msg)
			}
			waitGone(t, p, key)
			var refused bool
			for _, c := range e.rec.take() {
				if c.Path == "passkeys/authenticate/finish" {
					refused = c.Status == http.StatusUnprocessableEntity && c.Code == "webauthn_verification_failed" &&
						c.Error == "passkey not recognised"
				}
			}
			if !refused {
				t.Error("passbridge did not refuse the removed passkey")
			}
			p.waitSignedOut()

			// The page still works: the platform passkey signs in.
			p.use(p.platform, key)
			p.ClickInPage("sign-in")
			p.waitSignedIn("alice")
			p.noMessage()

			checkSimpleWebAuthn(t, e, p)
			if v := p.cspViolations(); len(v) > 0 {
				t.Errorf("Content-Security-Policy violations: %q", v)
			}
		})
	}
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// waitGone waits until auth holds no credential: the browser acts on the
// page's signal after the page has moved on.
func waitGone(t *testing.T, p *page, auth webauthn.AuthenticatorID) {
	t.Helper()
	deadline := time.Now().Add(exampletest.WaitLimit)
	for len(p.credentials(auth)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the authenticator still holds %v", p.credentials(auth))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkCookies checks the session cookie's flags, and that the sign-up's
// reservation cookie is gone once the account exists.
func checkCookies(t *testing.T, p *page) {
	t.Helper()
	cookies := p.cookies()
	s := cookies["byo_session"]
	if s == nil || !s.HTTPOnly || s.SameSite != network.CookieSameSiteLax || s.Path != "/" {
		t.Errorf("session cookie %+v, want HttpOnly, SameSite=Lax, Path=/", s)
	}
	if c := cookies["byo_signup"]; c != nil {
		t.Errorf("the sign-up cookie outlived the sign-up: %+v", c)
	}
}

// wantCalls checks that passbridge saw exactly the calls want (paths, or
// run-command's commands), in order, all answered 200 and all made by the
// site's backend: no Origin header, as a browser's call would carry.
func wantCalls(t *testing.T, calls []recorded, want ...string) {
	t.Helper()
	if got := names(calls); !slices.Equal(got, want) {
		t.Errorf("passbridge saw %q, want %q", got, want)
	}
	for _, c := range calls {
		if c.Status != http.StatusOK || c.Origin != "" {
			t.Errorf("%s: status %d (%s %s), Origin %q", c.name(), c.Status, c.Code, c.Error, c.Origin)
		}
	}
}

// checkSimpleWebAuthn checks that the page's ceremonies ran through
// @simplewebauthn/browser as the site serves it: every WebAuthn call came
// from the library's startRegistration or startAuthentication module,
// loaded from /static/simplewebauthn/, whose bytes are the installed
// package's.
func checkSimpleWebAuthn(t *testing.T, e *env, p *page) {
	t.Helper()
	calls := p.webauthnCalls()
	if len(calls) == 0 {
		t.Fatal("the page made no WebAuthn call")
	}
	for _, c := range calls {
		module := map[string]string{"create": "startRegistration.js", "get": "startAuthentication.js"}[c.Kind]
		if !strings.Contains(c.Stack, e.site+"/static/simplewebauthn/methods/"+module) {
			t.Errorf("navigator.credentials.%s (mediation %q) was not called by @simplewebauthn/browser's %s:\n%s",
				c.Kind, c.Mediation, module, c.Stack)
		}
	}
	loaded := p.Eval(`performance.getEntriesByType("resource").map((r) => r.name).join(" ")`)
	for _, path := range []string{"/static/app.js", "/static/simplewebauthn/index.js", "/static/simplewebauthn/methods/startRegistration.js"} {
		if !strings.Contains(" "+loaded+" ", " "+e.site+path+" ") {
			t.Errorf("the page did not load %s (loaded: %s)", path, loaded)
		}
	}
	for _, f := range []string{"index.js", "methods/startAuthentication.js"} {
		res, err := http.Get(e.site + "/static/simplewebauthn/" + f)
		if err != nil {
			t.Fatal(err)
		}
		var served bytes.Buffer
		_, _ = served.ReadFrom(res.Body)
		res.Body.Close()
		disk, err := os.ReadFile("node_modules/@simplewebauthn/browser/esm/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK || !bytes.Equal(served.Bytes(), disk) ||
			!strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
			t.Errorf("/static/simplewebauthn/%s: %d %s, not the installed package's file", f, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}
