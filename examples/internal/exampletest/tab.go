package exampletest

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/provider/browsertest"
)

// WaitLimit bounds every wait for a page. Each step takes well under a
// second; the bound only turns a hang into a failure.
const WaitLimit = 20 * time.Second

// Tab is a headless Chromium's one tab, with a virtual platform
// authenticator (resident keys, user verification), driven as a person
// drives it.
type Tab struct {
	T       *testing.T
	Ctx     context.Context
	Browser *browsertest.Browser
}

// NewTab starts a fresh Chromium for the test (skipped when Chromium is not
// installed) and returns its tab.
func NewTab(t *testing.T) *Tab {
	t.Helper()
	b := browsertest.Start(t)
	return &Tab{T: t, Ctx: b.Ctx, Browser: b}
}

// Navigate opens url.
func (tb *Tab) Navigate(url string) {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, WaitLimit)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		tb.T.Fatalf("open %s: %v", url, err)
	}
}

// Click clicks the element with id once it is enabled. It marks the page
// first, so that waits after it do not take the page for the next one.
func (tb *Tab) Click(id string) {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, WaitLimit)
	defer cancel()
	mark := chromedp.Evaluate[chromedp.Void](`window.left = true`)
	if err := chromedp.Do(ctx, chromedp.WaitEnabled(chromedp.ID(id)), mark, chromedp.Click(chromedp.ID(id))); err != nil {
		tb.T.Fatalf("click #%s: %v (at %s)", id, err, tb.Href())
	}
}

// ClickInPage clicks the element with id once it is enabled, on a page
// that stays (a single-page app, a script's button).
func (tb *Tab) ClickInPage(id string) {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, WaitLimit)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitEnabled(chromedp.ID(id)), chromedp.Click(chromedp.ID(id))); err != nil {
		tb.T.Fatalf("click #%s: %v (at %s)", id, err, tb.Href())
	}
}

// Type sets the value of the input with id to text, as typing does.
func (tb *Tab) Type(id, text string) {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, WaitLimit)
	defer cancel()
	// chromedp.Clear resets only the value attribute, not what was typed.
	clear := chromedp.Evaluate[chromedp.Void](`document.getElementById(` + strconv.Quote(id) + `).value = ""`)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID(id)), clear,
		chromedp.SendKeys(chromedp.ID(id), text)); err != nil {
		tb.T.Fatalf("type into #%s: %v (at %s)", id, err, tb.Href())
	}
}

// PasskeyUntilBack waits until the tab is back at prefix with a page
// loaded. On passbridge's login page it presses the passkey button; with
// no user named, the page's autofill request may answer first, as the
// virtual authenticator answers it at once.
func (tb *Tab) PasskeyUntilBack(prefix string) {
	tb.T.Helper()
	deadline := time.Now().Add(WaitLimit)
	clicked := false
	for {
		state := tb.State(`location.href.startsWith(` + strconv.Quote(prefix) + `) ? "back" : ` +
			`location.pathname === "/login" && document.getElementById("passkey") && ` +
			`!document.getElementById("passkey").disabled ? "login" : ""`)
		switch {
		case state == "back":
			return
		case state == "login" && !clicked:
			ctx, cancel := context.WithTimeout(tb.Ctx, 2*time.Second)
			clicked = chromedp.Do(ctx, chromedp.Click(chromedp.ID("passkey"))) == nil
			cancel()
		}
		if time.Now().After(deadline) {
			tb.T.Fatalf("the tab did not come back to %s (at %s)", prefix, tb.Href())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Arrive waits until the tab has loaded a page whose URL starts with
// prefix.
func (tb *Tab) Arrive(prefix string) {
	tb.T.Helper()
	tb.Until("the page at "+prefix, `location.href.startsWith(`+strconv.Quote(prefix)+`)`)
}

// Until waits until the JavaScript condition cond holds in a loaded page
// that Click did not leave.
func (tb *Tab) Until(what, cond string) {
	tb.T.Helper()
	deadline := time.Now().Add(WaitLimit)
	for tb.State(`(`+cond+`) ? "yes" : ""`) != "yes" {
		if time.Now().After(deadline) {
			tb.T.Fatalf("waited in vain for %s (at %s)", what, tb.Href())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// State evaluates expr in a loaded page that Click did not leave; "" while
// a page loads, the tab navigates, or expr throws.
func (tb *Tab) State(expr string) string {
	ctx, cancel := context.WithTimeout(tb.Ctx, time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === "complete" && !window.left ? (`+expr+`) : ""`))
	if err != nil {
		return ""
	}
	return v
}

// Eval evaluates a JavaScript expression that yields a string, awaiting a
// promise.
func (tb *Tab) Eval(expr string) string {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, WaitLimit)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.T.Fatalf("evaluate %s: %v (at %s)", expr, err, tb.Href())
	}
	return v
}

// Text is the text of the element with id ("" when there is none).
func (tb *Tab) Text(id string) string {
	tb.T.Helper()
	return tb.Eval(`document.getElementById(` + strconv.Quote(id) + `)?.textContent?.trim() ?? ""`)
}

// Href is the tab's URL, for failure reports.
func (tb *Tab) Href() string {
	ctx, cancel := context.WithTimeout(tb.Ctx, time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string]("location.href"))
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return v
}

// Screenshot writes a PNG of the tab's viewport to path.
func (tb *Tab) Screenshot(path string) {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, WaitLimit)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.T.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.T.Fatal(err)
	}
}
