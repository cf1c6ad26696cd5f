package browsertest

import (
	"context"
	"os"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package puts the browser.
const ChromiumPath = "/usr/bin/chromium"

// Browser is one headless Chromium with one tab and a virtual authenticator
// in it. Ctx drives the tab; it lives until the test ends.
type Browser struct {
	Ctx           context.Context
	Authenticator webauthn.AuthenticatorID
}

// Start launches a fresh headless Chromium (its own profile) with a virtual
// platform authenticator that holds resident keys and verifies the user, and
// skips the test when Chromium is not installed.
func Start(t *testing.T) *Browser {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Skipf("real-browser test skipped: no Chromium at %s (apt-get install chromium)", ChromiumPath)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(ChromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// Without these Chromium calls out to Google's services, which
		// this machine's closed network refuses, many at a time.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)

	// The first Run starts the browser, which lives as long as the context
	// of that call: no timeout here.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("enable webauthn domain: %v", err)
	}
	b := &Browser{Ctx: ctx}
	b.Authenticator = b.addAuthenticator(t, webauthn.AuthenticatorTransportInternal)
	return b
}

// AddSecurityKey plugs a second virtual authenticator into b's tab: a
// roaming (cross-platform, USB) security key that holds resident keys and
// verifies the user, whose credentials are device-bound (not backup
// eligible, never backed up). It returns the key's ID. While the platform
// authenticator of Start is there too, the browser may ask either; a test
// that needs the key to answer removes the other
// (webauthn.RemoveVirtualAuthenticator).
func AddSecurityKey(t *testing.T, b *Browser) webauthn.AuthenticatorID {
	t.Helper()
	return b.addAuthenticator(t, webauthn.AuthenticatorTransportUsb)
}

// addAuthenticator adds a CTAP 2.1 virtual authenticator with resident keys
// and user verification on transport, whose credentials are not backup
// eligible.
func (b *Browser) addAuthenticator(t *testing.T, transport webauthn.AuthenticatorTransport) webauthn.AuthenticatorID {
	t.Helper()
	res, err := chromedp.Call(b.Ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:            webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:        webauthn.Ctap2versionCtap21,
			Transport:           transport,
			HasResidentKey:      true,
			HasUserVerification: true,
			IsUserVerified:      true,
			// cdproto always sends this field: left false, every user
			// presence test waits forever.
			AutomaticPresenceSimulation: true,
			// Device-bound: the BE and BS flags of what it creates are
			// clear (cdproto always sends these too).
			DefaultBackupEligibility: false,
			DefaultBackupState:       false,
		},
	})
	if err != nil {
		t.Fatalf("add virtual authenticator (%s): %v", transport, err)
	}
	return res.AuthenticatorID
}
