package account_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

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

// Authenticator models of the AAGUID list, both with icons: a synced
// passkey provider and a device-bound platform authenticator.
var (
	aaguidApple   = [16]byte(uuid.MustParse("fbfc3007-154e-4ecc-8c0b-6e020557d7bd"))
	aaguidWindows = [16]byte(uuid.MustParse("08987058-cadc-4b81-b6e1-30de50dcbe96"))
)

// harness is one test's world: the whole server as serve builds it (Flex
// API, OIDC provider, login and account pages) over real HTTP on
// http://localhost:PORT, the issuer, and an app whose origin is the
// issuer's (RP ID localhost).
type harness struct {
	t      testing.TB
	ctx    context.Context
	store  storage.Store
	clock  *apitest.Clock
	issuer string
	app    storage.App
	srv    *providertest.Server
}

// harnessOptions change the server newHarness builds.
type harnessOptions struct {
	rate  float64 // per-address rate limit (0: none)
	burst int
}

func forEachEngine(t *testing.T, fn func(t *testing.T, h *harness)) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		fn(t, newHarness(t, open(t), harnessOptions{}))
	})
}

func newHarness(t testing.TB, st storage.Store, opts harnessOptions) *harness {
	t.Helper()
	srv := providertest.Start(t, st, providertest.Options{RateLimit: opts.rate, RateLimitBurst: opts.burst})
	h := &harness{t: t, ctx: t.Context(), store: st, clock: srv.Clock, issuer: srv.Issuer, srv: srv}
	h.app, _ = apitest.CreateApp(t, h.ctx, st, srv.Clock.Now(), "Shop", "localhost", srv.Issuer)
	return h
}

// browser is one browser: a cookie jar, and a passkey provider.
type browser struct {
	*providertest.Browser
	h *harness
}

func (h *harness) newBrowser(opts softauthn.Options) *browser {
	return &browser{Browser: h.srv.NewBrowser(h.t, h.app, opts), h: h}
}

// answer is an HTTP answer, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("status %d, body %q: %v", a.status, a.body, err)
	}
}

// wantError checks an error answer: status and {"code", "error"}.
func (a answer) wantError(t testing.TB, status int, code string) {
	t.Helper()
	apitest.WantError(t, apitest.Response{Status: a.status, Header: a.header, Body: a.body}, status, code)
	// The rate limit refuses before any area's middleware runs.
	if cc := a.header.Get("Cache-Control"); cc != "no-store" && status != http.StatusTooManyRequests {
		t.Errorf("Cache-Control %q on an error, want no-store", cc)
	}
}

// request is one call as the account page's script makes it, unless the
// fields say otherwise.
type request struct {
	method, path string
	body         any    // encoded as JSON unless a string or []byte
	origin       string // "" is the issuer's; "-" sends none
	contentType  string // "" is application/json for a body
}

// do sends r from the browser.
func (b *browser) do(r request) answer {
	b.h.t.Helper()
	a := b.Do(providertest.Request{Method: r.method, Path: r.path, Body: r.body, Origin: r.origin, ContentType: r.contentType})
	return answer{status: a.Status, header: a.Header, body: a.Body}
}

// register gives the browser's authenticator a passkey of externalID, as
// the app's backend and the account page do (any authenticator), and
// returns the nonce of that registration.
func (b *browser) register(externalID string) string {
	b.h.t.Helper()
	return b.NewPasskey(externalID, "any")
}

// authenticate runs a discoverable Flex authentication, as the account
// page's sign-in does, and returns its nonce.
func (b *browser) authenticate() string {
	b.h.t.Helper()
	return b.FlexAuthenticate("")
}

// signIn signs the browser in on the account page with its passkey.
func (b *browser) signIn() {
	b.h.t.Helper()
	a := b.do(request{method: http.MethodPost, path: "/account/session", body: map[string]string{"app_id": b.h.app.ID, "nonce": b.authenticate()}})
	if a.status != http.StatusOK {
		b.h.t.Fatalf("sign in: %d %s", a.status, a.body)
	}
}

// passkeyView is a passkey as the account API shows it.
type passkeyView struct {
	ID                string  `json:"id"`
	CredID            string  `json:"cred_id"`
	Name              string  `json:"name"`
	Type              string  `json:"type"`
	AuthenticatorName *string `json:"authenticator_name"`
	Icons             struct {
		Light *string `json:"light"`
		Dark  *string `json:"dark"`
	} `json:"icons"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
	Synced     bool    `json:"synced"`
	Current    bool    `json:"current"`
}

// listView is the account API's list.
type listView struct {
	AppID string `json:"app_id"`
	RPID  string `json:"rp_id"`
	User  struct {
		ExternalID  string `json:"external_id"`
		Handle      string `json:"handle"`
		Name        string `json:"name"`
		DisplayName string `json:"display_name"`
	} `json:"user"`
	Passkeys  []passkeyView `json:"passkeys"`
	SignedOut bool          `json:"signed_out"`
}

func (b *browser) listAnswer() answer {
	return b.do(request{method: http.MethodGet, path: "/account/api/passkeys?app_id=" + url.QueryEscape(b.h.app.ID)})
}

// list reads the signed-in user's passkeys.
func (b *browser) list() listView {
	b.h.t.Helper()
	a := b.listAnswer()
	if a.status != http.StatusOK {
		b.h.t.Fatalf("list: %d %s", a.status, a.body)
	}
	var v listView
	a.decode(b.h.t, &v)
	return v
}

// passkeyPath is the account API path of passkey id.
func (h *harness) passkeyPath(id string) string {
	return "/account/api/passkeys/" + url.PathEscape(id) + "?app_id=" + url.QueryEscape(h.app.ID)
}

// device reads a stored device.
func (h *harness) device(id string) (storage.Device, bool) {
	h.t.Helper()
	d, err := h.store.GetDevice(h.ctx, h.app.ID, id)
	if err != nil {
		return storage.Device{}, false
	}
	return d, true
}

func openSQLite(t testing.TB) storage.Store { return sqlstoretest.Open(t, sqlstoretest.SQLite) }

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
