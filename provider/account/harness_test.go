package account_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/account"
	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/login"
	pboidc "github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
	"github.com/passbridge/passbridge/templates"
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
	svc    *ceremony.Service
	clock  *apitest.Clock
	issuer string
	app    storage.App
}

// harnessOptions change the server newHarnessWith builds.
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
	ctx := t.Context()
	clock := apitest.NewClock()
	svc, err := ceremony.New(ceremony.Config{Store: st, Now: clock.Now, AAGUIDs: apitest.Registry(t)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	issuer := "http://localhost:" + port
	masterKey := storage.RandomBytes(32)
	keys, err := signing.New(signing.Config{Store: st, MasterKey: masterKey, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	op, err := pboidc.New(pboidc.Deps{Store: st, Keys: keys, Issuer: issuer, MasterKey: masterKey, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	page, err := login.New(login.Deps{Store: st, Ceremony: svc, Provider: op, Issuer: issuer, Templates: templates.FS(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	acct, err := account.New(account.Deps{Store: st, Ceremony: svc, Provider: op, Issuer: issuer, Templates: templates.FS(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	server, err := provider.New(provider.Deps{
		Store: st, Ceremony: svc, Issuer: issuer, MasterKey: masterKey, Now: clock.Now,
		RateLimit: opts.rate, RateLimitBurst: opts.burst,
		Areas: []provider.Area{
			flexapi.New(flexapi.Deps{Store: st, Ceremony: svc, Now: clock.Now, Issuer: issuer}),
			op, page, acct,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(server.Handler())
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	h := &harness{t: t, ctx: ctx, store: st, svc: svc, clock: clock, issuer: issuer}
	h.app, _ = apitest.CreateApp(t, ctx, st, clock.Now(), "Shop", "localhost", issuer)
	return h
}

// browser is one browser: a cookie jar, and a passkey provider.
type browser struct {
	h    *harness
	http *http.Client
	auth *softauthn.Authenticator
}

func (h *harness) newBrowser(opts softauthn.Options) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, auth: softauthn.New(opts), http: &http.Client{Jar: jar}}
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
	var rd io.Reader
	switch v := r.body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	case []byte:
		rd = bytes.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			b.h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(b.h.ctx, r.method, b.h.issuer+r.path, rd)
	if err != nil {
		b.h.t.Fatal(err)
	}
	switch r.origin {
	case "":
		req.Header.Set("Origin", b.h.issuer)
	case "-":
	default:
		req.Header.Set("Origin", r.origin)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	} else if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := b.http.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.h.t.Fatal(err)
	}
	return answer{status: res.StatusCode, header: res.Header, body: raw}
}

// flex calls the Flex client API and returns the handshake of a start or
// the nonce of a finish.
func (b *browser) flex(path string, body any) (id string, options []byte, nonce string) {
	b.h.t.Helper()
	a := b.do(request{method: http.MethodPost, path: "/v1/apps/" + b.h.app.ID + "/" + path, body: body})
	if a.status != http.StatusOK {
		b.h.t.Fatalf("%s: %d %s", path, a.status, a.body)
	}
	var out struct {
		Handshake struct {
			ID        string `json:"id"`
			Challenge struct {
				PublicKey json.RawMessage `json:"publicKey"`
			} `json:"challenge"`
		} `json:"handshake"`
		Nonce string `json:"nonce"`
	}
	a.decode(b.h.t, &out)
	return out.Handshake.ID, out.Handshake.Challenge.PublicKey, out.Nonce
}

// registerWith runs the Flex registration of register transaction tx with
// the browser's authenticator and returns its nonce.
func (b *browser) registerWith(tx string) string {
	b.h.t.Helper()
	hs, opts, _ := b.flex("register/transactions/webauthn/start", map[string]any{"transaction_id": tx, "authenticator_attachment": "any"})
	resp, _, err := b.auth.Register(opts, b.h.issuer)
	if err != nil {
		b.h.t.Fatal(err)
	}
	_, _, nonce := b.flex("register/transactions/webauthn/finish",
		map[string]any{"transaction_id": tx, "handshake_id": hs, "handshake_response": json.RawMessage(resp)})
	return nonce
}

// register gives the browser's authenticator a passkey of externalID, as
// the app's backend and page do, and returns the nonce of that
// registration.
func (b *browser) register(externalID string) string {
	b.h.t.Helper()
	tx, err := b.h.svc.CreateRegisterTransaction(b.h.ctx, b.h.app, externalID, externalID+"@example.com")
	if err != nil {
		b.h.t.Fatal(err)
	}
	return b.registerWith(tx.ID)
}

// authenticate runs a discoverable Flex authentication, as the account
// page's sign-in does, and returns its nonce.
func (b *browser) authenticate() string {
	b.h.t.Helper()
	hs, opts, _ := b.flex("authenticate/transactions/webauthn/start", map[string]any{})
	resp, err := b.auth.Authenticate(opts, b.h.issuer)
	if err != nil {
		b.h.t.Fatal(err)
	}
	_, _, nonce := b.flex("authenticate/transactions/webauthn/finish",
		map[string]any{"handshake_id": hs, "handshake_response": json.RawMessage(resp)})
	return nonce
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
