//go:build e2e

package browsertest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserFlexAbortWhileReading: a new ceremony that replaces a pending
// one while the pending one's answer is still being read rejects the
// pending one with AbortError, as it does before the answer begins; it is
// not a server fault (unexpected_response), which the sign-in page would
// show as "something went wrong on our side". The SDK's calls go to a
// server that sends a start answer's headers and then holds its body.
func TestBrowserFlexAbortWhileReading(t *testing.T) {
	b := startBrowser(t)
	e := newEnv(t)
	headers := make(chan struct{}, 4)
	done := make(chan struct{})
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", e.page)
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "POST")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Passage-Flex-Version")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"handshake": `))
		w.(http.Flusher).Flush()
		headers <- struct{}{}
		select { // the rest never comes: the client gives up, or the test ends
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(stall.Close)
	t.Cleanup(func() { close(done) }) // runs first: no handler outlives the test
	u, _ := url.Parse(stall.URL)
	base := "http://localhost:" + u.Port()

	b.open(t, e.pageURL("", url.Values{"base": {base}}))
	call[chromedp.Void](t, b, "startConditional")
	select {
	case <-headers:
	case <-time.After(ceremonyTimeout):
		t.Fatal("the SDK's start never reached the server")
	}
	b.waitFor(t, "window.fetchesAnswered === 1") // the SDK is reading the body
	// The next ceremony takes over (its own start stalls too; its outcome
	// is not awaited).
	call[chromedp.Void](t, b, "eval", `void (window.second = window.authenticate("", {}))`)
	got := call[outcome](t, b, "conditionalOutcome")
	mustFail(t, got, "AbortError")
	if strings.Contains(got.Code, "unexpected") {
		t.Fatalf("the replaced ceremony failed as %+v", got)
	}
}
