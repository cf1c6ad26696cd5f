//go:build e2e

package browsertest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"

	"github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/storage"
)

// standInEntra is Microsoft Entra ID as an external authentication method
// sees it, on another site (127.0.0.1, not localhost): a page that posts
// its request to the provider's authorization endpoint by itself, as
// Entra's does, with an id_token_hint it signs; the key set of its hints;
// and the reply URL, which records the form the provider's page posts.
type standInEntra struct {
	origin  string
	issuer  string
	key     *rsa.PrivateKey
	replies chan url.Values
	request url.Values // what /start posts
}

func newStandInEntra(t *testing.T) *standInEntra {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e := &standInEntra{key: key, replies: make(chan url.Values, 4), issuer: "https://login.microsoftonline.com/tenant-1/v2.0"}
	start := template.Must(template.New("start").Parse(`<!doctype html><title>Entra</title>
<form method="post" action="{{.Action}}" id="f">{{range $k, $vs := .Params}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">{{end}}{{end}}</form>
<script>document.getElementById("f").submit()</script>`))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &e.key.PublicKey, KeyID: "entra-1", Use: "sig"}}})
	})
	mux.HandleFunc("GET /start", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = start.Execute(w, map[string]any{"Action": r.URL.Query().Get("to"), "Params": e.request})
	})
	mux.HandleFunc("POST /reply", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		select {
		case e.replies <- r.PostForm:
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!doctype html><title>Entra</title><p id=entra>Entra's reply URL</p>")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	e.origin = "http://127.0.0.1:" + port
	return e
}

// hint signs Entra's id_token_hint for user oid: issued now, already
// expired.
func (e *standInEntra) hint(t *testing.T, oid string, now time.Time) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: e.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "entra-1"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{"ver": "2.0", "iss": e.issuer, "sub": "pairwise-" + oid, "aud": "app-1",
		"exp": now.Unix() - 1, "iat": now.Unix(), "nbf": now.Unix(), "oid": oid, "tid": "tenant-1",
		"preferred_username": oid + "@contoso.com"})
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := jws.CompactSerialize()
	return raw
}

// TestBrowserEAM runs an external authentication method sign-in in
// Chromium: the stand-in Entra page posts its request across sites to
// /authorize, the login page runs the passkey ceremony for the user the
// hint names (the browser binding cookie set on the cross-site POST comes
// back on the same-site redirect to /login, or the sign-in could not
// complete), and the provider's form_post page posts the ID token back to
// Entra's reply URL, with no Content-Security-Policy violation on the way.
func TestBrowserEAM(t *testing.T) {
	b := Start(t)
	e := newOIDCEnv(t)
	entra := newStandInEntra(t)
	now := e.clock.Now()
	c := storage.Client{
		ID: "client-" + storage.NewID(), AppID: e.app.ID, Name: "Entra", AuthMethod: storage.AuthMethodNone,
		RedirectURIs: []string{entra.origin + "/reply"}, AccessTokenType: oidc.AccessTokenOpaque, Implicit: true,
		HintIssuer: entra.issuer, HintJWKSURI: entra.origin + "/keys", HintAudience: "app-1", HintTenant: "tenant-1",
		CreatedAt: now, UpdatedAt: now,
	}
	if err := e.store.CreateClient(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	tb := newTab(t, b.Ctx, b.Authenticator)
	problems := consoleProblems(b.Ctx, false)
	tb.register(t, e, "oid-alice")

	entra.request = url.Values{"scope": {"openid"}, "response_type": {"id_token"}, "response_mode": {"form_post"},
		"client_id": {c.ID}, "redirect_uri": {entra.origin + "/reply"}, "nonce": {"nonce-1"}, "state": {"state-1"},
		"id_token_hint": {entra.hint(t, "oid-alice", e.clock.Now())}, "client-request-id": {"req-1"},
		"claims": {`{"id_token":{"acr":{"essential":true,"values":["possessionorinherence"]},"amr":{"essential":true,"values":["fido","hwk","swk"]}}}`}}
	tb.setPresence(t, false)
	tb.navigate(t, entra.origin+"/start?to="+url.QueryEscape(e.issuer+"/authorize"))
	tb.arrive(t, e.issuer+"/login")
	tb.waitFor(t, `!document.getElementById("complete").hidden || document.querySelector("#message p")`)
	tb.takeReports()
	tb.setPresence(t, true)
	tb.do(t, "click", chromedp.Click(chromedp.ID("passkey")))

	var reply url.Values
	select {
	case reply = <-entra.replies:
	case <-time.After(ceremonyTimeout):
		t.Fatalf("Entra's reply URL got nothing (the tab is at %s)", tb.location(t))
	}
	tb.arrive(t, entra.origin+"/reply")
	if reply.Get("state") != "state-1" || reply.Get("error") != "" {
		t.Fatalf("reply %v, want the state and no error", reply)
	}
	rp, err := gooidc.NewProvider(t.Context(), e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := rp.Verifier(&gooidc.Config{ClientID: c.ID, SupportedSigningAlgs: []string{"RS256"}}).Verify(t.Context(), reply.Get("id_token"))
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var claims struct {
		Sub, Nonce, ACR string
		AMR             []string
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Sub != "pairwise-oid-alice" || claims.Nonce != "nonce-1" || claims.ACR != "possessionorinherence" ||
		len(claims.AMR) != 1 || claims.AMR[0] != "fido" {
		t.Fatalf("ID token claims %+v", claims)
	}
	if v := tb.violations(); len(v) > 0 {
		t.Errorf("CSP violations: %+v", v)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("console errors and warnings: %q", p)
	}
}
