//go:build e2e

package oidcnode_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// TestBrowserStepUpChecks runs "Confirm with passkey" with STEP_UP_ACR=phrh
// and synced passkeys (acr phr), so that the confirmation fails: refused by
// passbridge for the request as the app sent it, and by the app itself for
// a request edited in the browser (acr_values, login_hint removed), whose
// answer passbridge then signs. Each time the page says why, and the
// session stays as it was.
func TestBrowserStepUpChecks(t *testing.T) {
	s := startStack(t, sqlstoretest.SQLite, map[string]string{"STEP_UP_ACR": "phrh"})
	tab := exampletest.NewTab(t)
	useSyncedPasskeys(t, tab)
	pg := page{tab}

	tab.Navigate(s.site + "/")
	tab.Click("sign-up")
	tab.PasskeyUntilBack(s.site + "/")
	alice := pg.claim("sub")
	if acr := pg.claim("acr"); acr != "phr" || !strings.Contains(pg.claim("amr"), "swk") {
		t.Fatalf("signed up with acr %q, amr %q: want a synced passkey's (error %q)", acr, pg.claim("amr"), pg.errorCode())
	}

	// confirm runs a step-up and checks that the app refused it with code,
	// saying reason, and kept the session of sub as it was.
	confirm := func(t *testing.T, sub, code, reason string) {
		t.Helper()
		before := pg.authTime()
		s.catchUp()
		tab.Click("confirm")
		tab.PasskeyUntilBack(s.site + "/")
		if got := pg.errorCode(); got != code {
			t.Fatalf("error code %q at %s, want %s", got, tab.Href(), code)
		}
		msg := tab.Text("error")
		if !strings.Contains(msg, reason) || !strings.HasSuffix(msg, "You are still signed in as before.") {
			t.Errorf("the page says %q, want %q and that the session stays", msg, reason)
		}
		tab.Navigate(s.site + "/")
		if pg.claim("sub") != sub || pg.has("step-up") || !pg.authTime().Equal(before) {
			t.Errorf("the session changed: sub %q, step-up shown %v, auth_time %s (was %s)",
				pg.claim("sub"), pg.has("step-up"), pg.authTime(), before)
		}
	}

	// With max_age and acr_values removed from the request, passbridge's
	// session answers (single sign-on) with the sign-up's auth_time: the
	// app refuses an answer that no new ceremony made.
	stop := tamper(t, tab, s.pb.Issuer, "max_age", "acr_values")
	confirm(t, alice, "step_up_refused", "the passkey was not used just now")
	stop()
	want(t, "edited step-up request", s.rec.last(t, "/authorize"), map[string]string{"login_hint": alice}, "max_age", "acr_values")

	// passbridge refuses a synced passkey for phrh.
	confirm(t, alice, "unmet_authentication_requirements", "does not meet what this app requires")
	want(t, "step-up request", s.rec.last(t, "/authorize"), map[string]string{
		"acr_values": "phrh", "max_age": "0", "login_hint": alice,
	})

	// With acr_values removed from the request, passbridge signs the
	// synced passkey's phr: the app refuses a level below the one it asked
	// for.
	stop = tamper(t, tab, s.pb.Issuer, "acr_values")
	confirm(t, alice, "step_up_refused", `the sign-in's level (acr "phr") is below the one asked for ("phrh")`)
	stop()
	want(t, "edited step-up request", s.rec.last(t, "/authorize"), map[string]string{"max_age": "0", "login_hint": alice}, "acr_values")

	// With login_hint removed too, another user's passkey answers: the app
	// refuses it.
	aliceKeys := credentials(t, tab)
	tab.Click("sign-out")
	tab.Arrive(s.site + "/?state=")
	clearCredentials(t, tab)
	tab.Click("sign-up")
	tab.PasskeyUntilBack(s.site + "/")
	bob := pg.claim("sub")
	if bob == alice || !strings.HasPrefix(bob, "pb_") {
		t.Fatalf("signed up as %q (alice is %q)", bob, alice)
	}
	// Bob's browser now holds only alice's passkey, and the request
	// names nobody: passbridge lets alice's passkey answer.
	clearCredentials(t, tab)
	putCredential(t, tab, aliceKeys[0])
	stop = tamper(t, tab, s.pb.Issuer, "acr_values", "login_hint")
	confirm(t, bob, "step_up_refused", "belongs to another account")
	stop()
	want(t, "edited step-up request", s.rec.last(t, "/authorize"), map[string]string{"max_age": "0"}, "acr_values", "login_hint")
}

// useSyncedPasskeys replaces the tab's authenticator with one whose
// passkeys are backup-eligible and backed up, as a synced passkey
// provider's are.
func useSyncedPasskeys(t *testing.T, tab *exampletest.Tab) {
	t.Helper()
	if _, err := chromedp.Call(tab.Ctx, webauthn.RemoveVirtualAuthenticator,
		webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: tab.Browser.Authenticator}); err != nil {
		t.Fatal(err)
	}
	res, err := chromedp.Call(tab.Ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true,
			DefaultBackupEligibility:    true,
			DefaultBackupState:          true,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tab.Browser.Authenticator = res.AuthenticatorID
}

func clearCredentials(t *testing.T, tab *exampletest.Tab) {
	t.Helper()
	if _, err := chromedp.Call(tab.Ctx, webauthn.ClearCredentials,
		webauthn.ClearCredentialsParams{AuthenticatorID: tab.Browser.Authenticator}); err != nil {
		t.Fatal(err)
	}
}

// tamper removes the parameters drop from the tab's requests to
// passbridge's authorization endpoint until stop is called, as a person
// editing the request in their browser can.
func tamper(t *testing.T, tab *exampletest.Tab, issuer string, drop ...string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(tab.Ctx)
	paused := make(chan *fetch.EventRequestPaused, 16)
	// The listener may not call the browser: the calls are made below.
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case paused <- e:
			case <-ctx.Done():
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-paused:
				edited := ""
				if u, err := url.Parse(e.Request.URL); err == nil {
					q := u.Query()
					for _, k := range drop {
						q.Del(k)
					}
					u.RawQuery = q.Encode()
					edited = u.String()
				}
				callCtx, cancelCall := context.WithTimeout(ctx, 5*time.Second)
				_, _ = chromedp.Call(callCtx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID, URL: edited})
				cancelCall()
			}
		}
	}()
	if _, err := chromedp.Call(tab.Ctx, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: issuer + "/authorize?*"}},
	}); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := chromedp.Call(tab.Ctx, fetch.Disable, cdp.Empty{}); err != nil {
			t.Errorf("stop editing requests: %v", err)
		}
		cancel()
		<-done
	}
}
