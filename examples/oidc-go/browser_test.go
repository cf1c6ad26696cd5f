//go:build e2e

package main

import (
	"context"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

var update = flag.Bool("update", false, "rewrite docs/screenshots")

// screenshot is the README's picture of the example's signed-in page,
// taken by TestBrowserSignIn in a viewport of screenshotWidth by
// screenshotHeight when -update is set.
const (
	screenshot       = "../../docs/screenshots/example-oidc-go.png"
	screenshotWidth  = 1200
	screenshotHeight = 800
)

// TestBrowserSignIn drives the example in headless Chromium with a virtual
// authenticator, clicking its buttons and passbridge's login page as a
// person does: sign up, confirm with the passkey, sign out, sign in again;
// on each of passbridge's store engines. It shows that the page's forms
// reach passbridge under the app's Content-Security-Policy (form-action,
// through redirects), that the browser's own Origin and Sec-Fetch-Site pass
// the sign-out's cross-origin check, and that passbridge's login page
// completes every flow.
func TestBrowserSignIn(t *testing.T) {
	for _, engine := range []string{sqlstoretest.SQLite, sqlstoretest.Postgres} {
		t.Run(engine, func(t *testing.T) { testBrowserSignIn(t, engine) })
	}
}

func testBrowserSignIn(t *testing.T, engine string) {
	s := startStackWith(t, stackOptions{engine: engine})
	tab := exampletest.NewTab(t)
	ctx, cancel := context.WithTimeout(tab.Ctx, exampletest.WaitLimit)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(screenshotWidth, screenshotHeight)); err != nil {
		t.Fatalf("set the viewport: %v", err)
	}

	tab.Navigate(s.site + "/")
	tab.Click("sign-up")
	tab.PasskeyUntilBack(s.site + "/")
	sub := tab.Eval(`document.querySelector('[data-claim="sub"]')?.textContent ?? ""`)
	if !strings.HasPrefix(sub, "pb_") {
		t.Fatalf("signed up as %q (at %s)", sub, tab.Href())
	}
	signedUpAt := tab.Eval(`document.querySelector('[data-claim="auth_time"] time').dateTime`)
	if engine == sqlstoretest.SQLite {
		checkScreenshot(t, tab)
	}

	s.Clock.Advance(2 * time.Second)
	tab.Click("confirm")
	tab.PasskeyUntilBack(s.site + "/")
	if tab.State(`document.getElementById("step-up") ? "yes" : ""`) != "yes" {
		t.Fatalf("the page does not show the step-up (at %s)", tab.Href())
	}
	confirmedAt := tab.Eval(`document.querySelector('[data-claim="auth_time"] time').dateTime`)
	if confirmedAt <= signedUpAt {
		t.Errorf("auth_time %s after the step-up, %s before", confirmedAt, signedUpAt)
	}

	tab.Click("sign-out")
	tab.Arrive(s.site + "/?state=")
	if tab.State(`document.getElementById("signed-out") && document.getElementById("sign-in") ? "yes" : ""`) != "yes" {
		t.Fatalf("not signed out at %s", tab.Href())
	}
	if n := len(s.Sessions(s.app.ID, sub)); n != 0 {
		t.Errorf("passbridge kept %d sessions of the user's", n)
	}

	// passbridge's session is gone: signing in again runs a ceremony,
	// which starts a new one.
	tab.Click("sign-in")
	tab.PasskeyUntilBack(s.site + "/")
	if got := tab.Eval(`document.querySelector('[data-claim="sub"]')?.textContent ?? ""`); got != sub {
		t.Fatalf("signed in again as %q, want %q", got, sub)
	}
	if n := len(s.Sessions(s.app.ID, sub)); n != 1 {
		t.Errorf("passbridge has %d sessions of the user's after signing in again, want a new one", n)
	}
}

// checkScreenshot takes a screenshot of the signed-in page: with -update
// it becomes the README's; without, the README's must be there, a PNG of
// the viewport's size, as the fresh one is.
func checkScreenshot(t *testing.T, tab *exampletest.Tab) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(screenshot), 0o755); err != nil {
			t.Fatal(err)
		}
		tab.Screenshot(screenshot)
		t.Logf("wrote %s", screenshot)
	} else {
		fresh := filepath.Join(t.TempDir(), "signed-in.png")
		tab.Screenshot(fresh)
		checkPNGSize(t, fresh)
	}
	checkPNGSize(t, screenshot)
}

// checkPNGSize checks that the file at path is a PNG of the screenshot's
// viewport size.
func checkPNGSize(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (go test -tags e2e -run TestBrowserSignIn ./examples/oidc-go/ -update writes it)", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: not a PNG: %v", path, err)
	}
	if size := img.Bounds().Size(); size.X != screenshotWidth || size.Y != screenshotHeight {
		t.Errorf("%s is %dx%d, want %dx%d", path, size.X, size.Y, screenshotWidth, screenshotHeight)
	}
}
