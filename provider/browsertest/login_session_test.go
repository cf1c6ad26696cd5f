//go:build e2e

package browsertest

import (
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/storage"
)

// TestBrowserLoginSession follows the session a sign-in on the login page
// leaves in Chromium: a later authorization request is answered from it
// without a ceremony (single sign-on); prompt=login asks for a fresh
// ceremony anyway (step-up), which moves auth_time and replaces the
// session; RP-initiated logout (end_session with the ID token as
// id_token_hint) ends it and comes back to the relying party; and the next
// authorization request needs a ceremony again. The steps share one browser
// and run in order.
func TestBrowserLoginSession(t *testing.T) {
	b := Start(t)
	e := newOIDCEnv(t)
	tb := newTab(t, b.Ctx, b.Authenticator)
	problems := consoleProblems(b.Ctx, false)

	step(t, "register a passkey through the Flex API", func(t *testing.T) {
		tb.register(t, e, "alice")
	})
	user, _ := e.userDevices(t, "alice")

	var first idClaims
	step(t, "sign in", func(t *testing.T) {
		first = tb.signInWithButton(t, e, nil, "alice")
		if first.ACR != "phrh" || first.SID == "" {
			t.Errorf("acr %q sid %q, want phrh (a device-bound passkey) and a session", first.ACR, first.SID)
		}
		if n := len(e.sessions(t, user.ID)); n != 1 {
			t.Errorf("%d sessions stored, want 1", n)
		}
	})

	step(t, "single sign-on: no ceremony", func(t *testing.T) {
		e.clock.Advance(10 * time.Minute)
		tb.setPresence(t, false) // a ceremony, were there one, would wait
		tb.takeReports()
		u, s := e.authorizeURL(e.client, nil)
		tb.navigate(t, u)
		cb := e.rp.callback(t)
		tb.arrive(t, e.rp.origin)
		if cb.Get("state") != s.state || cb.Get("code") == "" {
			t.Fatalf("callback %v, want a code and state %q", cb, s.state)
		}
		if got := gets(tb.takeReports()); len(got) != 0 {
			t.Errorf("WebAuthn requests %v, want none: the session answers", got)
		}
		c := e.exchange(t, s, cb.Get("code"))
		e.checkIDToken(t, s, c, "alice")
		// The session's sign-in, not a new one.
		if c.AuthTime != first.AuthTime || c.SID != first.SID || c.ACR != first.ACR {
			t.Errorf("auth_time %d sid %q acr %q, want the session's %d %q %q",
				c.AuthTime, c.SID, c.ACR, first.AuthTime, first.SID, first.ACR)
		}
	})

	var stepped idClaims
	step(t, "step-up: prompt=login asks for a passkey again", func(t *testing.T) {
		// openLogin fails the test unless the request stops at the login
		// page, session or not.
		stepped = tb.signInWithButton(t, e, url.Values{"prompt": {"login"}}, "alice")
		if want := first.AuthTime + int64((10 * time.Minute).Seconds()); stepped.AuthTime != want {
			t.Errorf("auth_time %d, want the new ceremony's %d", stepped.AuthTime, want)
		}
		if stepped.ACR != "phrh" {
			t.Errorf("acr %q, want phrh", stepped.ACR)
		}
		if stepped.SID == "" || stepped.SID == first.SID {
			t.Errorf("sid %q, want a new session's (was %q)", stepped.SID, first.SID)
		}
		if ss := e.sessions(t, user.ID); len(ss) != 1 || ss[0].ID != stepped.SID {
			t.Errorf("sessions stored %+v, want only the new one", ss)
		}
	})

	step(t, "RP-initiated logout", func(t *testing.T) {
		state := storage.NewID()
		tb.navigate(t, e.issuer+"/end_session?"+url.Values{
			"id_token_hint":            {stepped.Raw},
			"client_id":                {e.client.ID},
			"post_logout_redirect_uri": {e.rp.origin + "/signed-out"},
			"state":                    {state},
		}.Encode())
		back := e.rp.loggedOut(t)
		tb.arrive(t, e.rp.origin+"/signed-out")
		if back.Get("state") != state {
			t.Errorf("back at the relying party with %v, want state %q", back, state)
		}
		if ss := e.sessions(t, user.ID); len(ss) != 0 {
			t.Errorf("sessions stored after the logout: %+v", ss)
		}
		e.rp.none(t)
	})

	step(t, "after the logout, a sign-in needs a passkey", func(t *testing.T) {
		e.clock.Advance(time.Minute)
		c := tb.signInWithButton(t, e, nil, "alice")
		if want := stepped.AuthTime + 60; c.AuthTime != want || c.SID == stepped.SID {
			t.Errorf("auth_time %d sid %q, want a new sign-in at %d", c.AuthTime, c.SID, want)
		}
	})

	if v := tb.violations(); len(v) > 0 {
		t.Errorf("CSP violations: %+v", v)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("console errors and warnings: %q", p)
	}
}

// signInWithButton starts a sign-in of the env's client with extra
// parameters, checks that it stops at the login page (no session answers
// it), waits there while the authenticator does not answer, then lets it
// answer the button's ceremony and returns the ID token's claims, checked
// as a sign-in of sub.
func (tb *tab) signInWithButton(t *testing.T, e *oidcEnv, extra url.Values, sub string) idClaims {
	t.Helper()
	cb, s := tb.passkeyButton(t, e, extra)
	if cb.Get("state") != s.state || cb.Get("code") == "" || cb.Get("error") != "" {
		t.Fatalf("callback %v, want a code and state %q", cb, s.state)
	}
	c := e.exchange(t, s, cb.Get("code"))
	e.checkIDToken(t, s, c, sub)
	return c
}

// passkeyButton starts a sign-in of the env's client with extra parameters,
// checks that it stops at the login page, waits there while the
// authenticator does not answer, then lets it answer the button's ceremony;
// it returns what reached the relying party's redirect_uri, and the
// sign-in.
func (tb *tab) passkeyButton(t *testing.T, e *oidcEnv, extra url.Values) (url.Values, *signIn) {
	t.Helper()
	tb.setPresence(t, false)
	u, s := e.authorizeURL(e.client, extra)
	tb.openLogin(t, u)
	if extra.Get("login_hint") == "" {
		tb.waitFor(t, "window.pbConditionalPending === 1")
	}
	e.rp.none(t)
	tb.setPresence(t, true)
	tb.do(t, "click", chromedp.Click(chromedp.ID("passkey")))
	cb := e.rp.callback(t)
	tb.arrive(t, e.rp.origin)
	return cb, s
}

// sessions lists the stored sessions of a user of the env's app.
func (e *oidcEnv) sessions(t *testing.T, userID string) []storage.Session {
	t.Helper()
	ss, err := e.store.ListSessions(t.Context(), e.app.ID, userID)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}
