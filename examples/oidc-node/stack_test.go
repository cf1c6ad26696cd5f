//go:build e2e

// Package oidcnode_test drives the Node.js example, as a person does in
// Chromium, against a real passbridge in the test process: the app's own
// process (node server.js, with the packages package-lock.json pins), a
// virtual authenticator, and passbridge's login page.
package oidcnode_test

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// stack is passbridge, the example app as its client, and what the browser
// asked passbridge for.
type stack struct {
	pb   *exampletest.Passbridge
	app  storage.App
	site string // the app's origin, http://localhost:PORT
	// secret is the client's secret, which nothing may log.
	secret string
	log    *exampletest.Log
	rec    *recorder
}

// startStack starts passbridge on engine with its default app (sign-up
// open) and a confidential client for the example, then the example, as
// the README's steps do, with env added to its environment.
func startStack(t *testing.T, engine string, env map[string]string) *stack {
	t.Helper()
	// Installed first: passbridge's test clock starts at the real time and
	// should stay near it (see catchUp).
	dir := nodeDir(t)
	rec := &recorder{}
	pb := exampletest.Start(t, exampletest.Options{Engine: engine, Wrap: rec.wrap})
	app := pb.DefaultApp()
	port, site := exampletest.FreePort(t)
	client, secret := pb.CreateClient(storage.Client{
		AppID:                  app.ID,
		Name:                   "oidc-node",
		AuthMethod:             storage.AuthMethodBasic,
		RedirectURIs:           []string{site + "/callback"},
		PostLogoutRedirectURIs: []string{site + "/"},
	})
	vars := map[string]string{
		"ISSUER":        pb.Issuer,
		"CLIENT_ID":     client.ID,
		"CLIENT_SECRET": secret,
		"PORT":          port,
		"BASE_URL":      site,
	}
	maps.Copy(vars, env)
	log := exampletest.StartNode(t, dir, "server.js", site, vars)
	return &stack{pb: pb, app: app, site: site, secret: secret, log: log, rec: rec}
}

// engines are the stores the journey runs on; PostgreSQL's subtest skips
// unless PASSBRIDGE_TEST_POSTGRES_DSN is set.
var engines = []string{sqlstoretest.SQLite, sqlstoretest.Postgres}

// catchUp moves passbridge's clock, which the test holds still, to the
// real time that the app's clock (Node's) reads, and past the last
// auth_time: the ID token's auth_time must then move, and be fresh to the
// app and to openid-client.
func (s *stack) catchUp() {
	now := s.pb.Clock.Now()
	s.pb.Clock.Advance(max(2*time.Second, time.Until(now)+time.Second))
}

// sessions are passbridge's sessions of the app's user sub.
func (s *stack) sessions(sub string) []storage.Session {
	return s.pb.Sessions(s.app.ID, sub)
}

// recorder keeps the queries of the browser's requests to passbridge's
// authorization and end-session endpoints; and while forgeSignatures is
// set, it breaks the signature of the ID tokens passbridge's token endpoint
// answers, as a party between the app and passbridge could.
type recorder struct {
	mu              sync.Mutex
	seen            map[string][]url.Values // by path
	callback        string                  // where passbridge last sent the browser back with a code
	forgeSignatures atomic.Bool
}

func (r *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch p := req.URL.Path; {
		case p == "/authorize" || p == "/end_session":
			r.mu.Lock()
			if r.seen == nil {
				r.seen = map[string][]url.Values{}
			}
			r.seen[p] = append(r.seen[p], req.URL.Query())
			r.mu.Unlock()
		case p == "/oauth/token" && r.forgeSignatures.Load():
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body := forgeSignature(rec.Body.Bytes())
			maps.Copy(w.Header(), rec.Header())
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body)
			return
		}
		h.ServeHTTP(w, req)
		if to := w.Header().Get("Location"); strings.Contains(to, "/callback?code=") {
			r.mu.Lock()
			r.callback = to
			r.mu.Unlock()
		}
	})
}

// lastCallback is the URL passbridge last sent the browser back to with a
// code.
func (r *recorder) lastCallback(t *testing.T) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.callback == "" {
		t.Fatal("passbridge sent no code back")
	}
	return r.callback
}

// forgeSignature changes a byte of the signature of the id_token in a
// token response, leaving its claims as they were.
func forgeSignature(body []byte) []byte {
	var res map[string]any
	if json.Unmarshal(body, &res) != nil {
		return body
	}
	jwt, _ := res["id_token"].(string)
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return body
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) == 0 {
		return body
	}
	sig[0] ^= 0xff
	parts[2] = base64.RawURLEncoding.EncodeToString(sig)
	res["id_token"] = strings.Join(parts, ".")
	out, err := json.Marshal(res)
	if err != nil {
		return body
	}
	return out
}

// last is the query of the last request to path.
func (r *recorder) last(t *testing.T, path string) url.Values {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.seen[path]
	if len(list) == 0 {
		t.Fatalf("no request to %s", path)
	}
	return list[len(list)-1]
}

// want checks that q has each of the parameters with exactly these values
// ("*": any non-empty value) and none of absent.
func want(t *testing.T, what string, q url.Values, params map[string]string, absent ...string) {
	t.Helper()
	for k, v := range params {
		got, ok := q[k]
		switch {
		case !ok || len(got) != 1 || got[0] == "":
			t.Errorf("%s: %s = %q, want one value", what, k, got)
		case v != "*" && got[0] != v:
			t.Errorf("%s: %s = %q, want %q", what, k, got[0], v)
		}
	}
	for _, k := range absent {
		if q.Has(k) {
			t.Errorf("%s: has %s = %q", what, k, q[k])
		}
	}
}

// page is what the app's page shows, read in the tab.
type page struct {
	tab *exampletest.Tab
}

// claim is the text of the signed-in page's claim name.
func (p page) claim(name string) string {
	return p.tab.Eval(`document.querySelector('[data-claim=` + strconv.Quote(name) + `]')?.textContent ?? ""`)
}

// authTime is the datetime of the page's auth_time.
func (p page) authTime() time.Time {
	p.tab.T.Helper()
	raw := p.tab.Eval(`document.querySelector('[data-claim="auth_time"] time')?.dateTime ?? ""`)
	at, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		p.tab.T.Fatalf("auth_time %q on %s: %v", raw, p.tab.Href(), err)
	}
	return at
}

// has reports whether an element with id is on the page.
func (p page) has(id string) bool {
	return p.tab.Eval(`document.getElementById(`+strconv.Quote(id)+`) ? "yes" : ""`) == "yes"
}

// errorCode is the code the app's error page shows; "" on another page.
func (p page) errorCode() string {
	return p.tab.Eval(`document.getElementById("error")?.dataset.code ?? ""`)
}

// signedOut checks that the tab shows the app's signed-out page.
func (p page) signedOut(s *stack) {
	p.tab.T.Helper()
	p.tab.Navigate(s.site + "/")
	if !p.has("sign-in") || p.has("claims") {
		p.tab.T.Fatalf("the app shows a session at %s", p.tab.Href())
	}
}

// onLoginPage waits until the tab is on passbridge's login page, with its
// passkey button ready.
func onLoginPage(tab *exampletest.Tab, s *stack) {
	tab.T.Helper()
	tab.Until("passbridge's login page", `location.href.startsWith(`+strconv.Quote(s.pb.Issuer+"/login")+`) && `+
		`document.getElementById("passkey") && !document.getElementById("passkey").disabled`)
}

// loginMessage waits until passbridge's login page shows a message and
// returns its title.
func loginMessage(tab *exampletest.Tab) string {
	tab.T.Helper()
	tab.Until("a message on passbridge's login page", `document.querySelector("#message .message-title")`)
	return tab.Eval(`document.querySelector("#message .message-title").textContent`)
}

// amr is the page's amr claim, sorted.
func amr(s string) []string {
	list := strings.Fields(s)
	slices.Sort(list)
	return list
}
