package brokertest

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	// op and rp log through slog's default logger; refusals are the
	// tests' point.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// world is passbridge served whole as the upstream provider, with one
// app on the issuer's host, and a broker registered as its client.
type world struct {
	t      *testing.T
	srv    *providertest.Server
	app    storage.App
	broker *broker
}

// forEachEngine runs fn on SQLite, and on PostgreSQL when
// PASSBRIDGE_TEST_POSTGRES_DSN is set.
func forEachEngine(t *testing.T, fn func(t *testing.T, w *world)) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		st := open(t)
		srv := providertest.Start(t, st, providertest.Options{})
		app, _ := apitest.CreateApp(t, t.Context(), st, srv.Clock.Now(), "Shop", "localhost", srv.Issuer)
		fn(t, &world{t: t, srv: srv, app: app, broker: startBroker(t, st, app.ID, srv.Issuer, srv.Clock.Now())})
	})
}

// user is one person's browser: a cookie jar and a passkey provider,
// holding a passkey of externalID at passbridge.
type user struct {
	*providertest.Browser
	w *world
}

func (w *world) newUser(externalID string, opts softauthn.Options) *user {
	w.t.Helper()
	u := &user{Browser: w.srv.NewBrowser(w.t, w.app, opts), w: w}
	u.NewPasskey(externalID, "")
	return u
}

// page is where the browser stopped after following every redirect.
type page struct {
	status int
	url    *url.URL
	body   []byte
}

func (p page) String() string {
	body := strings.TrimSpace(string(p.body))
	if len(body) > 300 {
		body = body[:300]
	}
	return fmt.Sprintf("%d %s %s", p.status, p.url, body)
}

// json decodes the page's body.
func (p page) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(p.body, v); err != nil {
		t.Fatalf("%s: not JSON: %v", p, err)
	}
}

// onLoginPage reports the auth request of passbridge's login page the
// browser is on, or "".
func (p page) onLoginPage(issuer string) string {
	if !strings.HasPrefix(p.url.String(), issuer+"/login?") {
		return ""
	}
	return p.url.Query().Get("auth_request_id")
}

func (u *user) do(method, target string, form url.Values) page {
	u.w.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(u.w.t.Context(), method, target, body)
	if err != nil {
		u.w.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := u.HTTP.Do(req)
	if err != nil {
		u.w.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		u.w.t.Fatal(err)
	}
	return page{status: res.StatusCode, url: res.Request.URL, body: raw}
}

// visit opens the broker's path (with query q) in the browser.
func (u *user) visit(path string, q url.Values) page {
	u.w.t.Helper()
	target := u.w.broker.URL + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	return u.do(http.MethodGet, target, nil)
}

// passkey runs, on passbridge's login page for auth request id, what the
// page's script does: the ceremony it names with the browser's
// authenticator, then the form post to /login/complete. It returns
// where the redirects back through the broker end.
func (u *user) passkey(id string) page {
	u.w.t.Helper()
	info := u.do(http.MethodGet, u.w.srv.Issuer+"/login/ceremony?auth_request_id="+url.QueryEscape(id), nil)
	var c struct {
		Mode          string `json:"mode"`
		TransactionID string `json:"transaction_id"`
	}
	info.json(u.w.t, &c)
	if info.status != http.StatusOK || c.Mode != "authenticate" {
		u.w.t.Fatalf("login/ceremony: %s", info)
	}
	nonce := u.FlexAuthenticate(c.TransactionID)
	return u.do(http.MethodPost, u.w.srv.Issuer+"/login/complete", url.Values{"auth_request_id": {id}, "nonce": {nonce}})
}

// signIn starts a broker sign-in with q, which must stop at passbridge's
// login page, completes the ceremony, and returns where it ended.
func (u *user) signIn(q url.Values) page {
	u.w.t.Helper()
	p := u.visit("/login", q)
	id := p.onLoginPage(u.w.srv.Issuer)
	if id == "" {
		u.w.t.Fatalf("broker /login %v did not reach passbridge's login page: %s", q, p)
	}
	return u.passkey(id)
}

// me is the downstream app's view of the broker session.
func (u *user) me() (int, brokerSession) {
	u.w.t.Helper()
	p := u.visit("/me", nil)
	var s brokerSession
	if p.status == http.StatusOK {
		p.json(u.w.t, &s)
	}
	return p.status, s
}

// session reads a page that must be the broker's /me with a session.
func (p page) session(t testing.TB, brokerURL string) brokerSession {
	t.Helper()
	if p.status != http.StatusOK || p.url.String() != brokerURL+"/me" {
		t.Fatalf("did not reach the downstream app: %s", p)
	}
	var s brokerSession
	p.json(t, &s)
	return s
}
