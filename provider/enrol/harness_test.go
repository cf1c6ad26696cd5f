package enrol_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

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
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// harness is one test's world: the whole server as serve builds it over
// real HTTP on http://localhost:PORT (the issuer), an app whose origin is
// the issuer's (RP ID localhost) with an API key, and a user the
// administrator created without a passkey.
type harness struct {
	t     testing.TB
	ctx   context.Context
	store storage.Store
	clock *apitest.Clock
	srv   *providertest.Server
	app   storage.App
	key   string
	user  storage.User
}

type harnessOptions struct {
	rate  float64 // per-address rate limit (0: none)
	burst int
}

func forEachEngine(t *testing.T, fn func(t *testing.T, h *harness)) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		fn(t, newHarness(t, open(t), harnessOptions{}))
	})
}

func openSQLite(t testing.TB) storage.Store { return sqlstoretest.Open(t, sqlstoretest.SQLite) }

func newHarness(t testing.TB, st storage.Store, opts harnessOptions) *harness {
	t.Helper()
	srv := providertest.Start(t, st, providertest.Options{RateLimit: opts.rate, RateLimitBurst: opts.burst})
	h := &harness{t: t, ctx: t.Context(), store: st, clock: srv.Clock, srv: srv}
	h.app, h.key = apitest.CreateApp(t, h.ctx, st, srv.Clock.Now(), "Shop", "localhost", srv.Issuer)
	h.user = h.createUser(h.app, "alice")
	return h
}

// createUser stores an active user without passkeys, as an import or an
// administrator leaves one.
func (h *harness) createUser(app storage.App, externalID string) storage.User {
	h.t.Helper()
	now := h.clock.Now()
	u := storage.User{
		ID: storage.NewID(), AppID: app.ID, ExternalID: externalID, Handle: storage.RandomBytes(32),
		DisplayName: externalID + "@example.com", Status: storage.UserActive, CreatedAt: now, UpdatedAt: now,
	}
	if err := h.store.CreateUser(h.ctx, u); err != nil {
		h.t.Fatal(err)
	}
	return u
}

// issue asks the Flex management API for an enrolment link of user, with
// body (nil: none), and returns its URL and token.
func (h *harness) issue(app storage.App, key, userID string, body any) (string, string) {
	h.t.Helper()
	r := apitest.Send(h.t, h.ctx, h.srv.HTTP, http.MethodPost, "/v1/apps/"+app.ID+"/users/"+userID+"/enrolment-links", body,
		map[string]string{"Authorization": "Bearer " + key})
	apitest.OK(h.t, r)
	var v struct {
		URL       string `json:"url"`
		ExpiresAt string `json:"expires_at"`
	}
	r.Decode(h.t, &v)
	token, ok := strings.CutPrefix(v.URL, h.srv.Issuer+"/enrol?token=")
	if !ok || token == "" {
		h.t.Fatalf("url %q is not the issuer's enrolment page", v.URL)
	}
	return v.URL, token
}

// link reads the stored link of a token.
func (h *harness) link(token string) storage.EnrolmentLink {
	h.t.Helper()
	l, err := h.store.GetEnrolmentLinkByHash(h.ctx, storage.HashSecret(token))
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

// devices lists a user's devices.
func (h *harness) devices(userID string) []storage.Device {
	h.t.Helper()
	ds, err := h.store.ListDevices(h.ctx, h.app.ID, userID)
	if err != nil {
		h.t.Fatal(err)
	}
	return ds
}

// browser is one browser: a cookie jar that does not follow redirects (the
// tests read them), and a passkey provider.
type browser struct {
	*providertest.Browser
	h *harness
}

func (h *harness) newBrowser() *browser {
	b := h.srv.NewBrowser(h.t, h.app, softauthn.Options{})
	b.HTTP.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{Browser: b, h: h}
}

// open GETs the page of a link (as a navigation: no Origin).
func (b *browser) open(token string) apitest.Response {
	b.h.t.Helper()
	return b.Do(providertest.Request{Method: http.MethodGet, Path: "/enrol?token=" + url.QueryEscape(token), Origin: "-"})
}

// transaction asks the page's call for a register transaction of a link.
func (b *browser) transaction(token string) apitest.Response {
	b.h.t.Helper()
	return b.Do(providertest.Request{Method: http.MethodPost, Path: "/enrol/transaction", Body: map[string]string{"token": token}})
}

// mustTransaction is transaction, which must succeed; it returns the
// transaction's ID.
func (b *browser) mustTransaction(token string) string {
	b.h.t.Helper()
	r := b.transaction(token)
	apitest.OK(b.h.t, r)
	var v struct {
		AppID         string `json:"app_id"`
		TransactionID string `json:"transaction_id"`
	}
	r.Decode(b.h.t, &v)
	if v.AppID != b.h.app.ID || v.TransactionID == "" {
		b.h.t.Fatalf("transaction answer %s", r.Body)
	}
	return v.TransactionID
}

// complete makes the page's last call: the token and the registration's
// nonce.
func (b *browser) complete(token, nonce string) apitest.Response {
	b.h.t.Helper()
	return b.Do(providertest.Request{Method: http.MethodPost, Path: "/enrol/complete",
		Body: map[string]string{"token": token, "nonce": nonce}})
}

// passkeys reads the signed-in user's passkeys on the account API; ok is
// false when the browser is not signed in to the app.
func (b *browser) passkeys() (list []passkeyView, externalID string, ok bool) {
	b.h.t.Helper()
	r := b.Do(providertest.Request{Method: http.MethodGet, Path: "/account/api/passkeys?app_id=" + b.h.app.ID})
	if r.Status == http.StatusUnauthorized {
		return nil, "", false
	}
	apitest.OK(b.h.t, r)
	var v struct {
		User struct {
			ExternalID string `json:"external_id"`
		} `json:"user"`
		Passkeys []passkeyView `json:"passkeys"`
	}
	if err := json.Unmarshal(r.Body, &v); err != nil {
		b.h.t.Fatal(err)
	}
	return v.Passkeys, v.User.ExternalID, true
}

type passkeyView struct {
	ID      string `json:"id"`
	Current bool   `json:"current"`
}

// checkPageHeaders checks the headers every page carries: a strict CSP
// (no inline script or style), no framing, no referrer (the URL holds a
// token), no caching.
func checkPageHeaders(t testing.TB, r apitest.Response) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type %q: %s", ct, r.Body)
	}
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
		"form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q allows something unsafe", csp)
	}
	if r.Header.Get("X-Frame-Options") != "DENY" || r.Header.Get("Cache-Control") != "no-store" ||
		r.Header.Get("Referrer-Policy") != "no-referrer" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("page headers %v", r.Header)
	}
}

// errorCode is the code an error page shows (its data-code).
func errorCode(t testing.TB, r apitest.Response) string {
	t.Helper()
	checkPageHeaders(t, r)
	body := string(r.Body)
	_, rest, ok := strings.Cut(body, `id="error" data-code="`)
	if !ok {
		t.Fatalf("not the error page: %s", body)
	}
	code, _, _ := strings.Cut(rest, `"`)
	return code
}

// tick moves the clock on, so that audit events keep their order.
func (h *harness) tick() { h.clock.Advance(time.Second) }
