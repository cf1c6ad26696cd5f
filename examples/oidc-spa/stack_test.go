//go:build e2e

package oidcspa

import (
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage"
)

// stack is a real passbridge with a public client, and the example's Node
// server on another loopback port, as the README sets them up.
type stack struct {
	t      *testing.T
	p      *exampletest.Passbridge
	app    storage.App
	client storage.Client
	site   string // the example's origin, http://localhost:PORT
	rec    *recorder
}

type stackOptions struct {
	engine       string
	signupClosed bool // the client's app allows no sign-up
}

func startStack(t *testing.T, opts stackOptions) *stack {
	t.Helper()
	port, site := exampletest.FreePort(t)
	rec := &recorder{site: site}
	p := exampletest.Start(t, exampletest.Options{Engine: opts.engine, Wrap: rec.wrap})
	var app storage.App
	if opts.signupClosed {
		app, _ = p.CreateApp(storage.App{Name: "Closed app", RPID: "localhost", Origins: []string{p.Issuer}})
	} else {
		app = p.DefaultApp()
	}
	// As `passbridge clients create --public --redirect-uri …
	// --post-logout-redirect-uri …`: no scope beyond the standard ones.
	client, _ := p.CreateClient(storage.Client{
		AppID: app.ID, Name: "oidc-spa", AuthMethod: storage.AuthMethodNone,
		RedirectURIs:           []string{site + "/callback.html"},
		PostLogoutRedirectURIs: []string{site + "/"},
	})
	s := &stack{t: t, p: p, app: app, client: client, site: site, rec: rec}
	s.checkAuthorize()
	exampletest.NPMInstall(t, ".")
	exampletest.StartNode(t, ".", "server.js", site, map[string]string{
		"ISSUER": p.Issuer, "CLIENT_ID": client.ID, "PORT": port,
	})
	return s
}

// checkAuthorize fails the test at once, saying why, when passbridge does
// not take the public client's authorization request (code, PKCE S256, its
// http://localhost redirect URI) to its login page: the tab would only
// wait in vain on passbridge's error page.
func (s *stack) checkAuthorize() {
	s.t.Helper()
	q := url.Values{
		"client_id": {s.client.ID}, "redirect_uri": {s.site + "/callback.html"}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"check"}, "code_challenge": {strings.Repeat("A", 43)}, "code_challenge_method": {"S256"},
	}
	res, body := get(s.t, http.MethodGet, s.p.Issuer+"/authorize?"+q.Encode(), "")
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, s.p.Issuer+"/login?") {
		said := body
		if m := errorText.FindStringSubmatch(body); m != nil {
			said = html.UnescapeString(m[1])
		}
		s.t.Fatalf("passbridge does not take a public client's authorization request with redirect_uri %s/callback.html "+
			"to its login page: %d, Location %q: %s", s.site, res.StatusCode, loc, said)
	}
}

// errorText is the message of passbridge's error page.
var errorText = regexp.MustCompile(`(?s)<p class="error"[^>]*>(.*?)</p>`)

// newTab opens a Chromium tab; when the test fails, its log shows what the
// page said.
func newTab(t *testing.T) *exampletest.Tab {
	tab := exampletest.NewTab(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the tab at %s says: status %q; message %q", tab.Href(),
				tab.State(`document.getElementById("status")?.textContent ?? ""`),
				tab.State(`document.getElementById("message")?.textContent ?? ""`))
		}
	})
	return tab
}

// pageUser is what oidc-client-ts keeps of the signed-in user in the tab's
// sessionStorage.
type pageUser struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Scope        string `json:"scope"`
}

// user reads the signed-in user from the tab's sessionStorage; ok is false
// when there is none.
func (s *stack) user(tab *exampletest.Tab) (pageUser, bool) {
	s.t.Helper()
	key := "oidc.user:" + s.p.Issuer + ":" + s.client.ID
	raw := tab.Eval(`sessionStorage.getItem(` + strconv.Quote(key) + `) ?? ""`)
	if raw == "" {
		return pageUser{}, false
	}
	var u pageUser
	if err := json.Unmarshal([]byte(raw), &u); err != nil {
		s.t.Fatalf("the stored user: %v", err)
	}
	return u, true
}

// refreshToken is passbridge's record of a refresh token: ErrReused once it
// was rotated, ErrNotFound once revoked.
func (s *stack) refreshToken(token string) (storage.RefreshToken, error) {
	return s.p.Store.GetRefreshTokenByHash(s.t.Context(), storage.HashSecret(token), s.p.Clock.Now())
}

// userinfo is the status of passbridge's userinfo endpoint for an access
// token.
func (s *stack) userinfo(accessToken string) int {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), http.MethodGet, s.p.Issuer+"/userinfo", nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// syncClock sets passbridge's clock (which a test moves by hand) to the
// real time plus ahead, which the browser's clock keeps.
func (s *stack) syncClock(ahead time.Duration) {
	if d := time.Until(s.p.Clock.Now()); d < ahead {
		s.p.Clock.Advance(ahead - d)
	}
}

// claim is the text of a claim the page shows ("" when it shows none).
func claim(tab *exampletest.Tab, name string) string {
	return tab.Eval(`document.querySelector('[data-claim="` + name + `"]')?.textContent ?? ""`)
}

// authTime is the auth_time the page shows.
func authTime(t *testing.T, tab *exampletest.Tab) time.Time {
	t.Helper()
	v := tab.Eval(`document.querySelector('[data-claim="auth_time"] time')?.dateTime ?? ""`)
	at, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t.Fatalf("auth_time on the page: %q: %v", v, err)
	}
	return at
}

// signUp creates a passkey for a new user on passbridge's page and waits
// for the app's page to show the user's claims; it returns the sub.
func (s *stack) signUp(tab *exampletest.Tab) string {
	s.t.Helper()
	tab.Navigate(s.site + "/")
	tab.Click("sign-up")
	tab.PasskeyUntilBack(s.site + "/")
	waitSignedIn(tab)
	return claim(tab, "sub")
}

// waitSignedIn waits until the app's page shows a signed-in user.
func waitSignedIn(tab *exampletest.Tab) {
	tab.T.Helper()
	tab.Until("the signed-in page", `location.pathname === "/" && !document.getElementById("signed-in").hidden && `+
		`document.querySelector('[data-claim="sub"]') !== null`)
}

// messageIs waits until the page's message is the one of code, and returns
// its text.
func messageIs(tab *exampletest.Tab, code string) string {
	tab.T.Helper()
	tab.Until("the message "+code, `document.getElementById("message").dataset.error === `+strconv.Quote(code))
	return tab.Text("message")
}

// recorder notes what reached passbridge: the authorization requests, the
// token requests, and the redirects it sent to the app's callback.
type recorder struct {
	site string

	mu        sync.Mutex
	authorize []url.Values
	tokens    int
	callbacks []string
}

func (r *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		switch {
		case req.URL.Path == "/authorize":
			r.authorize = append(r.authorize, req.URL.Query())
		case req.URL.Path == "/oauth/token" && req.Method == http.MethodPost:
			r.tokens++
		}
		r.mu.Unlock()
		next.ServeHTTP(&locationWriter{ResponseWriter: w, r: r}, req)
	})
}

// lastAuthorize is the query of the latest authorization request.
func (r *recorder) lastAuthorize(t *testing.T) url.Values {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.authorize) == 0 {
		t.Fatal("no authorization request reached passbridge")
	}
	return r.authorize[len(r.authorize)-1]
}

func (r *recorder) tokenRequests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tokens
}

// lastCallback is the latest redirect to the app's callback, code and state
// in it.
func (r *recorder) lastCallback(t *testing.T) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.callbacks) == 0 {
		t.Fatal("passbridge sent no redirect to the callback")
	}
	return r.callbacks[len(r.callbacks)-1]
}

type locationWriter struct {
	http.ResponseWriter
	r *recorder
}

func (w *locationWriter) WriteHeader(status int) {
	if loc := w.Header().Get("Location"); status >= 300 && status < 400 && strings.HasPrefix(loc, w.r.site+"/callback.html?") {
		w.r.mu.Lock()
		w.r.callbacks = append(w.r.callbacks, loc)
		w.r.mu.Unlock()
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *locationWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// isReused reports whether err says a refresh token was rotated already.
func isReused(err error) bool { return errors.Is(err, storage.ErrReused) }

// isGone reports whether err says a refresh token is unknown (revoked).
func isGone(err error) bool { return errors.Is(err, storage.ErrNotFound) }
