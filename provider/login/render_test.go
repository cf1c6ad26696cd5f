package login

import (
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/templates"
)

// The page tests render templates alone; the flows that lead to each page
// run in real Chromium in provider/browsertest.

const testIssuer = "https://id.example.com"

func newRenderer(t *testing.T) *Handler {
	t.Helper()
	pages, err := template.ParseFS(templates.FS(), "pages/*.html")
	if err != nil {
		t.Fatal(err)
	}
	return &Handler{issuer: testIssuer, pages: pages, log: slog.New(slog.DiscardHandler)}
}

// renderFor renders page name for an incoming request (method, target, and
// a form body for POST) and returns the answer.
func renderFor(t *testing.T, h *Handler, r *http.Request, name string, req *request, d pageData) *httptest.ResponseRecorder {
	t.Helper()
	gin.SetMode(gin.TestMode)
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = r
	h.render(c, http.StatusOK, name, req, d)
	return w
}

func get(target string) *http.Request { return httptest.NewRequest(http.MethodGet, target, nil) }

func shop(edit func(*request)) *request {
	r := &request{
		AuthRequest: storage.AuthRequest{ID: "ar1", AppID: "app1"},
		client:      storage.Client{RedirectURIs: []string{"https://rp.example/cb?x=1", "http://localhost:3000/cb"}},
		app:         storage.App{ID: "app1", Name: "Shop"},
	}
	if edit != nil {
		edit(r)
	}
	return r
}

func TestRenderLoginPage(t *testing.T) {
	h := newRenderer(t)
	for _, tc := range []struct {
		name    string
		req     *request
		hint    string
		want    []string
		notWant []string
	}{
		{
			name: "branded",
			req: shop(func(r *request) {
				r.app.LogoURL, r.app.AccentColor = "https://cdn.example/logo.svg", "#0F766E"
			}),
			want: []string{
				`<title>Sign in to Shop</title>`, `<img class="logo" src="https://cdn.example/logo.svg"`,
				`data-accent="#0F766E"`, `autocomplete="username webauthn"`,
				`<script type="module" src="https://id.example.com/static/pages/login.js">`,
				`role="alert"`, `<noscript>`, `data-mode="authenticate"`, `<span class="label">Sign in with a passkey</span>`,
			},
			notWant: []string{`class="monogram"`, `id="who"`, ` style=`},
		},
		{
			name: "no logo: the initial",
			req:  shop(nil),
			want: []string{`<span class="monogram" aria-hidden="true">S</span>`},
			// Without an accent the style sheet's default applies.
			notWant: []string{`<img`, `data-accent`},
		},
		{
			name: "logo and accent that are not allowed",
			req: shop(func(r *request) {
				r.app.LogoURL, r.app.AccentColor = "http://cdn.example/logo.svg", `#123456" onload="x`
			}),
			notWant: []string{`<img`, `data-accent`, `onload`},
		},
		{
			name: "sign-up (prompt=create)",
			req:  shop(func(r *request) { r.Enroll = true }),
			want: []string{
				`<title>Create a passkey for Shop</title>`, `data-mode="register"`, `id="display-name" type="text" autocomplete="username"`,
				`<span class="label">Create a passkey</span>`,
			},
			notWant: []string{`webauthn`, `id="who"`},
		},
		{
			name:    "a passkey for a named user (prompt=create)",
			req:     shop(func(r *request) { r.Enroll = true }),
			hint:    "user-42",
			want:    []string{`Adding a passkey for</span> <strong class="who-name">user-42</strong>`, `data-mode="register"`},
			notWant: []string{`webauthn`, `id="display-name"`},
		},
		{
			name:    "a request that names the user",
			req:     shop(nil),
			hint:    "alice@example.com",
			want:    []string{`Signing in as</span> <strong class="who-name">alice@example.com</strong>`, `data-login-hint="alice@example.com"`},
			notWant: []string{`autocomplete="username webauthn"`, `id="username"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := renderFor(t, h, get("/login?auth_request_id=ar1"), "login.html", tc.req,
				pageData{AuthRequestID: "ar1", AppID: "app1", LoginHint: tc.hint})
			body := w.Body.String()
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(body, s) {
					t.Errorf("page has %q", s)
				}
			}
			csp := w.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, "form-action 'self' https://rp.example http://localhost:3000;") {
				t.Errorf("CSP %q does not allow the client's redirects", csp)
			}
		})
	}
}

func TestRenderErrorPage(t *testing.T) {
	h := newRenderer(t)
	form := func(id string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/login/complete",
			strings.NewReader(url.Values{"auth_request_id": {id}, "nonce": {"n"}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	for _, tc := range []struct {
		name    string
		r       *http.Request
		err     *pageError
		heading string
		retry   string // "" for none
	}{
		{"wrong user", form("ar1"), errWrongUser, "That passkey is for another account", testIssuer + "/login?auth_request_id=ar1"},
		{"invalid nonce", form("a&b"), errBadNonce, "Sign-in not confirmed", testIssuer + "/login?auth_request_id=a%26b"},
		{"store down on the page", get("/login?auth_request_id=ar2"), errUnavailable, "Temporarily unavailable", testIssuer + "/login?auth_request_id=ar2"},
		{"wrong ceremony", form("ar1"), errWrongCeremony, "Sign-in incomplete", testIssuer + "/login?auth_request_id=ar1"},
		{"expired", get("/login?auth_request_id=ar1"), errNoRequest, "This sign-in has expired", ""},
		{"other browser", get("/login?auth_request_id=ar1"), errOtherBrowser, "Started in another browser", ""},
		{"misconfigured", get("/login?auth_request_id=ar1"), errMisconfigured, "Passkey sign-in is not set up", ""},
		{"no id to go back to", form(""), errWrongUser, "That passkey is for another account", ""},
		{"an id too long to be one", form(strings.Repeat("x", 65)), errBadNonce, "Sign-in not confirmed", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := renderFor(t, h, tc.r, "error.html", nil, pageData{ErrorCode: tc.err.code, Error: tc.err.message})
			body := w.Body.String()
			if !strings.Contains(body, "<h1>"+tc.heading+"</h1>") {
				t.Errorf("heading is not %q:\n%s", tc.heading, body)
			}
			if !strings.Contains(body, "<title>Sign-in problem</title>") || !strings.Contains(body, "<code>"+tc.err.code+"</code>") {
				t.Error("page lacks its title or the error code")
			}
			hasRetry := strings.Contains(body, `id="retry"`)
			if tc.retry == "" {
				if hasRetry {
					t.Error("page offers a retry")
				}
				return
			}
			if !strings.Contains(body, `href="`+tc.retry+`"`) {
				t.Errorf("retry link is not %q:\n%s", tc.retry, body)
			}
		})
	}
}

func TestMonogram(t *testing.T) {
	for in, want := range map[string]string{
		"Shop": "S", "  northwind": "N", "3M": "3", "émile": "É", "": "", "—": "", "« Acme »": "A",
	} {
		if got := monogram(in); got != want {
			t.Errorf("monogram(%q) = %q, want %q", in, got, want)
		}
	}
}
