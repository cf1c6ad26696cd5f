package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/provider/browsertest"
)

// waitLimit bounds every wait for a page. Each step takes well under a
// second; the bound only turns a hang into a failure.
const waitLimit = 20 * time.Second

// TestBrowserSignIn drives the example in headless Chromium with a virtual
// authenticator, clicking its buttons and passbridge's login page as a
// person does: sign up, confirm with the passkey, sign out, sign in again.
// It shows that the page's forms reach passbridge under the app's
// Content-Security-Policy (form-action, through redirects), that the
// browser's own Origin and Sec-Fetch-Site pass the sign-out's cross-origin
// check, and that passbridge's login page completes every flow.
func TestBrowserSignIn(t *testing.T) {
	b := browsertest.Start(t)
	s := startStack(t)
	tab := &tab{t: t, ctx: b.Ctx}

	tab.navigate(s.site + "/")
	tab.click("sign-up")
	tab.passkeyUntilBack(s.site + "/")
	sub := tab.eval(`document.querySelector('[data-claim="sub"]')?.textContent ?? ""`)
	if !strings.HasPrefix(sub, "pb_") {
		t.Fatalf("signed up as %q (at %s)", sub, tab.href())
	}
	signedUpAt := tab.eval(`document.querySelector('[data-claim="auth_time"] time').dateTime`)

	s.clock.Advance(2 * time.Second)
	tab.click("confirm")
	tab.passkeyUntilBack(s.site + "/")
	if tab.state(`document.getElementById("step-up") ? "yes" : ""`) != "yes" {
		t.Fatalf("the page does not show the step-up (at %s)", tab.href())
	}
	confirmedAt := tab.eval(`document.querySelector('[data-claim="auth_time"] time').dateTime`)
	if confirmedAt <= signedUpAt {
		t.Errorf("auth_time %s after the step-up, %s before", confirmedAt, signedUpAt)
	}

	tab.click("sign-out")
	tab.arrive(s.site + "/?state=")
	if tab.state(`document.getElementById("signed-out") && document.getElementById("sign-in") ? "yes" : ""`) != "yes" {
		t.Fatalf("not signed out at %s", tab.href())
	}
	if n := len(s.sessions(sub)); n != 0 {
		t.Errorf("passbridge kept %d sessions of the user's", n)
	}

	// passbridge's session is gone: signing in again runs a ceremony,
	// which starts a new one.
	tab.click("sign-in")
	tab.passkeyUntilBack(s.site + "/")
	if got := tab.eval(`document.querySelector('[data-claim="sub"]')?.textContent ?? ""`); got != sub {
		t.Fatalf("signed in again as %q, want %q", got, sub)
	}
	if n := len(s.sessions(sub)); n != 1 {
		t.Errorf("passbridge has %d sessions of the user's after signing in again, want a new one", n)
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
// loaded. On passbridge's login page it presses the passkey button; with
// no user named, the page's autofill request may answer first, as the
// virtual authenticator answers it at once.
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
