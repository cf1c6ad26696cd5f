package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

func newTestHandler(t *testing.T, issuer string) *app {
	t.Helper()
	h, err := newHandler(Config{Issuer: issuer, ClientID: "client", ClientSecret: "pbcs_x",
		RedirectURL: "http://localhost:3001/callback"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// The pages carry the security headers, load no script, and are not
// cached.
func TestPageHeaders(t *testing.T) {
	h := newTestHandler(t, "https://id.example.com")
	res := httptest.NewRecorder()
	h.ServeHTTP(res, httptest.NewRequest(http.MethodGet, "/", nil))
	if res.Code != http.StatusOK {
		t.Fatalf("GET / answered %d", res.Code)
	}
	for k, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; " +
			"form-action 'self' https://id.example.com; base-uri 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "same-origin",
		"Cross-Origin-Opener-Policy": "same-origin",
		"Cache-Control":              "no-store",
		"Content-Type":               "text/html; charset=utf-8",
	} {
		if got := res.Header().Get(k); got != want {
			t.Errorf("%s\n got %q\nwant %q", k, got, want)
		}
	}
	body := res.Body.String()
	if strings.Contains(body, "<script") || regexp.MustCompile(`\son[a-z]+=`).MatchString(body) {
		t.Errorf("the page has script:\n%s", body)
	}
	if !strings.Contains(body, `<form method="get" action="/login">`) || !strings.Contains(body, "Sign in with a passkey") {
		t.Errorf("the signed-out page offers no sign-in:\n%s", body)
	}

	css := httptest.NewRecorder()
	h.ServeHTTP(css, httptest.NewRequest(http.MethodGet, "/static/app.css", nil))
	if css.Code != http.StatusOK || !strings.HasPrefix(css.Header().Get("Content-Type"), "text/css") {
		t.Errorf("GET /static/app.css answered %d %q", css.Code, css.Header().Get("Content-Type"))
	}
}

// With the app on https its cookies are Secure, __Host- prefixed, and HSTS
// is on.
func TestSecureCookies(t *testing.T) {
	h, err := newHandler(Config{Issuer: "https://id.example.com", ClientID: "client", ClientSecret: "pbcs_x",
		RedirectURL: "https://shop.example.com/callback"})
	if err != nil {
		t.Fatal(err)
	}
	res := httptest.NewRecorder()
	h.cookies.set(res, sessionCookie, "v", time.Minute)
	c := res.Result().Cookies()[0]
	if c.Name != "__Host-oidcgo_session" || !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" {
		t.Errorf("cookie %+v", c)
	}
	res = httptest.NewRecorder()
	h.ServeHTTP(res, httptest.NewRequest(http.MethodGet, "/", nil))
	if res.Header().Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over https")
	}
}

// When passbridge cannot be reached, sign-in says so (502) and tells
// nothing of why.
func TestPassbridgeUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://localhost:" + strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:")
	ln.Close()
	h := newTestHandler(t, closed)
	res := httptest.NewRecorder()
	h.ServeHTTP(res, httptest.NewRequest(http.MethodGet, "/login", nil))
	if res.Code != http.StatusBadGateway || !strings.Contains(res.Body.String(), `data-code="passbridge_unavailable"`) {
		t.Fatalf("GET /login with passbridge down: %d %s", res.Code, res.Body)
	}
	if strings.Contains(res.Body.String(), "refused") || strings.Contains(res.Body.String(), closed) {
		t.Errorf("the page tells the network error:\n%s", res.Body)
	}
	if res.Header().Get("Set-Cookie") != "" {
		t.Error("a flow was started without passbridge")
	}
	// A step-up needs a session first.
	res = httptest.NewRecorder()
	h.ServeHTTP(res, httptest.NewRequest(http.MethodGet, "/login?step_up=1", nil))
	if res.Code != http.StatusBadRequest || !strings.Contains(res.Body.String(), `data-code="not_signed_in"`) {
		t.Fatalf("step-up signed out: %d %s", res.Code, res.Body)
	}
}

// The step-up rules, one by one.
func TestCheckStepUp(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f := flow{stepUp: true, sub: "alice", acr: "phr", started: now.Add(-20 * time.Second)}
	ok := idClaims{Subject: "alice", ACR: "phr", AuthTime: now.Add(-5 * time.Second).Unix()}
	for name, tc := range map[string]struct {
		claims func(c *idClaims)
		flow   func(f *flow)
		want   string // "" accepts
	}{
		"fresh, same user, phr":  {nil, nil, ""},
		"phrh above phr":         {func(c *idClaims) { c.ACR = "phrh" }, nil, ""},
		"small clock skew":       {func(c *idClaims) { c.AuthTime = now.Add(10 * time.Second).Unix() }, nil, ""},
		"another user":           {func(c *idClaims) { c.Subject = "bob" }, nil, "another account"},
		"phr below phrh":         {nil, func(f *flow) { f.acr = "phrh" }, `(acr "phr") is below the one asked for ("phrh")`},
		"no acr":                 {func(c *idClaims) { c.ACR = "" }, nil, "is below"},
		"unknown acr":            {func(c *idClaims) { c.ACR = "urn:example:gold" }, nil, "is below"},
		"no auth_time":           {func(c *idClaims) { c.AuthTime = 0 }, nil, "no auth_time"},
		"auth_time a minute old": {func(c *idClaims) { c.AuthTime = now.Add(-61 * time.Second).Unix() }, nil, "before this confirmation"},
		"auth_time before asking": {func(c *idClaims) { c.AuthTime = now.Add(-40 * time.Second).Unix() },
			func(f *flow) { f.started = now.Add(-5 * time.Second) }, "before this confirmation"},
		"auth_time in the future": {func(c *idClaims) { c.AuthTime = now.Add(time.Minute).Unix() }, nil, "in the future"},
	} {
		t.Run(name, func(t *testing.T) {
			c, fl := ok, f
			if tc.claims != nil {
				tc.claims(&c)
			}
			if tc.flow != nil {
				tc.flow(&fl)
			}
			err := checkStepUp(c, fl, now)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want a refusal saying %q", err, tc.want)
			}
		})
	}
}

// Errors in the callback are shown with passbridge's code and a message of
// the app's; a malformed code is not echoed.
func TestProviderErrorPage(t *testing.T) {
	for name, tc := range map[string]struct {
		code, description string
		stepUp            bool
		status            int
		wantCode          string
		wantText          string
	}{
		"cancelled":       {"access_denied", "the user cancelled", false, 403, "access_denied", "refused or cancelled"},
		"no session":      {"login_required", "", false, 401, "login_required", "sign in with a passkey"},
		"unmet, step-up":  {"unmet_authentication_requirements", "", true, 403, "unmet_authentication_requirements", "still signed in as before"},
		"server error":    {"server_error", "", false, 502, "server_error", "Try again"},
		"unknown":         {"invalid_scope", "bad scope", false, 400, "invalid_scope", "refused the sign-in request"},
		"malformed":       {"<b>x</b>", "<script>", false, 400, "invalid_callback", "refused the sign-in request"},
		"long detail cut": {"access_denied", strings.Repeat("é", 1000), false, 403, "access_denied", "…"},
	} {
		t.Run(name, func(t *testing.T) {
			pe := providerError(tc.code, tc.description, tc.stepUp)
			if pe.Status != tc.status || pe.Code != tc.wantCode || !strings.Contains(pe.Message+pe.Detail, tc.wantText) {
				t.Fatalf("got %d %s %q %q", pe.Status, pe.Code, pe.Message, pe.Detail)
			}
			if strings.Contains(pe.Detail, "<") || len([]rune(pe.Detail)) > maxDetail+1 {
				t.Errorf("detail %q", pe.Detail)
			}
		})
	}
}
