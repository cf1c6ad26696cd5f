//go:build e2e

package browsertest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/storage"
)

// TestBrowserLoginPageEnrol signs up on the login page (prompt=create, an
// app open to sign-up): the page creates a passkey under the name the user
// gives, the relying party gets the new user's external ID, and the same
// passkey then signs in from the autofill.
func TestBrowserLoginPageEnrol(t *testing.T) {
	b := Start(t)
	e := newOIDCEnv(t)
	tb := newTab(t, b.Ctx, b.Authenticator)
	problems := consoleProblems(b.Ctx, false)
	club := e.createApp(t, "Club", func(a *storage.App) { a.AllowSignup = true }, e.issuer)
	client := e.createClient(t, club)

	var sub string
	step(t, "create a passkey", func(t *testing.T) {
		u, s := e.authorizeURL(client, url.Values{"prompt": {"create"}})
		tb.openLogin(t, u)
		v := eval[map[string]string](t, tb, `({
  title: document.title,
  button: document.getElementById("passkey").textContent.trim(),
  label: document.getElementById("display-name")?.labels[0]?.textContent ?? "",
  autofill: document.getElementById("username") ? "offered" : "",
})`)
		if v["title"] != "Create a passkey for Club" || v["button"] != "Create a passkey" ||
			v["label"] != "Your name or email" || v["autofill"] != "" {
			t.Errorf("sign-up page %v", v)
		}
		tb.do(t, "name the passkey", chromedp.SendKeys(chromedp.ID("display-name"), "carol@example.com"))
		saveScreenshot(t, tb, screenshotDir(t), "login-enrol")
		tb.do(t, "click", chromedp.Click(chromedp.ID("passkey")))
		cb := e.rp.callback(t)
		tb.arrive(t, e.rp.origin)
		if cb.Get("state") != s.state || cb.Get("code") == "" {
			t.Fatalf("callback %v, want a code and state %q", cb, s.state)
		}
		c := e.exchange(t, s, cb.Get("code"))
		sub = c.Subject
		if !strings.HasPrefix(sub, "pb_") {
			t.Errorf("sub %q, want an external ID the provider made", sub)
		}
		e.checkIDToken(t, s, c, sub)

		res, err := chromedp.Call(tb.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: tb.auth})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Credentials) != 1 || res.Credentials[0].UserName != "carol@example.com" || res.Credentials[0].RpID != "localhost" {
			t.Fatalf("authenticator holds %+v, want carol@example.com's passkey", res.Credentials)
		}
	})

	step(t, "sign in with it from the autofill", func(t *testing.T) {
		u, s := e.authorizeURL(client, url.Values{"prompt": {"login"}})
		tb.navigate(t, u)
		cb := e.rp.callback(t)
		tb.arrive(t, e.rp.origin)
		tb.expectGets(t, "conditional:resolved")
		e.checkIDToken(t, s, e.exchange(t, s, cb.Get("code")), sub)
	})

	if p := problems(); len(p) > 0 {
		t.Errorf("console errors and warnings: %q", p)
	}
}
