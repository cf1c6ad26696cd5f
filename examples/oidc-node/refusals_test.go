//go:build e2e

package oidcnode_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// TestBrowserRefusals covers what the app refuses, and what it shows when
// passbridge refuses: a callback with a forged state (no session, and the
// sign-in under way still completes), a callback with no sign-in under
// way, sign-out posts from another site or without the page's token (the
// session stays), an ID token with a forged signature, and passbridge's
// access_denied.
func TestBrowserRefusals(t *testing.T) {
	s := startStack(t, sqlstoretest.SQLite, nil)
	tab := exampletest.NewTab(t)
	pg := page{tab}

	tab.Navigate(s.site + "/")
	tab.Click("sign-up")
	onLoginPage(tab, s)
	loginPage := tab.Href()
	flow := cookie(t, tab, s.site, "oidcnode_flow")

	// A callback with a forged state, while a sign-up is under way.
	tab.Navigate(s.site + "/callback?code=forged&state=forged")
	if code := pg.errorCode(); code != "state_mismatch" {
		t.Fatalf("forged state: error code %q at %s, want state_mismatch", code, tab.Href())
	}
	if msg := tab.Text("error"); !strings.Contains(msg, "not the one to the sign-in this browser started") {
		t.Errorf("forged state: the page says %q", msg)
	}
	pg.signedOut(s)
	// The forged answer did not cancel the sign-in under way.
	tab.Navigate(loginPage)
	tab.PasskeyUntilBack(s.site + "/")
	if sub := pg.claim("sub"); !strings.HasPrefix(sub, "pb_") {
		t.Fatalf("signed up as %q after the forged state (at %s, error %q)", sub, tab.Href(), pg.errorCode())
	}
	sub := pg.claim("sub")

	// A callback with no sign-in under way: refused, the session stays.
	tab.Navigate(s.site + "/callback?code=replayed&state=replayed")
	if code := pg.errorCode(); code != "no_sign_in_in_progress" {
		t.Errorf("no sign-in under way: error code %q at %s, want no_sign_in_in_progress", code, tab.Href())
	}
	// The sign-up's own callback again, with its flow's cookie: the flow
	// was used up, so the code does not even reach passbridge again.
	replay := s.rec.lastCallback(t)
	if !strings.HasPrefix(replay, s.site+"/callback?") {
		t.Fatalf("passbridge sent the code to %s", replay)
	}
	status, body := send(t, http.MethodGet, replay, flow, nil, nil)
	if status != http.StatusBadRequest || !strings.Contains(body, `data-code="no_sign_in_in_progress"`) {
		t.Errorf("replayed callback: %d %s, want 400 no_sign_in_in_progress", status, errorCodeOf(body))
	}
	tab.Navigate(s.site + "/")
	if got := pg.claim("sub"); got != sub {
		t.Errorf("signed in as %q after the refused callback, want %q", got, sub)
	}

	// Sign-out posts from another site, or without the page's token:
	// refused, both sessions stay.
	session := cookie(t, tab, s.site, "oidcnode_session")
	if !session.HTTPOnly || session.SameSite != network.CookieSameSiteLax {
		t.Errorf("session cookie HttpOnly %v, SameSite %q", session.HTTPOnly, session.SameSite)
	}
	token := tab.Eval(`document.querySelector('#sign-out').form.elements.csrf.value`)
	for _, tc := range []struct {
		name   string
		header http.Header
		token  string
		code   string
	}{
		{"Origin of another site", http.Header{"Origin": {"http://attacker.example"}}, token, "cross_site_request"},
		{"Sec-Fetch-Site cross-site", http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {s.site}}, token, "cross_site_request"},
		{"wrong token", http.Header{"Origin": {s.site}}, "forged", "invalid_csrf_token"},
		{"no token", http.Header{"Sec-Fetch-Site": {"same-origin"}}, "", "invalid_csrf_token"},
	} {
		form := url.Values{}
		if tc.token != "" {
			form.Set("csrf", tc.token)
		}
		status, body := send(t, http.MethodPost, s.site+"/logout", session, tc.header, form)
		if status != http.StatusForbidden || !strings.Contains(body, `data-code="`+tc.code+`"`) {
			t.Errorf("sign-out, %s: %d %s, want 403 %s", tc.name, status, errorCodeOf(body), tc.code)
		}
	}
	tab.Navigate(s.site + "/")
	if got := pg.claim("sub"); got != sub {
		t.Errorf("signed in as %q after the refused sign-outs, want %q", got, sub)
	}
	if n := len(s.sessions(sub)); n != 1 {
		t.Errorf("passbridge has %d sessions of the user's, want 1", n)
	}

	// An ID token whose signature is not passbridge's: openid-client
	// checks it with passbridge's keys, and the app refuses the answer.
	before := pg.authTime()
	s.rec.forgeSignatures.Store(true)
	s.catchUp()
	tab.Click("confirm")
	tab.PasskeyUntilBack(s.site + "/")
	s.rec.forgeSignatures.Store(false)
	if code := pg.errorCode(); code != "invalid_id_token" {
		t.Errorf("forged signature: error code %q at %s, want invalid_id_token", code, tab.Href())
	}
	tab.Navigate(s.site + "/")
	if pg.claim("sub") != sub || pg.has("step-up") || !pg.authTime().Equal(before) {
		t.Errorf("forged signature: the session changed")
	}
	if log := s.log.String(); !strings.Contains(log, `"code":"invalid_id_token"`) || !strings.Contains(log, "signature") {
		t.Errorf("forged signature: the app's log does not say what failed")
	}

	tab.Click("sign-out")
	tab.Arrive(s.site + "/?state=")

	// passbridge answers a sign-up for an app closed to it with
	// access_denied, back at the app's callback.
	_, err := s.pb.Store.UpdateApp(t.Context(), s.app.ID, func(a storage.App) (storage.App, error) {
		a.AllowSignup = false
		return a, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tab.Click("sign-up")
	tab.Arrive(s.site + "/callback?")
	if code := pg.errorCode(); code != "access_denied" {
		t.Fatalf("access_denied: error code %q at %s", code, tab.Href())
	}
	if msg := tab.Text("error"); msg != "The sign-in was refused or cancelled. Try again." {
		t.Errorf("access_denied: the page says %q", msg)
	}
	if d := tab.Eval(`document.querySelector(".detail")?.textContent ?? ""`); d != "passbridge said: sign-up is not open for this app" {
		t.Errorf("access_denied: the page's detail %q", d)
	}
	pg.signedOut(s)
}

// cookie is the browser's cookie name for site.
func cookie(t *testing.T, tab *exampletest.Tab, site, name string) *network.Cookie {
	t.Helper()
	res, err := chromedp.Call(tab.Ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{site + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no cookie %s for %s", name, site)
	return nil
}

// send makes a request from outside the browser with its cookie c: a form
// post when form is not nil. It returns the status and the page.
func send(t *testing.T, method, to string, c *network.Cookie, header http.Header, form url.Values) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, to, body)
	if err != nil {
		t.Fatal(err)
	}
	if header != nil {
		req.Header = header.Clone()
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	page, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(page)
}

// errorCodeOf is the code an error page of the app shows, for failure
// reports.
func errorCodeOf(page string) string {
	_, after, ok := strings.Cut(page, `data-code="`)
	if !ok {
		return "(no error page)"
	}
	code, _, _ := strings.Cut(after, `"`)
	return code
}
