//go:build e2e

package main

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
)

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
	s := startStack(t)
	tab := exampletest.NewTab(t)

	tab.Navigate(s.site + "/")
	submitPassword(tab, "alice", s.passwords["alice"])
	tab.PasskeyUntilBack(s.site + "/")
	if state := tab.State(`document.querySelector("main").dataset.state`); state != stateSignedIn {
		t.Fatalf("after the enrolment the page is %q (at %s)", state, tab.Href())
	}
	if sub := tab.Eval(`document.querySelector('[data-claim="sub"]')?.textContent ?? ""`); sub != "u-alice" {
		t.Fatalf("enrolled as %q", sub)
	}
	if tab.State(`document.getElementById("enrolled") ? "yes" : ""`) != "yes" {
		t.Error("the page does not say the passkey was set up")
	}
	if s.user("u-alice").PasskeyEnrolledAt == nil {
		t.Error("the users file does not record the enrolment")
	}
	enrolledAt := tab.Eval(`document.querySelector('[data-claim="auth_time"] time').dateTime`)

	tab.Click("sign-out")
	tab.Arrive(s.site + "/?state=")
	if tab.State(`document.getElementById("signed-out") && document.getElementById("sign-in") ? "yes" : ""`) != "yes" {
		t.Fatalf("not signed out at %s", tab.Href())
	}
	if n := len(s.sessions("u-alice")); n != 0 {
		t.Errorf("passbridge kept %d sessions of alice's", n)
	}

	// The password again, then the passkey alice has.
	s.Clock.Advance(2 * time.Second)
	submitPassword(tab, "alice", s.passwords["alice"])
	tab.PasskeyUntilBack(s.site + "/")
	signedInAt := tab.Eval(`document.querySelector('[data-claim="auth_time"] time').dateTime`)
	if state := tab.State(`document.querySelector("main").dataset.state`); state != stateSignedIn || signedInAt <= enrolledAt {
		t.Fatalf("after the step-up: %q, auth_time %s (enrolled at %s)", state, signedInAt, enrolledAt)
	}
	if n := len(s.devices("u-alice")); n != 1 {
		t.Errorf("passbridge has %d passkeys of alice's, want 1", n)
	}

	s.Clock.Advance(2 * time.Second)
	tab.Click("sensitive")
	tab.PasskeyUntilBack(s.site + "/")
	if tab.State(`document.getElementById("sensitive-done") ? "yes" : ""`) != "yes" {
		t.Fatalf("the sensitive action is not confirmed (at %s)", tab.Href())
	}
}

// submitPassword types username and password into the app's sign-in
// form and submits it.
func submitPassword(tab *exampletest.Tab, username, password string) {
	tab.T.Helper()
	tab.Type("username", username)
	tab.Type("password", password)
	tab.Click("sign-in")
}
