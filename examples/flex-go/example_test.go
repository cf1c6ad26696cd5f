//go:build e2e

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// TestBrowserFlexExample drives the example's real page in headless
// Chromium, by typing and clicking as a person does, against a real
// passbridge on another origin: the page imports the SDK from passbridge,
// and the SDK's ceremony calls are cross-origin requests that passbridge's
// CORS must let through. A CDP virtual authenticator (a platform
// authenticator with resident keys and user verification) answers the
// WebAuthn prompts, and autofillProbe plays the person choosing a passkey
// from the username field's autofill. Signed in again, the account's steps
// follow (accountSteps): the passkey table and its icons, adding, renaming
// and removing passkeys, and confirming "Delete my data" with a passkey.
// The steps build on each other and stop at the first failure. It runs on
// each of passbridge's store engines.
func TestBrowserFlexExample(t *testing.T) {
	for _, engine := range []string{sqlstoretest.SQLite, sqlstoretest.Postgres} {
		t.Run(engine, func(t *testing.T) { testBrowserFlexExample(t, engine) })
	}
}

func testBrowserFlexExample(t *testing.T, engine string) {
	rec := &recorder{}
	s := startStackWith(t, stackOptions{engine: engine, wrap: rec.wrap})
	p := openPage(t, s.site+"/")
	p.waitSignedOut(t)

	step(t, "create a passkey", func(t *testing.T) {
		// The signed-out page offers passkeys in the username field's
		// autofill from the start; the button's ceremony aborts that request.
		p.waitAutofill(t)
		rec.take()
		p.typeUsername(t, "alice")
		p.click(t, "create")
		p.waitSignedIn(t, "alice")
		if n := len(p.credentials(t)); n != 1 {
			t.Fatalf("authenticator holds %d credentials, want 1", n)
		}
		// The SDK, imported from passbridge's origin, ran the ceremony from
		// the site's origin: preflights and calls all crossed origins.
		calls := rec.take()
		for _, c := range calls {
			if strings.HasPrefix(c.Path, "register/") && (c.Origin != s.site || c.Status >= 300) {
				t.Errorf("client call %s %s from origin %q answered %d, want an accepted call from %q",
					c.Method, c.Path, c.Origin, c.Status, s.site)
			}
		}
		if !hasCall(calls, http.MethodOptions, "register/transactions/webauthn/start", false) ||
			!hasCall(calls, http.MethodPost, "register/transactions/webauthn/finish", true) {
			t.Errorf("client calls %+v, want a preflighted register start and a register finish", calls)
		}
	})

	step(t, "the account shows the passkey passbridge holds", func(t *testing.T) {
		want := s.devices(t, "alice")
		if len(want) != 1 {
			t.Fatalf("passbridge holds %d devices of alice, want 1", len(want))
		}
		me := p.me(t)
		if me.Status != http.StatusOK || me.Username != "alice" || len(me.Devices) != 1 {
			t.Fatalf("/api/me = %+v, want alice with one device", me)
		}
		if d := me.Devices[0]; d.ID != want[0]["id"] || d.Name != want[0]["friendly_name"] || d.Name == "" {
			t.Errorf("/api/me device %+v, want id %v and name %v", d, want[0]["id"], want[0]["friendly_name"])
		}
		shown := p.eval(t, `[...document.querySelectorAll("#device-rows .name")].map((e) => e.textContent).join("|")`)
		if shown != me.Devices[0].Name {
			t.Errorf("page lists passkeys %q, want %q", shown, me.Devices[0].Name)
		}
	})

	step(t, "the session cookie is the site's, HttpOnly and SameSite=Lax", func(t *testing.T) {
		res, err := chromedp.Call(p.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{s.site + "/"}})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(res.Cookies, func(c *network.Cookie) bool { return c.Name == sessionCookie })
		if i < 0 {
			t.Fatalf("no %s cookie among %d", sessionCookie, len(res.Cookies))
		}
		if c := res.Cookies[i]; !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" {
			t.Errorf("cookie httpOnly=%v sameSite=%q path=%q", c.HTTPOnly, c.SameSite, c.Path)
		}
	})

	step(t, "a second passkey on the same authenticator is refused by the browser", func(t *testing.T) {
		// passbridge lists alice's passkey in excludeCredentials, so the
		// authenticator refuses to make another (WebAuthn L3 §6.3.2 step 3).
		p.click(t, "add-passkey")
		p.waitMessage(t, "InvalidStateError")
		if n := len(p.credentials(t)); n != 1 {
			t.Fatalf("authenticator holds %d credentials, want 1", n)
		}
	})

	step(t, "sign out", func(t *testing.T) {
		p.signOut(t)
		if me := p.me(t); me.Status != http.StatusUnauthorized || me.Code != "not_signed_in" {
			t.Fatalf("/api/me after sign-out = %+v, want 401 not_signed_in", me)
		}
	})

	step(t, "sign in with a discoverable passkey", func(t *testing.T) {
		rec.take()
		p.click(t, "sign-in")
		p.waitSignedIn(t, "alice")
		if !hasCall(rec.take(), http.MethodPost, "authenticate/transactions/webauthn/finish", false) {
			t.Error("no discoverable authenticate finish reached passbridge")
		}
	})

	step(t, "sign in bound to a username", func(t *testing.T) {
		p.signOut(t)
		rec.take()
		p.typeUsername(t, "alice")
		p.click(t, "sign-in")
		p.waitSignedIn(t, "alice")
		if !hasCall(rec.take(), http.MethodPost, "authenticate/transactions/webauthn/finish", true) {
			t.Error("no authenticate finish bound to a transaction reached passbridge")
		}
	})

	step(t, "sign in from the autofill", func(t *testing.T) {
		p.signOut(t)
		rec.take()
		p.pickFromAutofill(t)
		p.waitSignedIn(t, "alice")
		if !hasCall(rec.take(), http.MethodPost, "authenticate/transactions/webauthn/finish", false) {
			t.Error("no discoverable authenticate finish reached passbridge")
		}
	})

	step(t, "passbridge's refusal reaches the page with its code", func(t *testing.T) {
		p.signOut(t)
		p.typeUsername(t, "mallory")
		p.click(t, "sign-in")
		p.waitMessage(t, "user_not_found")
	})

	step(t, "a username that has a passkey cannot be signed up again", func(t *testing.T) {
		p.typeUsername(t, "alice")
		p.click(t, "create")
		p.waitMessage(t, "username_taken")
		if n := len(s.devices(t, "alice")); n != 1 {
			t.Fatalf("alice has %d devices, want 1", n)
		}
	})

	accountSteps(t, s, rec, p)
}

// step runs one step of a sequence whose later steps need the earlier ones.
func step(t *testing.T, name string, fn func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, fn) {
		t.FailNow()
	}
}

func hasCall(calls []clientCall, method, path string, bound bool) bool {
	return slices.ContainsFunc(calls, func(c clientCall) bool {
		return c.Method == method && c.Path == path && c.Status < 300 && (method == http.MethodOptions || c.Bound == bound)
	})
}

// clientCall is one request of passbridge's client (browser) API as the
// browser sent it.
type clientCall struct {
	Method string
	Path   string // after /v1/apps/{app_id}/, e.g. "register/transactions/webauthn/finish"
	Origin string
	Status int
	Bound  bool // the body carries a transaction_id
}

// recorder keeps the client API calls passbridge answered, so the test can
// see that the ceremonies really ran cross-origin, from the site's page.
type recorder struct {
	mu    sync.Mutex
	calls []clientCall
}

func (r *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rest, ok := strings.CutPrefix(req.URL.Path, "/v1/apps/")
		_, path, _ := strings.Cut(rest, "/")
		if !ok || !strings.Contains(path, "/transactions/webauthn/") {
			next.ServeHTTP(w, req)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		req.Body = io.NopCloser(bytes.NewReader(body))
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, req)
		var fields struct {
			TransactionID string `json:"transaction_id"`
		}
		_ = json.Unmarshal(body, &fields) // a preflight has no body
		r.mu.Lock()
		r.calls = append(r.calls, clientCall{
			Method: req.Method, Path: path, Origin: req.Header.Get("Origin"),
			Status: sw.status, Bound: fields.TransactionID != "",
		})
		r.mu.Unlock()
	})
}

// take returns the calls recorded since the last take.
func (r *recorder) take() []clientCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls = nil
	return out
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}
