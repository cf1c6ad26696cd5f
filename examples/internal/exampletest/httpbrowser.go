package exampletest

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/storage"
)

// HTTPBrowser is one browser over plain HTTP on an example site in front of
// passbridge: a cookie jar, a passkey provider (the software
// authenticator), and passbridge's login page's calls made as its script
// makes them. It notes every URL it asks for and every cookie the site
// sets, and can stop before a redirect instead of following it.
type HTTPBrowser struct {
	// Browser makes the Flex client API's calls from the issuer's origin,
	// with this browser's HTTP client and authenticator.
	*providertest.Browser

	t      testing.TB
	site   string
	issuer string

	mu sync.Mutex
	// stopAt, when set, stops the browser before it follows a redirect to
	// a URL it matches; the redirect is then the page.
	stopAt func(*url.URL) bool
	// requests are the URLs the browser asked for, in order.
	requests []*url.URL
	// siteCookies are the Set-Cookie headers the site sent.
	siteCookies []*http.Cookie
}

// NewHTTPBrowser returns a browser with an empty cookie jar and a new
// authenticator of opts, for the site at origin site whose users sign in
// on passbridge's login page of app.
func (p *Passbridge) NewHTTPBrowser(t testing.TB, app storage.App, site string, opts softauthn.Options) *HTTPBrowser {
	b := &HTTPBrowser{Browser: p.NewBrowser(t, app, opts), t: t, site: site, issuer: p.Issuer}
	jar, _ := cookiejar.New(nil)
	b.HTTP = &http.Client{
		Jar:       jar,
		Transport: recording{b},
		Timeout:   WaitLimit,
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
// cookies the site sets.
type recording struct{ b *HTTPBrowser }

func (rt recording) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(req)
	rt.b.mu.Lock()
	defer rt.b.mu.Unlock()
	rt.b.requests = append(rt.b.requests, req.URL)
	if err == nil && "http://"+req.URL.Host == rt.b.site {
		rt.b.siteCookies = append(rt.b.siteCookies, res.Cookies()...)
	}
	return res, err
}

// StopWhen sets (or with nil clears) where the browser stops.
func (b *HTTPBrowser) StopWhen(fn func(*url.URL) bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopAt = fn
}

// LastRequest is the last URL the browser asked for at origin and path.
func (b *HTTPBrowser) LastRequest(origin, path string) *url.URL {
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

// Requests are the URLs the browser asked for so far, in order.
func (b *HTTPBrowser) Requests() []*url.URL {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.requests)
}

// SiteCookies are the cookies the site set so far, in order.
func (b *HTTPBrowser) SiteCookies() []*http.Cookie {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.siteCookies)
}

// Cookie is the last Set-Cookie of name the site sent.
func (b *HTTPBrowser) Cookie(name string) *http.Cookie {
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

// Open navigates to u (a path is on the site) and follows redirects.
func (b *HTTPBrowser) Open(u string) Page {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.site + u
	}
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.Send(req)
}

// Submit posts a form of the site's page, from that page: the browser
// sends the page's Origin.
func (b *HTTPBrowser) Submit(path string, form url.Values) Page {
	b.t.Helper()
	return b.Post(b.site+path, form, http.Header{"Origin": {b.site}, "Sec-Fetch-Site": {"same-origin"}})
}

// Post posts form to u with header and follows redirects.
func (b *HTTPBrowser) Post(u string, form url.Values, header http.Header) Page {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Send(req)
}

// Send sends req from the browser and returns where it ended.
func (b *HTTPBrowser) Send(req *http.Request) Page {
	b.t.Helper()
	res, err := b.HTTP.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return Page{Status: res.StatusCode, URL: res.Request.URL, Header: res.Header, Body: string(body)}
}

// AuthRequestID is the auth request of passbridge's login page the browser
// is on.
func (b *HTTPBrowser) AuthRequestID(p Page) string {
	b.t.Helper()
	id := p.URL.Query().Get("auth_request_id")
	if p.URL.Scheme+"://"+p.URL.Host != b.issuer || p.URL.Path != "/login" || id == "" {
		b.t.Fatalf("not on passbridge's login page: %d %s %s", p.Status, p.URL, p.Summary())
	}
	return id
}

// CeremonyInfo is the login page's GET /login/ceremony.
func (b *HTTPBrowser) CeremonyInfo(id string) map[string]any {
	b.t.Helper()
	p := b.Open(b.issuer + "/login/ceremony?auth_request_id=" + url.QueryEscape(id))
	var info map[string]any
	if err := json.Unmarshal([]byte(p.Body), &info); err != nil || p.Status != http.StatusOK {
		b.t.Fatalf("login/ceremony: %d %s", p.Status, p.Body)
	}
	return info
}

// Passkey runs the login page's ceremony for auth request id as its script
// does, through the Flex client API from the issuer's origin, and returns
// the nonce the page posts to /login/complete.
func (b *HTTPBrowser) Passkey(id string, mods ...softauthn.Mod) string {
	b.t.Helper()
	info := b.CeremonyInfo(id)
	tx, _ := info["transaction_id"].(string)
	if info["mode"] == "register" { // prompt=create, or an enrolment
		return b.FlexRegister(tx, "")
	}
	body := map[string]any{}
	if tx != "" {
		body["transaction_id"] = tx
	}
	return b.Authenticate(body, mods...)
}

// Authenticate runs an authenticate ceremony with the Flex client API:
// bound to a transaction when body has one, discoverable otherwise.
func (b *HTTPBrowser) Authenticate(body map[string]any, mods ...softauthn.Mod) string {
	b.t.Helper()
	hs := b.Flex("authenticate/transactions/webauthn/start", body)
	resp, err := b.Auth.Authenticate(hs.Options, b.issuer, mods...)
	if err != nil {
		b.t.Fatal(err)
	}
	tx, _ := body["transaction_id"].(string)
	return b.FlexFinish("authenticate/transactions/webauthn/finish", tx, hs.ID, resp)
}

// Register gives the browser's authenticator a passkey of externalID, as
// a Flex app would have (a register transaction, then the client API).
func (b *HTTPBrowser) Register(externalID string) {
	b.t.Helper()
	b.NewPasskey(externalID, "")
}

// Complete posts the ceremony's nonce to /login/complete as the login
// page's form does, and follows the redirects back to the site.
func (b *HTTPBrowser) Complete(id, nonce string) Page {
	b.t.Helper()
	return b.Post(b.issuer+"/login/complete", url.Values{"auth_request_id": {id}, "nonce": {nonce}}, nil)
}

// Page is where the browser ended: a page, or a redirect it stopped at.
type Page struct {
	Status int
	URL    *url.URL
	Header http.Header
	Body   string
}

// Location is where a redirect the browser stopped at points.
func (p Page) Location(t testing.TB) *url.URL {
	t.Helper()
	loc, err := url.Parse(p.Header.Get("Location"))
	if err != nil || p.Status < 300 || p.Status > 399 {
		t.Fatalf("not a redirect: %d %s %v", p.Status, p.URL, err)
	}
	return p.URL.ResolveReference(loc)
}

// Claim is the ID token claim the example's page shows (auth_time: its
// datetime attribute).
func (p Page) Claim(t testing.TB, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<dd data-claim="` + name + `">(?:<time datetime="([^"]*)">)?([^<]*)`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("the page shows no %s: %d %s %s", name, p.Status, p.URL, p.Summary())
	}
	if m[1] != "" {
		return m[1]
	}
	return html.UnescapeString(m[2])
}

// AuthTime is the auth_time the page shows.
func (p Page) AuthTime(t testing.TB) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, p.Claim(t, "auth_time"))
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// ErrorCode is the code of the example's error page ("" on other pages).
func (p Page) ErrorCode() string {
	m := regexp.MustCompile(`id="error" data-code="([^"]*)"`).FindStringSubmatch(p.Body)
	if m == nil {
		return ""
	}
	return m[1]
}

// Field is the value of the hidden form field name.
func (p Page) Field(t testing.TB, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("the page has no field %s: %s", name, p.Summary())
	}
	return html.UnescapeString(m[1])
}

// Summary is the page's text, shortened, for failure reports.
func (p Page) Summary() string {
	text := regexp.MustCompile(`(?s)<head>.*</head>|<[^>]*>`).ReplaceAllString(p.Body, " ")
	text = strings.Join(strings.Fields(html.UnescapeString(text)), " ")
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	return text
}
