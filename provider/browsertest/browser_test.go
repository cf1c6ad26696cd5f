//go:build e2e

package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// ceremonyTimeout bounds one call into the page. A ceremony takes well under
// a second; the bound only turns a hang (a prompt nobody answers) into a
// failure instead of a stuck test run.
const ceremonyTimeout = 30 * time.Second

// browser is one Chromium with one tab and a virtual authenticator in it.
type browser struct {
	ctx  context.Context
	auth webauthn.AuthenticatorID
}

// startBrowser launches a fresh Chromium for the test (see Start).
func startBrowser(t *testing.T) *browser {
	t.Helper()
	b := Start(t)
	return &browser{ctx: b.Ctx, auth: b.Authenticator}
}

// open navigates to url, a test page, and waits until the page has loaded the
// SDK.
func (b *browser) open(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, ceremonyTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	state, err := chromedp.Run(ctx, chromedp.Poll[string](
		`window.flexReady ? "ready" : window.flexLoadError`,
		chromedp.WithPollingInterval(10*time.Millisecond),
		chromedp.WithPollingTimeout(ceremonyTimeout),
	))
	if err != nil {
		t.Fatalf("wait for the test page: %v", err)
	}
	if state != "ready" {
		t.Fatalf("test page could not load the SDK: %s", state)
	}
}

// outcome is what the page's register and authenticate functions resolve
// to: the nonce, or the SDK error's fields.
type outcome struct {
	Nonce     string `json:"nonce"`
	Name      string `json:"name"`
	Code      string `json:"code"`
	Status    int    `json:"status"`
	Message   string `json:"message"`
	FlexError bool   `json:"flexError"` // instanceof PassageFlexError
}

func (o outcome) String() string {
	if o.Nonce != "" {
		return "nonce"
	}
	return fmt.Sprintf("error name=%q code=%q status=%d message=%q flexError=%v", o.Name, o.Code, o.Status, o.Message, o.FlexError)
}

// call evaluates fn(args...) in the page, awaits the promise it returns and
// decodes its value into T.
func call[T any](t *testing.T, b *browser, fn string, args ...any) T {
	t.Helper()
	encoded := make([]string, len(args))
	for i, a := range args {
		j, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		encoded[i] = string(j)
	}
	ctx, cancel := context.WithTimeout(b.ctx, ceremonyTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](
		fn+"("+strings.Join(encoded, ", ")+")", chromedp.EvalAwaitPromise))
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%s did not settle within %v: a WebAuthn prompt waits for nobody", fn, ceremonyTimeout)
	}
	if err != nil {
		t.Fatalf("%s: %v", fn, err)
	}
	return v
}

// register runs window.register(transactionID, opts) in the page.
func (b *browser) register(t *testing.T, transactionID string, opts map[string]any) outcome {
	t.Helper()
	return call[outcome](t, b, "register", transactionID, opts)
}

// authenticate runs window.authenticate(transactionID, opts); an empty
// transactionID makes it discoverable.
func (b *browser) authenticate(t *testing.T, transactionID string, opts map[string]any) outcome {
	t.Helper()
	return call[outcome](t, b, "authenticate", transactionID, opts)
}

// credentials lists what the virtual authenticator holds.
func (b *browser) credentials(t *testing.T) []*webauthn.Credential {
	t.Helper()
	res, err := chromedp.Call(b.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: b.auth})
	if err != nil {
		t.Fatalf("get credentials: %v", err)
	}
	return res.Credentials
}

// mustNonce fails the test unless o carries a nonce.
func mustNonce(t *testing.T, o outcome) string {
	t.Helper()
	if o.Nonce == "" {
		t.Fatalf("ceremony failed: %v", o)
	}
	return o.Nonce
}

// mustFail fails the test unless o is an SDK error named name.
func mustFail(t *testing.T, o outcome, name string) {
	t.Helper()
	if o.Nonce != "" {
		t.Fatalf("ceremony succeeded, want %s", name)
	}
	if o.Name != name || !o.FlexError {
		t.Fatalf("got %v, want a PassageFlexError named %s", o, name)
	}
}

// setPresence turns the authenticator's automatic answer to user-presence
// tests on or off. Off, a ceremony waits until it is aborted.
func (b *browser) setPresence(t *testing.T, on bool) {
	t.Helper()
	_, err := chromedp.Call(b.ctx, webauthn.SetAutomaticPresenceSimulation,
		webauthn.SetAutomaticPresenceSimulationParams{AuthenticatorID: b.auth, Enabled: on})
	if err != nil {
		t.Fatalf("set presence simulation: %v", err)
	}
}

// waitFor waits until the JavaScript expression is truthy in the page.
func (b *browser) waitFor(t *testing.T, expr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, ceremonyTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(10*time.Millisecond),
		chromedp.WithPollingTimeout(ceremonyTimeout))); err != nil {
		t.Fatalf("wait for %s: %v", expr, err)
	}
}
