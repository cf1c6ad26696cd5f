//go:build e2e

package browsertest

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// probeScript runs in every document of a tab before the page's own
// scripts. It watches the page's WebAuthn requests and Content-Security-
// Policy violations and reports them to the test through the exposed
// function pbReport: the page's script cannot tell the test, since it
// navigates away the moment it succeeds.
const probeScript = `(() => {
  const report = (r) => { try { window.pbReport?.(r); } catch {} };
  document.addEventListener("securitypolicyviolation", (e) =>
    report({kind: "csp", directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample}));
  window.pbConditionalPending = 0;
  const creds = navigator.credentials;
  if (!creds) return;
  const get = creds.get.bind(creds);
  creds.get = (options) => {
    const mediation = options?.mediation ?? "optional";
    const conditional = mediation === "conditional";
    if (conditional) window.pbConditionalPending++;
    const p = get(options);
    p.then(
      () => report({kind: "get", mediation, outcome: "resolved"}),
      (e) => report({kind: "get", mediation, outcome: e?.name ?? "error"}),
    ).finally(() => { if (conditional) window.pbConditionalPending--; });
    return p;
  };
})();`

// probeReport is one report of probeScript.
type probeReport struct {
	Kind      string `json:"kind"` // "get" | "csp"
	Mediation string `json:"mediation"`
	Outcome   string `json:"outcome"` // "resolved" or the error's name
	Directive string `json:"directive"`
	Blocked   string `json:"blocked"`
	Sample    string `json:"sample"`
}

// fault is a canned answer the tab gives instead of the server to the next
// request whose URL contains match.
type fault struct {
	match  string
	status int
	body   string
}

// tab is one browser tab on the login page's origin, with an optional
// virtual authenticator, the probe, and request interception: the app's
// logo (whose https host does not exist) and faults.
type tab struct {
	ctx  context.Context
	auth webauthn.AuthenticatorID

	mu      sync.Mutex
	reports []probeReport // WebAuthn requests, since takeReports
	csp     []probeReport // CSP violations, all of them
	faults  []fault
}

// newTab prepares the tab of ctx (one that Start made, with its
// authenticator auth, or a fresh one).
func newTab(t *testing.T, ctx context.Context, auth webauthn.AuthenticatorID) *tab {
	t.Helper()
	tb := &tab{ctx: ctx, auth: auth}
	err := chromedp.Do(ctx,
		chromedp.ExposeFunc("pbReport", func(_ context.Context, r probeReport) (chromedp.Void, error) {
			tb.mu.Lock()
			if r.Kind == "csp" {
				tb.csp = append(tb.csp, r)
			} else {
				tb.reports = append(tb.reports, r)
			}
			tb.mu.Unlock()
			return chromedp.Void{}, nil
		}),
	)
	if err != nil {
		t.Fatalf("expose pbReport: %v", err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: probeScript}); err != nil {
		t.Fatalf("add probe: %v", err)
	}
	tb.intercept(t)
	return tb
}

// newBrowserTab opens another tab in the browser of parent (another browser
// context with fresh cookies when isolated), with an empty virtual
// authenticator when withAuthenticator.
func newBrowserTab(t *testing.T, parent context.Context, isolated, withAuthenticator bool) *tab {
	t.Helper()
	var opts []chromedp.ContextOption
	if isolated {
		opts = append(opts, chromedp.WithNewBrowserContext())
	}
	ctx, cancel := chromedp.NewContext(parent, opts...)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	var auth webauthn.AuthenticatorID
	if withAuthenticator {
		if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			t.Fatalf("enable webauthn domain: %v", err)
		}
		res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
				Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
				HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
			},
		})
		if err != nil {
			t.Fatalf("add virtual authenticator: %v", err)
		}
		auth = res.AuthenticatorID
	}
	return newTab(t, ctx, auth)
}

// logoSVG is the app's logo as the tab serves it.
const logoSVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 56"><rect width="56" height="56" rx="14" fill="#0f766e"/><path d="M16 20h24l-3 22H19z" fill="#fff"/><path d="M22 20a6 6 0 0 1 12 0" stroke="#fff" stroke-width="3" fill="none"/><text x="64" y="37" font-family="sans-serif" font-size="22" font-weight="700" fill="#0f766e">Shop</text></svg>`

// intercept answers the logo's requests and the faults through CDP's Fetch
// domain; every other request goes on unchanged.
func (tb *tab) intercept(t *testing.T) {
	t.Helper()
	events := chromedp.Events(tb.ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(tb.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
		{URLPattern: "https://logo.example/*"},
		{URLPattern: "*/transactions/webauthn/*"},
	}}); err != nil {
		t.Fatalf("enable fetch interception: %v", err)
	}
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			_ = tb.answer(ev)
		}
	}()
}

func (tb *tab) answer(ev fetch.EventRequestPaused) error {
	u := ev.Request.URL
	if strings.HasPrefix(u, "https://logo.example/") {
		_, err := chromedp.Call(tb.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
			RequestID: ev.RequestID, ResponseCode: http.StatusOK, Body: []byte(logoSVG),
			ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "image/svg+xml"}},
		})
		return err
	}
	tb.mu.Lock()
	var f *fault
	for i := range tb.faults {
		if strings.Contains(u, tb.faults[i].match) {
			f = &tb.faults[i]
			tb.faults = append(tb.faults[:i:i], tb.faults[i+1:]...)
			break
		}
	}
	tb.mu.Unlock()
	if f == nil || ev.Request.Method == http.MethodOptions {
		_, err := chromedp.Call(tb.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		return err
	}
	_, err := chromedp.Call(tb.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
		RequestID: ev.RequestID, ResponseCode: int64(f.status), Body: []byte(f.body),
		ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/json"}},
	})
	return err
}

// inject makes the next request whose URL contains match get status and
// body instead of the server's answer.
func (tb *tab) inject(match string, status int, body string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.faults = append(tb.faults, fault{match: match, status: status, body: body})
}

// takeReports returns the WebAuthn requests the probe reported since the
// last call.
func (tb *tab) takeReports() []probeReport {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	out := tb.reports
	tb.reports = nil
	return out
}

// expectGets waits until the probe has reported the WebAuthn requests want
// ("mediation:outcome"), in order, and fails the test if it reports others
// or not all of them in time. It takes the reports.
func (tb *tab) expectGets(t *testing.T, want ...string) {
	t.Helper()
	var got []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		got = append(got, gets(tb.takeReports())...)
		if len(got) >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !slices.Equal(got, want) {
		t.Errorf("WebAuthn requests %q, want %q", got, want)
	}
}

// gets returns the WebAuthn requests among reports, as "mediation:outcome".
func gets(reports []probeReport) []string {
	var out []string
	for _, r := range reports {
		if r.Kind == "get" {
			out = append(out, r.Mediation+":"+r.Outcome)
		}
	}
	return out
}

// violations returns the CSP violations the tab's pages reported.
func (tb *tab) violations() []probeReport {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return slices.Clone(tb.csp)
}

// navigate opens url and returns the document's HTTP status.
func (tb *tab) navigate(t *testing.T, url string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, ceremonyTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	if res == nil {
		return 0
	}
	return res.Status
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, ceremonyTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor waits until the expression is truthy in the page.
func (tb *tab) waitFor(t *testing.T, expr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, ceremonyTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(10*time.Millisecond),
		chromedp.WithPollingTimeout(ceremonyTimeout))); err != nil {
		t.Fatalf("wait for %s: %v", expr, err)
	}
}

// do runs actions on the tab.
func (tb *tab) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, ceremonyTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// setPresence turns the authenticator's automatic answer to user-presence
// tests on or off. Off, a request waits until it is aborted: a user who has
// not yet touched the authenticator or picked the passkey from the autofill.
func (tb *tab) setPresence(t *testing.T, on bool) {
	t.Helper()
	if _, err := chromedp.Call(tb.ctx, webauthn.SetAutomaticPresenceSimulation,
		webauthn.SetAutomaticPresenceSimulationParams{AuthenticatorID: tb.auth, Enabled: on}); err != nil {
		t.Fatalf("set presence simulation: %v", err)
	}
}

// setUserVerified makes the authenticator's user verification succeed or
// fail; failing, the browser answers NotAllowedError, as when the user
// cancels.
func (tb *tab) setUserVerified(t *testing.T, ok bool) {
	t.Helper()
	if _, err := chromedp.Call(tb.ctx, webauthn.SetUserVerified,
		webauthn.SetUserVerifiedParams{AuthenticatorID: tb.auth, IsUserVerified: ok}); err != nil {
		t.Fatalf("set user verified: %v", err)
	}
}

// arrive waits until the tab has loaded a page whose URL starts with
// prefix: a navigation the page started (a form post and its redirects)
// must end before the test starts the next one.
func (tb *tab) arrive(t *testing.T, prefix string) {
	t.Helper()
	deadline := time.Now().Add(ceremonyTimeout)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
		href, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`document.readyState === "complete" ? location.href : ""`))
		cancel()
		if err == nil && strings.HasPrefix(href, prefix) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tab did not reach %s (at %q, %v)", prefix, href, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// location is the tab's URL.
func (tb *tab) location(t *testing.T) string {
	t.Helper()
	return eval[string](t, tb, "location.href")
}

// pageMessage is what the login page's alert region says.
type pageMessage struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// message reads the alert region.
func (tb *tab) message(t *testing.T) pageMessage {
	t.Helper()
	return eval[pageMessage](t, tb, `(() => {
  const ps = document.querySelectorAll("#message p");
  return {title: ps[0]?.textContent ?? "", text: ps[1]?.textContent ?? ""};
})()`)
}

// errorPage is what the error page shows.
type errorPage struct {
	Code    string `json:"code"`
	Heading string `json:"heading"`
	Message string `json:"message"`
	Retry   string `json:"retry"`
}

func (tb *tab) errorPage(t *testing.T) errorPage {
	t.Helper()
	raw := eval[string](t, tb, `JSON.stringify({
  code: document.getElementById("error")?.dataset.code ?? "",
  heading: document.querySelector("h1")?.textContent.trim() ?? "",
  message: document.querySelector(".error")?.textContent.trim() ?? "",
  retry: document.getElementById("retry")?.href ?? "",
})`)
	var p errorPage
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// consoleProblems collects what pages reported as an error or warning to
// the console (CSP violations among them: Chromium logs each) until stop;
// without network, it leaves out failed loads (a 4xx answer the test asked
// for).
func consoleProblems(ctx context.Context, network bool) (stop func() []string) {
	ctx, cancel := context.WithCancel(ctx)
	messages := chromedp.Console(ctx)
	var (
		mu  sync.Mutex
		out []string
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Source == "network" && !network {
				continue
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() ||
				m.Source == "security" {
				mu.Lock()
				out = append(out, m.Source+" "+m.String()+" at "+m.URL)
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return out
	}
}

// screenshotDir is where screenshots go: $PASSBRIDGE_SCREENSHOTS, to keep
// them for a look, or the test's temporary directory.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PASSBRIDGE_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// saveScreenshot writes the tab's viewport to dir/name.png.
func saveScreenshot(t *testing.T, tb *tab, dir, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, ceremonyTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}
