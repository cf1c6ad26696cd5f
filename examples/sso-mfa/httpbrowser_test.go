package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// browser is one browser over plain HTTP: a cookie jar, a passkey provider
// (the software authenticator), and the login page's calls made as its
// script makes them.
type browser struct {
	s    *stack
	t    *testing.T
	http *http.Client
	auth *softauthn.Authenticator

	mu sync.Mutex
	// stopAt, when set, stops the browser before it follows a redirect to
	// a URL it matches; the redirect is then the page.
	stopAt func(*url.URL) bool
	// requests are the URLs the browser asked for, in order.
	requests []*url.URL
	// siteCookies are the Set-Cookie headers the example app sent.
	siteCookies []*http.Cookie
}

func (s *stack) newBrowser(opts softauthn.Options) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{s: s, t: s.t, auth: softauthn.New(opts)}
	b.http = &http.Client{
		Jar:       jar,
		Transport: recording{b},
		Timeout:   20 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			b.mu.Lock()
			stop := b.stopAt
			b.mu.Unlock()
			if stop != nil && stop(req.URL) {
				return http.ErrUseLastResponse
			}
			if len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	return b
}

// recording is the browser's transport: it notes every request and the
// cookies the example app sets.
type recording struct{ b *browser }

func (rt recording) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(req)
	rt.b.mu.Lock()
	defer rt.b.mu.Unlock()
	rt.b.requests = append(rt.b.requests, req.URL)
	if err == nil && "http://"+req.URL.Host == rt.b.s.site {
		rt.b.siteCookies = append(rt.b.siteCookies, res.Cookies()...)
	}
	return res, err
}

// stopWhen sets (or with nil clears) where the browser stops.
func (b *browser) stopWhen(fn func(*url.URL) bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopAt = fn
}

// lastRequest is the last URL the browser asked for at origin and path.
func (b *browser) lastRequest(origin, path string) *url.URL {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.requests) - 1; i >= 0; i-- {
		u := b.requests[i]
		if u.Scheme+"://"+u.Host == origin && u.Path == path {
			return u
		}
	}
	b.t.Fatalf("the browser never asked for %s%s", origin, path)
	return nil
}

// cookie is the last Set-Cookie of name the example app sent.
func (b *browser) cookie(name string) *http.Cookie {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.siteCookies) - 1; i >= 0; i-- {
		if c := b.siteCookies[i]; c.Name == name {
			return c
		}
	}
	b.t.Fatalf("the app never set cookie %s", name)
	return nil
}

// open navigates to u (a path is on the example app) and follows
// redirects.
func (b *browser) open(u string) page {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.s.site + u
	}
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// submit posts a form of the example app's page, from that page: the
// browser sends the page's Origin.
func (b *browser) submit(path string, form url.Values) page {
	b.t.Helper()
	return b.post(b.s.site+path, form, http.Header{"Origin": {b.s.site}, "Sec-Fetch-Site": {"same-origin"}})
}

func (b *browser) post(u string, form url.Values, header http.Header) page {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{status: res.StatusCode, url: res.Request.URL, header: res.Header, body: string(body)}
}

// authRequestID is the auth request of passbridge's login page the
// browser is on.
func (b *browser) authRequestID(p page) string {
	b.t.Helper()
	id := p.url.Query().Get("auth_request_id")
	if p.url.Scheme+"://"+p.url.Host != b.s.issuer || p.url.Path != "/login" || id == "" {
		b.t.Fatalf("not on passbridge's login page: %d %s %s", p.status, p.url, p.summary())
	}
	return id
}

// signInWithPassword opens the example's page and posts its sign-in form
// with username and password, following the redirects: to passbridge's
// login page when the password is right.
func (b *browser) signInWithPassword(username, password string) page {
	b.t.Helper()
	home := b.open("/")
	return b.submit("/login", url.Values{"csrf": {home.field(b.t, "csrf")}, "username": {username}, "password": {password}})
}

// signIn signs username in with their password, then runs passbridge's
// login page with the browser's passkey (an enrolment or a step-up, as
// the app asked), and returns where the browser ended.
func (b *browser) signIn(username string, mods ...softauthn.Mod) page {
	b.t.Helper()
	return b.atPassbridge(b.signInWithPassword(username, b.s.passwords[username]), mods...)
}

// atPassbridge runs passbridge's login page, which p must be, with the
// browser's passkey and follows the redirects back.
func (b *browser) atPassbridge(p page, mods ...softauthn.Mod) page {
	b.t.Helper()
	id := b.authRequestID(p)
	return b.complete(id, b.passkey(id, mods...))
}

// press posts the form of page p whose action is path, with the page's
// CSRF token, as a click on its button does.
func (b *browser) press(p page, path string) page {
	b.t.Helper()
	return b.submit(path, url.Values{"csrf": {p.field(b.t, "csrf")}})
}

// ceremonyInfo is the login page's GET /login/ceremony.
func (b *browser) ceremonyInfo(id string) map[string]any {
	b.t.Helper()
	p := b.open(b.s.issuer + "/login/ceremony?auth_request_id=" + url.QueryEscape(id))
	var info map[string]any
	if err := json.Unmarshal([]byte(p.body), &info); err != nil || p.status != http.StatusOK {
		b.t.Fatalf("login/ceremony: %d %s", p.status, p.body)
	}
	return info
}

// passkey runs the login page's ceremony for auth request id as its script
// does, through the Flex client API from the issuer's origin, and returns
// the nonce the page posts to /login/complete.
func (b *browser) passkey(id string, mods ...softauthn.Mod) string {
	b.t.Helper()
	info := b.ceremonyInfo(id)
	tx, _ := info["transaction_id"].(string)
	if info["mode"] == "register" { // prompt=create
		return b.registerPasskey(tx)
	}
	body := map[string]any{}
	if tx != "" {
		body["transaction_id"] = tx
	}
	return b.authenticate(body, mods...)
}

// authenticate runs an authenticate ceremony with the Flex client API:
// bound to a transaction when body has one, discoverable otherwise.
func (b *browser) authenticate(body map[string]any, mods ...softauthn.Mod) string {
	b.t.Helper()
	var start struct {
		Handshake struct {
			ID        string `json:"id"`
			Challenge struct {
				PublicKey json.RawMessage `json:"publicKey"`
			} `json:"challenge"`
		} `json:"handshake"`
	}
	b.flex("authenticate/transactions/webauthn/start", body, &start)
	resp, err := b.auth.Authenticate(start.Handshake.Challenge.PublicKey, b.s.issuer, mods...)
	if err != nil {
		b.t.Fatal(err)
	}
	finish := map[string]any{"handshake_id": start.Handshake.ID, "handshake_response": json.RawMessage(resp)}
	if tx, ok := body["transaction_id"]; ok {
		finish["transaction_id"] = tx
	}
	var out struct {
		Nonce string `json:"nonce"`
	}
	b.flex("authenticate/transactions/webauthn/finish", finish, &out)
	return out.Nonce
}

// registerPasskey runs the register ceremony of transaction tx with the
// Flex client API and returns its nonce.
func (b *browser) registerPasskey(tx string) string {
	b.t.Helper()
	var start struct {
		Handshake struct {
			ID        string `json:"id"`
			Challenge struct {
				PublicKey json.RawMessage `json:"publicKey"`
			} `json:"challenge"`
		} `json:"handshake"`
	}
	b.flex("register/transactions/webauthn/start", map[string]any{"transaction_id": tx}, &start)
	resp, _, err := b.auth.Register(start.Handshake.Challenge.PublicKey, b.s.issuer)
	if err != nil {
		b.t.Fatal(err)
	}
	var out struct {
		Nonce string `json:"nonce"`
	}
	b.flex("register/transactions/webauthn/finish", map[string]any{"transaction_id": tx,
		"handshake_id": start.Handshake.ID, "handshake_response": json.RawMessage(resp)}, &out)
	return out.Nonce
}

// flex calls passbridge's Flex client API from the login page's origin.
func (b *browser) flex(path string, body, out any) {
	b.t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodPost,
		b.s.issuer+"/v1/apps/"+b.s.app.ID+"/"+path, bytes.NewReader(raw))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", b.s.issuer)
	p := b.do(req)
	if p.status != http.StatusOK {
		b.t.Fatalf("%s: %d %s", path, p.status, p.body)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(p.body), out); err != nil {
			b.t.Fatalf("%s: %v", path, err)
		}
	}
}

// complete posts the ceremony's nonce to /login/complete as the login
// page's form does, and follows the redirects back to the example app.
func (b *browser) complete(id, nonce string) page {
	b.t.Helper()
	return b.post(b.s.issuer+"/login/complete", url.Values{"auth_request_id": {id}, "nonce": {nonce}}, nil)
}
