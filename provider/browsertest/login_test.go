//go:build e2e

package browsertest

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// TestBrowserLoginPage signs in through the OpenID Connect provider's login
// page in Chromium, as a user of a relying party does: a passkey registered
// through the Flex API, then the button, the autofill, a request that names
// the user, and every way the page can fail short of the app; on each store
// engine (PostgreSQL skips unless configured). The steps share one browser
// and one authenticator, so they run in order and stop at the first
// failure.
func TestBrowserLoginPage(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		testLoginPage(t, open(t))
	})
}

// testLoginPage is TestBrowserLoginPage on store, a fresh store.
func testLoginPage(t *testing.T, store storage.Store) {
	b := Start(t)
	e := newOIDCEnvOn(t, store)
	tb := newTab(t, b.Ctx, b.Authenticator)
	problems := consoleProblems(b.Ctx, false)

	step(t, "register a passkey through the Flex API", func(t *testing.T) {
		tb.register(t, e, "alice")
	})

	step(t, "the button is disabled while its ceremony runs", func(t *testing.T) {
		// Nothing answers: the user has not touched the authenticator yet.
		tb.setPresence(t, false)
		u, _ := e.authorizeURL(e.client, nil)
		tb.openLogin(t, u)
		tb.waitFor(t, "window.pbConditionalPending === 1")
		tb.do(t, "click", chromedp.Click(chromedp.ID("passkey")))
		tb.waitFor(t, `document.getElementById("passkey").disabled`)
		busy := eval[string](t, tb, `document.getElementById("passkey").getAttribute("aria-busy")`)
		status := eval[string](t, tb, `document.getElementById("status").textContent`)
		if busy != "true" || status != "Waiting for your passkey…" {
			t.Errorf("while waiting: aria-busy %q, status %q", busy, status)
		}
		// The button's ceremony aborted the pending autofill request (the
		// browser runs one WebAuthn request at a time).
		tb.expectGets(t, "conditional:AbortError")
		e.rp.none(t)
	})

	step(t, "sign in with the button", func(t *testing.T) {
		tb.setPresence(t, false)
		u, s := e.authorizeURL(e.client, nil)
		tb.openLogin(t, u)
		tb.waitFor(t, "window.pbConditionalPending === 1")
		checkLoginPage(t, tb, "")
		tb.takeReports()
		e.rec.take()

		tb.setPresence(t, true)
		tb.do(t, "click", chromedp.Click(chromedp.ID("passkey")))
		cb := e.rp.callback(t)
		tb.arrive(t, e.rp.origin)
		if cb.Get("state") != s.state || cb.Get("code") == "" || cb.Get("error") != "" {
			t.Fatalf("callback %v, want a code and state %q", cb, s.state)
		}
		tb.expectGets(t, "conditional:AbortError", "optional:resolved")
		checkDiscoverable(t, e.rec.take())
		e.checkIDToken(t, s, e.exchange(t, s, cb.Get("code")), "alice")
	})

	step(t, "sign in from the autofill", func(t *testing.T) {
		// With presence simulated, the virtual authenticator answers the
		// autofill request with its one passkey at once, as a user picking
		// it from the username field's suggestions does. prompt=login asks
		// for a ceremony despite the session of the sign-in before.
		tb.setPresence(t, true)
		u, s := e.authorizeURL(e.client, url.Values{"prompt": {"login"}})
		e.rec.take()
		tb.navigate(t, u)
		cb := e.rp.callback(t)
		tb.arrive(t, e.rp.origin)
		if cb.Get("state") != s.state || cb.Get("code") == "" {
			t.Fatalf("callback %v, want a code and state %q", cb, s.state)
		}
		tb.expectGets(t, "conditional:resolved")
		checkDiscoverable(t, e.rec.take())
		e.checkIDToken(t, s, e.exchange(t, s, cb.Get("code")), "alice")
	})

	step(t, "a request that names the user", func(t *testing.T) {
		tb.setPresence(t, false)
		u, s := e.authorizeURL(e.client, url.Values{"login_hint": {"alice"}, "prompt": {"login"}})
		tb.openLogin(t, u)
		checkLoginPage(t, tb, "alice")
		// No autofill: the request already says who signs in.
		time.Sleep(200 * time.Millisecond)
		if got := gets(tb.takeReports()); len(got) != 0 {
			t.Errorf("WebAuthn requests before the click: %v", got)
		}
		e.rec.take()
		tb.setPresence(t, true)
		tb.do(t, "click", chromedp.Click(chromedp.ID("passkey")))
		cb := e.rp.callback(t)
		tb.arrive(t, e.rp.origin)
		if cb.Get("state") != s.state || cb.Get("code") == "" {
			t.Fatalf("callback %v, want a code and state %q", cb, s.state)
		}
		tb.expectGets(t, "optional:resolved")
		// The ceremony was bound to alice's transaction.
		reqs := e.rec.take()
		if len(reqs) != 2 || len(reqs[0].Body["transaction_id"]) == 0 || len(reqs[1].Body["transaction_id"]) == 0 {
			t.Errorf("client API calls %+v, want a start and finish bound to a transaction", reqs)
		}
		e.checkIDToken(t, s, e.exchange(t, s, cb.Get("code")), "alice")
	})

	step(t, "the passkey of another account", func(t *testing.T) {
		// bob has no passkey, so the ceremony is discoverable (the page must
		// not tell who exists) and the authenticator answers with alice's.
		tb.setPresence(t, true)
		u, _ := e.authorizeURL(e.client, url.Values{"login_hint": {"bob"}, "prompt": {"login"}})
		tb.openLogin(t, u)
		tb.do(t, "click", chromedp.Click(chromedp.ID("passkey")))
		tb.arrive(t, e.issuer+"/login/complete")
		tb.waitFor(t, `document.getElementById("error")`)
		p := tb.errorPage(t)
		if p.Code != "wrong_user" || p.Heading != "That passkey is for another account" {
			t.Errorf("error page %+v, want wrong_user", p)
		}
		retry, err := url.Parse(p.Retry)
		if err != nil || retry.Path != "/login" || retry.Query().Get("auth_request_id") == "" {
			t.Fatalf("retry link %q, want the sign-in page of the request", p.Retry)
		}
		e.rp.none(t)
		// The link leads back to the same sign-in, still open.
		tb.setPresence(t, false)
		tb.openLogin(t, p.Retry)
		if who := eval[string](t, tb, `document.getElementById("who")?.textContent ?? ""`); who != "Signing in as bob" {
			t.Errorf("retry page shows %q", who)
		}
	})

	step(t, "a cancelled ceremony, then a retry", func(t *testing.T) {
		// User verification fails: the browser answers NotAllowedError, as
		// when the user cancels the prompt.
		tb.setPresence(t, true)
		tb.setUserVerified(t, false)
		u, s := e.authorizeURL(e.client, url.Values{"prompt": {"login"}})
		tb.openLogin(t, u)
		at := tb.location(t)
		// The autofill request fails the same way at load, quietly.
		tb.expectGets(t, "conditional:NotAllowedError")
		if m := tb.message(t); m.Title != "" {
			t.Errorf("the autofill request's failure shows %+v", m)
		}
		tb.do(t, "click", chromedp.Click(chromedp.ID("passkey")))
		checkCancelled(t, tb, at)
		// It starts again once the button's has failed.
		tb.expectGets(t, "optional:NotAllowedError", "conditional:NotAllowedError")
		e.rp.none(t)

		// The page still works: the user tries again, and this time the
		// authenticator verifies them.
		tb.setUserVerified(t, true)
		e.rec.take()
		tb.do(t, "click again", chromedp.Click(chromedp.ID("passkey")))
		cb := e.rp.callback(t)
		tb.arrive(t, e.rp.origin)
		if cb.Get("state") != s.state || cb.Get("code") == "" || cb.Get("error") != "" {
			t.Fatalf("callback %v after the retry, want a code and state %q", cb, s.state)
		}
		tb.expectGets(t, "optional:resolved")
		checkDiscoverable(t, e.rec.take())
		e.checkIDToken(t, s, e.exchange(t, s, cb.Get("code")), "alice")
	})

	step(t, "no passkey on this device", func(t *testing.T) {
		// Another tab of the same browser, with an authenticator that holds
		// nothing.
		other := newBrowserTab(t, b.Ctx, false, true)
		u, _ := e.authorizeURL(e.client, url.Values{"prompt": {"login"}})
		other.openLogin(t, u)
		at := other.location(t)
		other.expectGets(t, "conditional:NotAllowedError")
		other.do(t, "click", chromedp.Click(chromedp.ID("passkey")))
		checkCancelled(t, other, at)
		other.expectGets(t, "optional:NotAllowedError", "conditional:NotAllowedError")
		e.rp.none(t)
	})

	step(t, "refusals of the Flex API", func(t *testing.T) {
		tb.setPresence(t, false)
		u, _ := e.authorizeURL(e.client, url.Values{"prompt": {"login"}})
		tb.openLogin(t, u)
		for _, tc := range []struct {
			name, code string
			status     int
			title      string
		}{
			{"rate limited", "rate_limited", http.StatusTooManyRequests, "Too many attempts"},
			{"transaction expired", "transaction_expired", http.StatusGone, "That took too long"},
			{"verification refused", "webauthn_verification_failed", http.StatusUnprocessableEntity, "That passkey could not be verified"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				// The autofill request (started again after each failure)
				// has made its start call: the fault is the button's.
				tb.waitFor(t, "window.pbConditionalPending === 1")
				tb.inject("/authenticate/transactions/webauthn/start", tc.status,
					`{"code":"`+tc.code+`","error":"refused by the test"}`)
				tb.do(t, "click", chromedp.Click(chromedp.ID("passkey")))
				tb.waitFor(t, `document.querySelector("#message p") && !document.getElementById("passkey").disabled`)
				if m := tb.message(t); m.Title != tc.title {
					t.Errorf("message %+v, want %q", m, tc.title)
				}
				if visible := eval[bool](t, tb, `!document.getElementById("complete").hidden`); !visible {
					t.Error("the form is gone: the user cannot try again")
				}
			})
		}
		e.rp.none(t)
	})

	step(t, "a nonce the server refuses", func(t *testing.T) {
		tb.setPresence(t, false)
		u, _ := e.authorizeURL(e.client, url.Values{"prompt": {"login"}})
		tb.openLogin(t, u)
		tb.waitFor(t, "window.pbConditionalPending === 1")
		tb.inject("/authenticate/transactions/webauthn/finish", http.StatusOK, `{"nonce":"not-a-nonce-of-this-server"}`)
		tb.setPresence(t, true)
		// With presence on, Chromium may answer the pending autofill
		// request before the button is pressed; either ceremony meets the
		// same refused nonce, so the press is not waited on.
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		_, _ = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("passkey")?.click(), true`))
		cancel()
		tb.arrive(t, e.issuer+"/login/complete")
		tb.waitFor(t, `document.getElementById("error")`)
		if p := tb.errorPage(t); p.Code != "invalid_nonce" || p.Heading != "Sign-in not confirmed" || p.Retry == "" {
			t.Errorf("error page %+v, want invalid_nonce with a retry link", p)
		}
		e.rp.none(t)
	})

	step(t, "a sign-in that expires during its ceremony", func(t *testing.T) {
		tb.setPresence(t, false)
		u, _ := e.authorizeURL(e.client, url.Values{"prompt": {"login"}})
		tb.openLogin(t, u)
		tb.waitFor(t, "window.pbConditionalPending === 1")
		// The page asks the server nothing before a discoverable ceremony:
		// past the auth request's 30 minutes, the ceremony runs and the
		// completion is refused.
		e.clock.Advance(31 * time.Minute)
		tb.setPresence(t, true)
		tb.do(t, "click", chromedp.Click(chromedp.ID("passkey")))
		tb.arrive(t, e.issuer+"/login/complete")
		tb.waitFor(t, `document.getElementById("error")`)
		if p := tb.errorPage(t); p.Code != "auth_request_not_found" || p.Retry != "" {
			t.Errorf("error page %+v, want auth_request_not_found without a retry link", p)
		}
		e.rp.none(t)
	})

	step(t, "an expired sign-in", func(t *testing.T) {
		tb.setPresence(t, false)
		u, _ := e.authorizeURL(e.client, url.Values{"prompt": {"login"}})
		tb.openLogin(t, u)
		tb.waitFor(t, "window.pbConditionalPending === 1")
		// Served again 2 s before the auth request's 30 minutes are up:
		// the page's own clock runs out, and the button starts no
		// ceremony.
		e.clock.Advance(30*time.Minute - 2*time.Second)
		tb.do(t, "reload", chromedp.Reload())
		tb.waitFor(t, "window.pbConditionalPending === 1")
		time.Sleep(2500 * time.Millisecond)
		tb.do(t, "click", chromedp.Click(chromedp.ID("passkey")))
		tb.waitFor(t, `document.querySelector("#message p")`)
		if m := tb.message(t); m.Title != "This sign-in has expired" || !strings.Contains(m.Text, "Go back to Shop") {
			t.Errorf("message %+v, want the expired sign-in", m)
		}
		if hidden := eval[bool](t, tb, `document.getElementById("complete").hidden`); !hidden {
			t.Error("the sign-in button is still offered for a sign-in that cannot complete")
		}
		if focused := eval[string](t, tb, `document.activeElement?.id ?? ""`); focused != "message" {
			t.Errorf("focus on %q, want the message", focused)
		}
	})

	if p := problems(); len(p) > 0 {
		t.Errorf("console errors and warnings: %q", p)
	}
}

// register gives the tab's authenticator a passkey of externalID: the
// app's backend creates a register transaction through the management API,
// and the SDK registers in a page of the app's origin (the issuer's).
func (tb *tab) register(t *testing.T, e *oidcEnv, externalID string) {
	t.Helper()
	tb.navigate(t, e.issuer+"/logged-out")
	tx := e.registerTransaction(t, externalID)
	out := eval[outcome](t, tb, `import("/sdk/flex.js").then(
  (m) => new m.PassageFlex(`+jsString(e.app.ID)+`).passkey.register(`+jsString(tx)+`),
).then((nonce) => ({nonce}), (e) => ({name: e.name, code: e.code ?? "", message: e.message}))`)
	mustNonce(t, out)
}

// openLogin starts a sign-in at an authorize URL (or opens a login page)
// and waits until the page's script has set the page up.
func (tb *tab) openLogin(t *testing.T, u string) {
	t.Helper()
	tb.takeReports() // of the pages before
	// The status is 0 when Chromium reports no response for the navigation
	// (it does so after a cross-origin page); the path below still tells.
	if status := tb.navigate(t, u); status != http.StatusOK && status != 0 {
		t.Fatalf("login page: status %d at %s", status, tb.location(t))
	}
	if loc, _ := url.Parse(tb.location(t)); loc == nil || loc.Path != "/login" {
		t.Fatalf("not on the login page: %s", tb.location(t))
	}
	tb.waitFor(t, `!document.getElementById("complete").hidden || document.querySelector("#message p")`)
}

// checkLoginPage checks what the sign-in page shows before a ceremony: the
// app's name, logo and accent colour, and either the autofill's username
// field or, for a request that names the user, who signs in.
func checkLoginPage(t *testing.T, tb *tab, hint string) {
	t.Helper()
	type view struct {
		Title, Heading, Who, Autocomplete, Label, Button, Accent, OnAccent string
		LogoLoaded, FieldVisible, ButtonEnabled                            bool
	}
	tb.waitFor(t, `document.querySelector("img.logo")?.complete`)
	v := eval[view](t, tb, `(() => {
  const field = document.getElementById("username");
  const logo = document.querySelector("img.logo");
  const style = getComputedStyle(document.documentElement);
  return {
    Title: document.title,
    Heading: document.querySelector("h1").textContent.trim(),
    Who: document.getElementById("who")?.textContent ?? "",
    Autocomplete: field?.getAttribute("autocomplete") ?? "",
    Label: field?.labels?.[0]?.textContent ?? "",
    FieldVisible: !!field && field.offsetParent !== null,
    Button: document.getElementById("passkey").textContent.trim(),
    ButtonEnabled: !document.getElementById("passkey").disabled,
    LogoLoaded: !!logo && logo.complete && logo.naturalWidth > 0,
    Accent: style.getPropertyValue("--accent").trim(),
    OnAccent: style.getPropertyValue("--on-accent").trim(),
  };
})()`)
	if v.Title != "Sign in to Shop" || v.Heading != "Sign in to Shop" {
		t.Errorf("title %q, heading %q", v.Title, v.Heading)
	}
	if v.Button != "Sign in with a passkey" || !v.ButtonEnabled {
		t.Errorf("button %q enabled %v", v.Button, v.ButtonEnabled)
	}
	if !v.LogoLoaded {
		t.Error("the app's logo is not shown")
	}
	if v.Accent != shopAccent || v.OnAccent != "#ffffff" {
		t.Errorf("accent %q on-accent %q, want %s and white", v.Accent, v.OnAccent, shopAccent)
	}
	if hint == "" {
		if !v.FieldVisible || v.Autocomplete != "username webauthn" || v.Label == "" || v.Who != "" {
			t.Errorf("username field visible %v autocomplete %q label %q, who %q", v.FieldVisible, v.Autocomplete, v.Label, v.Who)
		}
		return
	}
	if v.Who != "Signing in as "+hint {
		t.Errorf("who %q, want the hinted user", v.Who)
	}
	if v.Autocomplete != "" {
		t.Errorf("a request that names the user offers the autofill (%q)", v.Autocomplete)
	}
}

// checkCancelled checks the page after a ceremony the browser refused: the
// message says so and shows the way forward, the page stays, and the button
// is back, focused.
func checkCancelled(t *testing.T, tb *tab, at string) {
	t.Helper()
	tb.waitFor(t, `document.querySelector("#message p") && !document.getElementById("passkey").disabled`)
	m := tb.message(t)
	if m.Title != "Sign-in cancelled, or no passkey found" || !strings.Contains(m.Text, "QR code") {
		t.Errorf("message %+v", m)
	}
	if loc := tb.location(t); loc != at {
		t.Errorf("the page went to %s", loc)
	}
	if role := eval[string](t, tb, `document.getElementById("message").getAttribute("role")`); role != "alert" {
		t.Errorf("message role %q, want alert", role)
	}
	if focused := eval[string](t, tb, `document.activeElement?.id ?? ""`); focused != "passkey" {
		t.Errorf("focus on %q, want the button", focused)
	}
}

// checkDiscoverable checks that the page's ceremony was a discoverable
// authentication: a start without a transaction, then its finish.
func checkDiscoverable(t *testing.T, reqs []recorded) {
	t.Helper()
	var calls []string
	for _, r := range reqs {
		if r.Status == http.StatusOK {
			calls = append(calls, r.Path)
		}
		if _, bound := r.Body["transaction_id"]; bound {
			t.Errorf("%s carries a transaction", r.Path)
		}
	}
	// The aborted autofill request made a start of its own.
	want := []string{"authenticate/transactions/webauthn/start", "authenticate/transactions/webauthn/finish"}
	if len(calls) < 2 || !slices.Equal(calls[len(calls)-2:], want) {
		t.Errorf("client API calls %v, want a start and its finish last", calls)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
