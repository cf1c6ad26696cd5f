//go:build e2e

package browsertest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestBrowserFlexCrossOrigin loads the SDK the way a customer page on
// another origin does: imported as a module from passbridge's origin
// (http://127.0.0.1:PORT) into a page of the app's origin
// (http://localhost:PORT), with no baseUrl. The module fetch, the client
// API's preflights and its calls are all cross-origin.
func TestBrowserFlexCrossOrigin(t *testing.T) {
	b := startBrowser(t)
	e := newEnv(t)
	b.open(t, e.pageURL("", url.Values{"sdk": {e.loopback + "/sdk/flex.js"}}))

	if caps := call[capabilities](t, b, "capabilities"); caps.BaseURL != e.loopback {
		t.Fatalf("baseUrl %q, want the origin the module came from, %q", caps.BaseURL, e.loopback)
	}

	step(t, "register and authenticate", func(t *testing.T) {
		e.rec.take()
		nonce := mustNonce(t, b.register(t, e.registerTransaction(t, "bob"), nil))
		if got := e.verify(t, nonce); got != "bob" {
			t.Fatalf("nonce verified as %q, want bob", got)
		}
		nonce = mustNonce(t, b.authenticate(t, "", nil))
		if got := e.verify(t, nonce); got != "bob" {
			t.Fatalf("nonce verified as %q, want bob", got)
		}
		reqs := e.rec.take()
		checkWire(t, reqs, []wireCall{
			{"register/transactions/webauthn/start", []string{"transaction_id", "authenticator_attachment"}},
			{"register/transactions/webauthn/finish", []string{"transaction_id", "handshake_id", "handshake_response"}},
			{"authenticate/transactions/webauthn/start", nil},
			{"authenticate/transactions/webauthn/finish", []string{"handshake_id", "handshake_response"}},
		})
		preflights := 0
		for _, r := range reqs {
			if got := r.Header.Get("Origin"); got != e.page {
				t.Errorf("%s %s: Origin %q, want %q", r.Method, r.Path, got, e.page)
			}
			if r.Method != http.MethodOptions {
				continue
			}
			preflights++
			asked := strings.ToLower(r.Header.Get("Access-Control-Request-Headers"))
			if !strings.Contains(asked, "passage-flex-version") || !strings.Contains(asked, "content-type") {
				t.Errorf("preflight of %s asked for headers %q", r.Path, asked)
			}
		}
		// Each of the four paths is preflighted once (the answer is then
		// cached), since the SDK sends a header outside the CORS safelist.
		if preflights != 4 {
			t.Errorf("%d preflights, want 4", preflights)
		}
	})

	step(t, "an origin the app does not list is refused", func(t *testing.T) {
		other := e.createApp(t, "Other", "https://app.localhost")
		e.rec.take()
		out := b.authenticate(t, "", map[string]any{"app": other.ID})
		// The browser hides a refused preflight's answer from the page: the
		// fetch fails as a network error would.
		mustFail(t, out, "NetworkError")
		reqs := e.rec.take()
		if len(reqs) != 1 || reqs[0].Method != http.MethodOptions || reqs[0].Code != "origin_not_allowed" {
			t.Fatalf("requests %+v, want one preflight refused with origin_not_allowed", reqs)
		}
	})
}
