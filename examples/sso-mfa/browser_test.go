package main

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/provider/browsertest"
)

// waitLimit bounds every wait for a page. Each step takes well under a
// second; the bound only turns a hang into a failure.
const waitLimit = 20 * time.Second

// TestBrowserEnrolAndStepUp drives the example in headless Chromium with a
// virtual authenticator, typing and clicking as a person does: the
// password, the enrolment on passbridge's page, sign-out; the password
// again and the step-up with the passkey; a sensitive action. It shows
// that the forms reach passbridge under the app's Content-Security-Policy
// (form-action, through redirects), that the browser's own Origin and
// Sec-Fetch-Site pass the forms' cross-origin check, and that passbridge's
// login page completes an enrolment by signed request object and a
// step-up bound to the user.
func TestBrowserEnrolAndStepUp(t *testing.T) {
	b := browsertest.Start(t)
	s := startStack(t)
	tab := &tab{t: t, ctx: b.Ctx}

	tab.navigate(s.site + "/")
	tab.signIn("alice", s.passwords["alice"])
	tab.passkeyUntilBack(s.site + "/")
	if state := tab.state(`document.querySelector("main").dataset.state`); state != stateSignedIn {
		t.Fatalf("after the enrolment the page is %q (at %s)", state, tab.href())
	}
	if sub := tab.eval(`document.querySelector('[data-claim="sub"]')?.textContent ?? ""`); sub != "u-alice" {
		t.Fatalf("enrolled as %q", sub)
	}
	if tab.state(`document.getElementById("enrolled") ? "yes" : ""`) != "yes" {
		t.Error("the page does not say the passkey was set up")
	}
	if s.user("u-alice").PasskeyEnrolledAt == nil {
		t.Error("the users file does not record the enrolment")
	}
	enrolledAt := tab.eval(`document.querySelector('[data-claim="auth_time"] time').dateTime`)

	tab.click("sign-out")
	tab.arrive(s.site + "/?state=")
	if tab.state(`document.getElementById("signed-out") && document.getElementById("sign-in") ? "yes" : ""`) != "yes" {
		t.Fatalf("not signed out at %s", tab.href())
	}
	if n := len(s.sessions("u-alice")); n != 0 {
		t.Errorf("passbridge kept %d sessions of alice's", n)
	}

	// The password again, then the passkey alice has.
	s.clock.Advance(2 * time.Second)
	tab.signIn("alice", s.passwords["alice"])
	tab.passkeyUntilBack(s.site + "/")
	signedInAt := tab.eval(`document.querySelector('[data-claim="auth_time"] time').dateTime`)
	if state := tab.state(`document.querySelector("main").dataset.state`); state != stateSignedIn || signedInAt <= enrolledAt {
		t.Fatalf("after the step-up: %q, auth_time %s (enrolled at %s)", state, signedInAt, enrolledAt)
	}
	if n := len(s.devices("u-alice")); n != 1 {
		t.Errorf("passbridge has %d passkeys of alice's, want 1", n)
	}

	s.clock.Advance(2 * time.Second)
	tab.click("sensitive")
	tab.passkeyUntilBack(s.site + "/")
	if tab.state(`document.getElementById("sensitive-done") ? "yes" : ""`) != "yes" {
		t.Fatalf("the sensitive action is not confirmed (at %s)", tab.href())
	}
}

// tab is the browser's one tab.
type tab struct {
	t   *testing.T
	ctx context.Context
}

func (tb *tab) navigate(url string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitLimit)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		tb.t.Fatalf("open %s: %v", url, err)
	}
}

// signIn types username and password into the app's sign-in form and
// submits it.
func (tb *tab) signIn(username, password string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitLimit)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password))
	if err != nil {
		tb.t.Fatalf("fill the sign-in form: %v (at %s)", err, tb.href())
	}
	tb.click("sign-in")
}

// click clicks the button with id once it is enabled. It marks the page
// first, so that waits after it do not take the page for the next one.
func (tb *tab) click(id string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitLimit)
	defer cancel()
	mark := chromedp.Evaluate[chromedp.Void](`window.left = true`)
	if err := chromedp.Do(ctx, chromedp.WaitEnabled(chromedp.ID(id)), mark, chromedp.Click(chromedp.ID(id))); err != nil {
		tb.t.Fatalf("click #%s: %v (at %s)", id, err, tb.href())
	}
}

// passkeyUntilBack waits until the tab is back at prefix with a page
// loaded. On passbridge's login page it presses the passkey button, which
// creates a passkey (enrolment) or signs in with one (step-up).
func (tb *tab) passkeyUntilBack(prefix string) {
	tb.t.Helper()
	deadline := time.Now().Add(waitLimit)
	clicked := false
	for {
		state := tb.state(`location.href.startsWith(` + strconv.Quote(prefix) + `) ? "back" : ` +
			`location.pathname === "/login" && document.getElementById("passkey") && ` +
			`!document.getElementById("passkey").disabled ? "login" : ""`)
		switch {
		case state == "back":
			return
		case state == "login" && !clicked:
			ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
			clicked = chromedp.Do(ctx, chromedp.Click(chromedp.ID("passkey"))) == nil
			cancel()
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("the tab did not come back to %s (at %s)", prefix, tb.href())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// arrive waits until the tab has loaded a page whose URL starts with
// prefix.
func (tb *tab) arrive(prefix string) {
	tb.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for tb.state(`location.href.startsWith(`+strconv.Quote(prefix)+`) ? "yes" : ""`) != "yes" {
		if time.Now().After(deadline) {
			tb.t.Fatalf("the tab did not reach %s (at %s)", prefix, tb.href())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// state evaluates expr in a loaded page that click did not leave; "" while
// a page loads or the tab navigates.
func (tb *tab) state(expr string) string {
	ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === "complete" && !window.left ? (`+expr+`) : ""`))
	if err != nil {
		return ""
	}
	return v
}

// eval evaluates a JavaScript expression that yields a string, awaiting a
// promise.
func (tb *tab) eval(expr string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitLimit)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// href is the tab's URL, for failure reports.
func (tb *tab) href() string {
	ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string]("location.href"))
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return v
}
