//go:build e2e

package byonode

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// csp is the policy every answer of the site carries: its own scripts and
// calls only, no inline script or style.
const csp = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// TestBYONodeRequests checks what the site answers to requests as such: its
// headers and cookies, the files it serves and those it does not, and that
// every call that changes something is refused unless the site's own page
// made it (the Origin header, a JSON body), before anything happens.
func TestBYONodeRequests(t *testing.T) {
	e := start(t, sqlstoretest.SQLite)
	c := newClient(t, e)

	t.Run("page", func(t *testing.T) {
		a := c.do(request{Method: http.MethodGet, Path: "/"})
		if a.Status != http.StatusOK || !strings.HasPrefix(a.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET /: %d %s", a.Status, a.Header.Get("Content-Type"))
		}
		for name, want := range map[string]string{
			"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
		} {
			if got := a.Header.Get(name); got != want {
				t.Errorf("%s: %q, want %q", name, got, want)
			}
		}
		page := string(a.Body)
		if !strings.Contains(page, `<script type="module" src="/static/app.js"></script>`) {
			t.Error("the page does not load its module")
		}
		if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(page) || strings.Contains(page, " style=") ||
			regexp.MustCompile(`\son[a-z]+=`).MatchString(page) {
			t.Error("the page has inline script or style")
		}
	})

	t.Run("files", func(t *testing.T) {
		for path, want := range map[string]int{
			"/static/app.js":                                        http.StatusOK,
			"/static/app.css":                                       http.StatusOK,
			"/static/simplewebauthn/index.js":                       http.StatusOK,
			"/static/simplewebauthn/helpers/webAuthnError.js":       http.StatusOK,
			"/static/simplewebauthn/index.d.ts":                     http.StatusNotFound,
			"/static/simplewebauthn/../../package.json":             http.StatusNotFound,
			"/static/simplewebauthn/%2e%2e/%2e%2e/package.json":     http.StatusNotFound,
			"/static/index.html":                                    http.StatusNotFound,
			"/server.js":                                            http.StatusNotFound,
			"/node_modules/@simplewebauthn/browser/esm/index.js":    http.StatusNotFound,
			"/static/simplewebauthn/methods/startRegistration.js":   http.StatusOK,
			"/static/simplewebauthn/methods/startAuthentication.js": http.StatusOK,
		} {
			a := c.do(request{Method: http.MethodGet, Path: path})
			if a.Status != want {
				t.Errorf("GET %s: %d, want %d", path, a.Status, want)
			}
			if want == http.StatusOK && strings.HasSuffix(path, ".js") && !strings.HasPrefix(a.Header.Get("Content-Type"), "text/javascript") {
				t.Errorf("GET %s: Content-Type %q", path, a.Header.Get("Content-Type"))
			}
		}
	})

	t.Run("routes", func(t *testing.T) {
		for _, tc := range []struct {
			method, path string
			status       int
			code         string
		}{
			{http.MethodGet, "/api/nothing", http.StatusNotFound, "not_found"},
			{http.MethodGet, "/api/passkeys/register/start", http.StatusMethodNotAllowed, "method_not_allowed"},
			{http.MethodGet, "/api/passkeys", http.StatusUnauthorized, "not_signed_in"},
			{http.MethodDelete, "/api/passkeys/abc", http.StatusUnauthorized, "not_signed_in"},
		} {
			a := c.do(request{Method: tc.method, Path: tc.path, Body: map[string]any{}})
			if a.Status != tc.status || a.code() != tc.code {
				t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, a.Status, a.code(), tc.status, tc.code)
			}
			if got := a.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("%s %s: Cache-Control %q", tc.method, tc.path, got)
			}
		}
	})

	t.Run("cross-origin calls", func(t *testing.T) {
		victim := newClient(t, e)
		victim.signUp("kim")
		e.rec.take()
		cred := e.accountsFile(t)["kim"].Credentials[0]
		for _, tc := range []struct {
			name, origin, contentType string
			status                    int
			code                      string
		}{
			{"another site", "https://evil.example", "", http.StatusForbidden, "cross_origin_request"},
			{"another port", "http://localhost:1", "", http.StatusForbidden, "cross_origin_request"},
			{"no Origin", "-", "", http.StatusForbidden, "cross_origin_request"},
			{"the origin with a path", victim.e.site + "/", "", http.StatusForbidden, "cross_origin_request"},
			{"a form", "", "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, "invalid_request"},
			{"plain text", "", "text/plain", http.StatusUnsupportedMediaType, "invalid_request"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, r := range []request{
					{Method: http.MethodPost, Path: "/api/passkeys/register/start", Body: `{"username":"lee"}`},
					{Method: http.MethodPost, Path: "/api/passkeys/register/start", Body: `{}`},
					{Method: http.MethodPost, Path: "/api/passkeys/authenticate/start", Body: `{}`},
					{Method: http.MethodDelete, Path: "/api/passkeys/" + cred, Body: `{}`},
					{Method: http.MethodPost, Path: "/api/signout", Body: `{}`},
				} {
					r.Origin, r.ContentType = tc.origin, tc.contentType
					if tc.contentType == "" {
						r.ContentType = "application/json"
					}
					if a := victim.do(r); a.Status != tc.status || a.code() != tc.code {
						t.Errorf("%s %s: %d %s, want %d %s", r.Method, r.Path, a.Status, a.code(), tc.status, tc.code)
					}
				}
			})
		}
		// Nothing happened: passbridge heard nothing, lee is not reserved,
		// kim is still signed in with her passkey.
		if calls := e.rec.take(); len(calls) != 0 {
			t.Errorf("refused calls reached passbridge: %q", names(calls))
		}
		if _, ok := e.accountsFile(t)["lee"]; ok {
			t.Error("a refused call reserved lee")
		}
		if victim.me() != "kim" || len(e.credentialIDs(t, e.userID(t, "kim"))) != 1 {
			t.Error("a refused call signed kim out or removed her passkey")
		}
	})

	t.Run("cookies", func(t *testing.T) {
		b := newClient(t, e)
		a := b.do(request{Method: http.MethodPost, Path: "/api/passkeys/register/start", Body: map[string]any{"username": "max"}})
		if a.Status != http.StatusOK {
			t.Fatalf("register/start: %d %s", a.Status, a.Body)
		}
		signup := cookieHeader(t, a, "byo_signup")
		for _, want := range []string{"Path=/api/passkeys/register", "HttpOnly", "SameSite=Strict", "Max-Age=600"} {
			if !strings.Contains(signup, "; "+want) {
				t.Errorf("sign-up cookie %q lacks %s", signup, want)
			}
		}
		var start struct{ RegistrationOptions json.RawMessage }
		if err := json.Unmarshal(a.Body, &start); err != nil {
			t.Fatal(err)
		}
		resp := b.register(start.RegistrationOptions)
		a = b.do(request{Method: http.MethodPost, Path: "/api/passkeys/register/finish", Body: map[string]any{"response": resp}})
		if a.Status != http.StatusOK {
			t.Fatalf("register/finish: %d %s", a.Status, a.Body)
		}
		session := cookieHeader(t, a, "byo_session")
		for _, want := range []string{"Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=43200"} {
			if !strings.Contains(session, "; "+want) {
				t.Errorf("session cookie %q lacks %s", session, want)
			}
		}
		if strings.Contains(session, "Secure") {
			t.Errorf("session cookie %q: Secure on http://localhost would never be sent back", session)
		}
		if cleared := cookieHeader(t, a, "byo_signup"); !strings.Contains(cleared, "Max-Age=0") {
			t.Errorf("the sign-up cookie is not cleared: %q", cleared)
		}

		// Signing out ends the session on the server: its token no longer
		// signs in, even if a copy of it is presented again.
		token := strings.TrimPrefix(strings.Split(session, ";")[0], "byo_session=")
		if status, code := b.post("/api/signout", map[string]any{}, nil); status != http.StatusNoContent {
			t.Fatalf("sign out: %d %s", status, code)
		}
		r, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.site+"/api/me", nil)
		r.AddCookie(&http.Cookie{Name: "byo_session", Value: token})
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var me struct{ User *struct{ Name string } }
		if err := json.NewDecoder(res.Body).Decode(&me); err != nil || me.User != nil {
			t.Errorf("the signed-out session's token still names %+v (%v)", me.User, err)
		}
	})
}

// cookieHeader is the Set-Cookie header of a that sets name.
func cookieHeader(t *testing.T, a answer, name string) string {
	t.Helper()
	for _, h := range a.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, name+"=") {
			return h
		}
	}
	t.Fatalf("no Set-Cookie for %s in %q", name, a.Header.Values("Set-Cookie"))
	return ""
}
