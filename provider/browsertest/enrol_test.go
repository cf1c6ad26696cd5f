//go:build e2e

package browsertest

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/storage"
)

// TestBrowserEnrolmentLink follows an administrator's enrolment link in
// Chromium: the page shows whose account it is for, the virtual
// authenticator creates the passkey, and the browser lands on the account
// page signed in with it. The same link then opens to a refusal, an
// expired link too, and of two tabs redeeming one link at the same moment
// exactly one gets the passkey while the other says the link was used.
func TestBrowserEnrolmentLink(t *testing.T) {
	b := Start(t)
	e := newOIDCEnv(t)
	tb := newTab(t, b.Ctx, b.Authenticator)
	problems := consoleProblems(b.Ctx, false)
	dana := e.createUser(t, "dana")
	link := e.enrolmentLink(t, dana.ID, 0)

	step(t, "create a passkey from the link", func(t *testing.T) {
		if status := tb.navigate(t, link); status != http.StatusOK {
			t.Fatalf("enrolment page: status %d", status)
		}
		tb.waitFor(t, `!document.getElementById("enrol-form").hidden`)
		v := eval[map[string]string](t, tb, `({
  title: document.title,
  who: document.querySelector(".who-name")?.textContent ?? "",
  button: document.getElementById("passkey").textContent.trim(),
})`)
		if v["title"] != "Create a passkey for Shop" || v["who"] != "dana@example.com" || v["button"] != "Create a passkey" {
			t.Errorf("enrolment page %v", v)
		}
		saveScreenshot(t, tb, screenshotDir(t), "enrol")
		tb.do(t, "click", chromedp.Click(chromedp.ID("passkey")))
		tb.arrive(t, e.issuer+"/account?app_id="+e.app.ID)
		view := tb.waitAccount(t, "signed-in", 1)
		_, ds := e.userDevices(t, "dana")
		if len(ds) != 1 || view.Who != "dana@example.com" || view.Rows[0].ID != ds[0].ID || !view.Rows[0].Current {
			t.Fatalf("account page %+v, devices %+v", view, ds)
		}
		res, err := chromedp.Call(tb.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: tb.auth})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Credentials) != 1 || res.Credentials[0].UserName != "dana@example.com" || res.Credentials[0].RpID != "localhost" {
			t.Fatalf("authenticator holds %+v, want dana's passkey", res.Credentials)
		}
	})

	step(t, "the same link again", func(t *testing.T) {
		if status := tb.navigate(t, link); status != http.StatusGone {
			t.Errorf("status %d, want 410", status)
		}
		p := tb.errorPage(t)
		if p.Code != "enrolment_link_used" || p.Heading != "This link has been used" ||
			!strings.Contains(p.Message, "ask your administrator for a new link") || strings.Contains(p.Message, "dana") {
			t.Errorf("refusal %+v", p)
		}
	})

	step(t, "two tabs redeem one link at once", func(t *testing.T) {
		erin := e.createUser(t, "erin")
		shared := e.enrolmentLink(t, erin.ID, 0)
		tabs := []*tab{newBrowserTab(t, b.Ctx, true, true), newBrowserTab(t, b.Ctx, true, true)}
		for _, x := range tabs {
			x.navigate(t, shared)
			x.waitFor(t, `!document.getElementById("enrol-form").hidden`)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(tabs))
		for i, x := range tabs {
			wg.Go(func() { errs[i] = chromedp.Do(x.ctx, chromedp.Click(chromedp.ID("passkey"))) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("click: %v", err)
			}
		}
		// Each tab ends on the account page or with the page's final
		// message.
		outcome := func(x *tab) string {
			x.settle(t, `location.pathname === "/account" && document.readyState === "complete" ||
  document.querySelector("#message .message-title")?.textContent.length > 0 && !document.querySelector("button[aria-busy=true]")`)
			if eval[string](t, x, "location.pathname") == "/account" {
				x.waitAccount(t, "signed-in", 1)
				return "signed in"
			}
			return x.message(t).Title
		}
		got := []string{outcome(tabs[0]), outcome(tabs[1])}
		if !(got[0] == "signed in" && got[1] == "This link has been used already" ||
			got[1] == "signed in" && got[0] == "This link has been used already") {
			t.Errorf("tabs ended %q, want one signed in and one told the link was used", got)
		}
		if _, ds := e.userDevices(t, "erin"); len(ds) != 1 {
			t.Errorf("%d devices stored for erin, want 1", len(ds))
		}
	})

	step(t, "an expired link", func(t *testing.T) {
		fay := e.createUser(t, "fay")
		expiring := e.enrolmentLink(t, fay.ID, 5*time.Minute)
		e.clock.Advance(5 * time.Minute)
		if status := tb.navigate(t, expiring); status != http.StatusGone {
			t.Errorf("status %d, want 410", status)
		}
		if p := tb.errorPage(t); p.Code != "enrolment_link_expired" || p.Heading != "This link has expired" ||
			!strings.Contains(p.Message, "Ask your administrator for a new link") {
			t.Errorf("refusal %+v", p)
		}
	})

	if v := tb.violations(); len(v) > 0 {
		t.Errorf("CSP violations: %+v", v)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("console errors and warnings: %q", p)
	}
}

// settle waits until expr is true in the tab, across the navigations its
// page may make meanwhile (which end an evaluation).
func (tb *tab) settle(t *testing.T, expr string) {
	t.Helper()
	deadline := time.Now().Add(ceremonyTimeout)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tab never got to %s (%v)", expr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// createUser stores a user of the env's app without a passkey, as an
// import or an administrator leaves one.
func (e *oidcEnv) createUser(t *testing.T, externalID string) storage.User {
	t.Helper()
	now := e.clock.Now()
	u := storage.User{ID: storage.NewID(), AppID: e.app.ID, ExternalID: externalID, Handle: storage.RandomBytes(32),
		DisplayName: externalID + "@example.com", Status: storage.UserActive, CreatedAt: now, UpdatedAt: now}
	if err := e.store.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// enrolmentLink issues an enrolment link of a user through the Flex
// management API, as the app's backend does, and returns its URL; ttl 0
// leaves the lifetime to the server.
func (e *oidcEnv) enrolmentLink(t *testing.T, userID string, ttl time.Duration) string {
	t.Helper()
	body := "{}"
	if ttl != 0 {
		body = `{"ttl":` + itoa(int(ttl/time.Second)) + `}`
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		e.issuer+"/v1/apps/"+e.app.ID+"/users/"+userID+"/enrolment-links", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.apiKey)
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		URL string `json:"url"`
	}
	if status := doJSON(t, req, &out); status != http.StatusOK || !strings.HasPrefix(out.URL, e.issuer+"/enrol?token=") {
		t.Fatalf("create enrolment link: status %d, url %q", status, out.URL)
	}
	return out.URL
}
