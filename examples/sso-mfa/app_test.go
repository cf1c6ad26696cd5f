package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func newTestHandler(t *testing.T, issuer, redirect string) *app {
	t.Helper()
	h, err := newHandler(Config{Issuer: issuer, ClientID: "client", ClientSecret: testSecret,
		RedirectURL: redirect, UsersFile: usersFileWith(t)})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// The pages carry the security headers, load no script, and are not
// cached.
func TestPageHeaders(t *testing.T) {
	h := newTestHandler(t, "https://id.example.com", "http://localhost:3002/callback")
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
	if !strings.Contains(body, `<form method="post" action="/login" class="sign-in">`) ||
		!strings.Contains(body, `autocomplete="current-password"`) {
		t.Errorf("the signed-out page offers no sign-in form:\n%s", body)
	}

	css := httptest.NewRecorder()
	h.ServeHTTP(css, httptest.NewRequest(http.MethodGet, "/static/app.css", nil))
	if css.Code != http.StatusOK || !strings.HasPrefix(css.Header().Get("Content-Type"), "text/css") {
		t.Errorf("GET /static/app.css answered %d %q", css.Code, css.Header().Get("Content-Type"))
	}
	// Forms are posts; nothing changes state on a GET.
	for _, path := range []string{"/login", "/mfa", "/sensitive", "/logout"} {
		res := httptest.NewRecorder()
		h.ServeHTTP(res, httptest.NewRequest(http.MethodGet, path, nil))
		if res.Code != http.StatusMethodNotAllowed {
			t.Errorf("GET %s answered %d", path, res.Code)
		}
	}
}

// With the app on https its cookies are Secure, __Host- prefixed, and HSTS
// is on.
func TestSecureCookies(t *testing.T) {
	h := newTestHandler(t, "https://id.example.com", "https://intranet.example.com/callback")
	res := httptest.NewRecorder()
	h.cookies.set(res, sessionCookie, "v", time.Minute)
	c := res.Result().Cookies()[0]
	if c.Name != "__Host-ssomfa_session" || !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" {
		t.Errorf("cookie %+v", c)
	}
	res = httptest.NewRecorder()
	h.ServeHTTP(res, httptest.NewRequest(http.MethodGet, "/", nil))
	if res.Header().Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over https")
	}
	if c := res.Result().Cookies(); len(c) != 1 || c[0].Name != "__Host-ssomfa_login" || !c[0].Secure {
		t.Errorf("the sign-in form's cookie: %+v", c)
	}
}

// When passbridge cannot be reached, the passkey step says so (502) and
// tells nothing of why; the session has the password only.
func TestPassbridgeUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://localhost:" + strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:")
	ln.Close()
	h := newTestHandler(t, closed, "http://localhost:3002/callback")

	home := httptest.NewRecorder()
	h.ServeHTTP(home, httptest.NewRequest(http.MethodGet, "/", nil))
	token := home.Result().Cookies()[0]
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{
		"csrf": {token.Value}, "username": {"dana"}, "password": {"password1"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(token)
	res := httptest.NewRecorder()
	h.ServeHTTP(res, req)
	if res.Code != http.StatusBadGateway || !strings.Contains(res.Body.String(), `data-code="passbridge_unavailable"`) {
		t.Fatalf("POST /login with passbridge down: %d %s", res.Code, res.Body)
	}
	if strings.Contains(res.Body.String(), "refused") || strings.Contains(res.Body.String(), closed) {
		t.Errorf("the page tells the network error:\n%s", res.Body)
	}
	for _, c := range res.Result().Cookies() {
		if c.Name == flowCookie {
			t.Error("a flow was started without passbridge")
		}
		if c.Name == sessionCookie {
			if s, ok := h.sessions.get(c.Value); !ok || s.mfaComplete() {
				t.Errorf("the session after the password: %+v %v", s, ok)
			}
		}
	}
}

// The rules an ID token must pass, one by one.
func TestCheckPasskey(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	f := flow{purpose: purposeSignIn, userID: "u-alice", started: now.Add(-20 * time.Second)}
	ok := idClaims{Subject: "u-alice", ACR: "phr", AuthTime: now.Add(-5 * time.Second).Unix()}
	for name, tc := range map[string]struct {
		claims func(c *idClaims)
		flow   func(f *flow)
		want   string // "" accepts
	}{
		"fresh, same user, phr":  {nil, nil, ""},
		"an enrolment":           {nil, func(f *flow) { f.purpose = purposeEnrol }, ""},
		"phrh above phr":         {func(c *idClaims) { c.ACR = "phrh" }, nil, ""},
		"small clock skew":       {func(c *idClaims) { c.AuthTime = now.Add(10 * time.Second).Unix() }, nil, ""},
		"another user":           {func(c *idClaims) { c.Subject = "u-bob" }, nil, "another account"},
		"another user, enrolled": {func(c *idClaims) { c.Subject = "pb_x" }, func(f *flow) { f.purpose = purposeEnrol }, "another account"},
		"no acr":                 {func(c *idClaims) { c.ACR = "" }, nil, "is not a passkey's"},
		"unknown acr":            {func(c *idClaims) { c.ACR = "urn:example:password" }, nil, "is not a passkey's"},
		"no auth_time":           {func(c *idClaims) { c.AuthTime = 0 }, nil, "no auth_time"},
		"auth_time a minute old": {func(c *idClaims) { c.AuthTime = now.Add(-61 * time.Second).Unix() }, nil, "before this step"},
		"auth_time before asking": {func(c *idClaims) { c.AuthTime = now.Add(-40 * time.Second).Unix() },
			func(f *flow) { f.started = now.Add(-5 * time.Second) }, "before this step"},
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
			err := checkPasskey(c, fl, now)
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
		purpose           purpose
		status            int
		wantCode          string
		wantText          string
	}{
		"unsigned enrolment": {"invalid_request", "needs a request object", purposeEnrol, 400, "invalid_request", "only when this app signs"},
		"invalid, step-up":   {"invalid_request", "bad", purposeSignIn, 400, "invalid_request", "refused the request"},
		"cancelled":          {"access_denied", "the user cancelled", purposeSignIn, 403, "access_denied", "password only"},
		"unmet, sensitive":   {"unmet_authentication_requirements", "", purposeSensitive, 403, "unmet_authentication_requirements", "action was not done"},
		"server error":       {"server_error", "", purposeSignIn, 502, "server_error", "Try again"},
		"malformed":          {"<b>x</b>", "<script>", purposeSignIn, 400, "invalid_callback", "refused the request"},
		"long detail cut":    {"access_denied", strings.Repeat("é", 1000), purposeSignIn, 403, "access_denied", "…"},
	} {
		t.Run(name, func(t *testing.T) {
			pe := providerError(tc.code, tc.description, tc.purpose)
			if pe.Status != tc.status || pe.Code != tc.wantCode || !strings.Contains(pe.Message+pe.Detail, tc.wantText) {
				t.Fatalf("got %d %s %q %q", pe.Status, pe.Code, pe.Message, pe.Detail)
			}
			if strings.Contains(pe.Detail, "<") || len([]rune(pe.Detail)) > maxDetail+1 {
				t.Errorf("detail %q", pe.Detail)
			}
		})
	}
}

// The request object is signed HS256 with the client secret and expires
// in five minutes.
func TestEnrolmentRequest(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	cfg := Config{Issuer: "https://id.example.com", ClientID: "client", ClientSecret: testSecret,
		RedirectURL: "https://intranet.example.com/callback"}
	f := flow{state: "state", nonce: "nonce", verifier: "verifier", userID: "u-alice"}
	raw, err := enrolmentRequest(cfg, f, now)
	if err != nil {
		t.Fatal(err)
	}
	claims := verifyRequestObject(t, raw, testSecret)
	if claims["exp"].(float64)-claims["iat"].(float64) != requestObjectLifetime.Seconds() ||
		claims["aud"] != "https://id.example.com" || claims["login_hint"] != "u-alice" || claims["prompt"] != "create" {
		t.Errorf("claims %v", claims)
	}
	again, _ := enrolmentRequest(cfg, f, now)
	if verifyRequestObject(t, again, testSecret)["jti"] == claims["jti"] {
		t.Error("two request objects share a jti")
	}
}
