package account_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage"
)

// page GETs a page of the server from the browser.
func (b *browser) page(path string) answer {
	b.h.t.Helper()
	a := b.do(request{method: http.MethodGet, path: path, origin: "-"})
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		b.h.t.Fatalf("%s: Content-Type %q: %s", path, ct, a.body)
	}
	checkPageHeaders(b.h.t, a)
	return a
}

// checkPageHeaders checks the headers every page carries.
func checkPageHeaders(t testing.TB, a answer) {
	t.Helper()
	csp := a.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
		"frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q allows something unsafe", csp)
	}
	if a.header.Get("X-Frame-Options") != "DENY" || a.header.Get("Cache-Control") != "no-store" ||
		a.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("page headers %v", a.header)
	}
}

func wantIn(t testing.TB, body string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func TestLandingPage(t *testing.T) {
	h := newHarness(t, openSQLite(t), harnessOptions{})
	a := h.newBrowser(softauthn.Options{}).page("/")
	body := string(a.body)
	if a.status != http.StatusOK {
		t.Fatalf("status %d", a.status)
	}
	wantIn(t, body, "passkey identity provider",
		`href="`+h.issuer+`/account"`, `href="`+h.issuer+`/.well-known/openid-configuration"`, `href="`+h.issuer+`/openapi.json"`,
		`<link rel="stylesheet" href="`+h.issuer+`/static/pages/pages.css">`)
	if strings.Contains(body, h.app.ID) || strings.Contains(body, "<script") {
		t.Error("the landing page names an app or runs a script")
	}
}

func TestPasskeyEndpoints(t *testing.T) {
	h := newHarness(t, openSQLite(t), harnessOptions{})
	a := h.newBrowser(softauthn.Options{}).do(request{method: http.MethodGet, path: "/.well-known/passkey-endpoints", origin: "https://any.example"})
	var doc map[string]string
	if err := json.Unmarshal(a.body, &doc); err != nil || a.status != http.StatusOK {
		t.Fatalf("%d %s", a.status, a.body)
	}
	want := map[string]string{"enroll": h.issuer + "/account", "manage": h.issuer + "/account"}
	if len(doc) != len(want) || doc["enroll"] != want["enroll"] || doc["manage"] != want["manage"] {
		t.Errorf("document %v, want %v", doc, want)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	if a.header.Get("Access-Control-Allow-Origin") != "*" || !strings.HasPrefix(a.header.Get("Cache-Control"), "public, max-age=") {
		t.Errorf("headers %v", a.header)
	}
}

// TestAccountPageApp checks which app the account page is for.
func TestAccountPageApp(t *testing.T) {
	h := newHarness(t, openSQLite(t), harnessOptions{})
	// An app this page cannot serve: its passkeys belong to another site.
	elsewhere, _ := apitest.CreateApp(t, h.ctx, h.store, h.clock.Now(), "Elsewhere", "elsewhere.example", "https://elsewhere.example")
	b := h.newBrowser(softauthn.Options{})
	b.register("alice")

	shop := `data-app-id="` + h.app.ID + `"`
	t.Run("the only app that fits", func(t *testing.T) {
		a := b.page("/account")
		wantIn(t, string(a.body), shop, `data-state="signed-out"`, "<title>Your passkeys for Shop</title>",
			`<script type="module" src="`+h.issuer+`/static/pages/account.js"></script>`,
			`<link rel="stylesheet" href="`+h.issuer+`/static/pages/account.css">`)
	})

	second, _ := apitest.CreateApp(t, h.ctx, h.store, h.clock.Now(), "Forum", "localhost", h.issuer)
	t.Run("several apps: the browser is asked", func(t *testing.T) {
		a := b.page("/account")
		body := string(a.body)
		wantIn(t, body, "<title>Choose an app</title>",
			`<a class="app-link" href="`+h.issuer+`/account?app_id=`+h.app.ID+`">Shop</a>`,
			`<a class="app-link" href="`+h.issuer+`/account?app_id=`+second.ID+`">Forum</a>`)
		if strings.Contains(body, elsewhere.ID) || strings.Contains(body, "<script") {
			t.Error("the choice offers an app this page cannot serve, or runs a script")
		}
	})

	t.Run("the app of the browser's session", func(t *testing.T) {
		b.signIn()
		a := b.page("/account")
		wantIn(t, string(a.body), shop, `data-state="signed-in"`)
		// Another browser without a session is still asked.
		wantIn(t, string(h.newBrowser(softauthn.Options{}).page("/account").body), "<title>Choose an app</title>")
	})

	t.Run("named by app_id", func(t *testing.T) {
		a := b.page("/account?app_id=" + second.ID)
		wantIn(t, string(a.body), `data-app-id="`+second.ID+`"`, `data-state="signed-out"`, "Your passkeys for <span class=\"app-name\">Forum</span>")
		wantIn(t, string(b.page("/account?app_id="+h.app.ID).body), `data-state="signed-in"`)
	})

	t.Run("an app the page cannot serve, or none", func(t *testing.T) {
		for _, tc := range []struct {
			app     string
			status  int
			code    string
			heading string
		}{
			{elsewhere.ID, http.StatusConflict, "app_misconfigured", "Passkey sign-in is not set up"},
			{"no-such-app", http.StatusNotFound, "app_not_found", "No such app"},
		} {
			a := b.page("/account?app_id=" + tc.app)
			if a.status != tc.status {
				t.Errorf("%s: status %d, want %d", tc.app, a.status, tc.status)
			}
			wantIn(t, string(a.body), `data-code="`+tc.code+`"`, "<h1>"+tc.heading+"</h1>", `href="`+h.issuer+`/account"`)
		}
	})
}

// TestAccountPageNoApp: with no app the page can serve, it says so.
func TestAccountPageNoApp(t *testing.T) {
	h := newHarness(t, openSQLite(t), harnessOptions{})
	if _, err := h.store.UpdateApp(h.ctx, h.app.ID, func(a storage.App) (storage.App, error) {
		a.Origins = []string{"https://shop.example"}
		return a, nil
	}); err != nil {
		t.Fatal(err)
	}
	a := h.newBrowser(softauthn.Options{}).page("/account")
	wantIn(t, string(a.body), `id="no-apps"`)
	if strings.Contains(string(a.body), h.app.ID) {
		t.Error("the page names an app it cannot serve")
	}
}
