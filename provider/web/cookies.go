package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// BrowserCookie names the cookie that identifies one browser to the
// provider. Auth requests are bound to its digest, so another browser
// cannot complete (or read the result of) a request this one started.
const BrowserCookie = "pb_browser"

// browserLifetime is how long the browser cookie lasts; it grants nothing
// by itself, so it may outlive any session.
const browserLifetime = 400 * 24 * time.Hour // RFC 6265bis caps cookies at 400 days

// sessionCookiePrefix + app ID names a browser's session with one app: a
// browser may be signed in to several apps of one issuer at once.
const sessionCookiePrefix = "pb_session_"

// Cookies sets and reads the provider's cookies. They are HttpOnly,
// SameSite=Lax (sent on the top-level navigation back from a relying
// party, never on cross-site subrequests), scoped to the issuer's path and
// Secure when the issuer is https.
type Cookies struct {
	Secure bool
	Path   string
}

// NewCookies returns the cookie settings for an issuer URL: Secure for
// https, scoped to the issuer's path.
func NewCookies(issuer string) Cookies {
	c := Cookies{Path: "/"}
	if u, err := url.Parse(issuer); err == nil {
		c.Secure = u.Scheme == "https"
		c.Path = strings.TrimRight(u.Path, "/") + "/"
	}
	return c
}

func (c Cookies) set(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     c.Path,
		MaxAge:   int(maxAge / time.Second),
		HttpOnly: true,
		Secure:   c.Secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// Browser returns the digest of the request's browser cookie, or nil.
func (c Cookies) Browser(r *http.Request) []byte {
	if v, err := r.Cookie(BrowserCookie); err == nil && validCookieValue(v.Value) {
		return storage.HashSecret(v.Value)
	}
	return nil
}

// EnsureBrowser returns the digest of the request's browser cookie, setting
// a new random one on w first when the request has none.
func (c Cookies) EnsureBrowser(w http.ResponseWriter, r *http.Request) []byte {
	if d := c.Browser(r); d != nil {
		return d
	}
	v, _ := storage.NewSecret("")
	c.set(w, BrowserCookie, v, browserLifetime)
	return storage.HashSecret(v)
}

// SessionCookieName is the cookie of a browser's session with app appID.
func SessionCookieName(appID string) string { return sessionCookiePrefix + appID }

// Session returns the digest of the request's session cookie for app
// appID, or nil.
func (c Cookies) Session(r *http.Request, appID string) []byte {
	if v, err := r.Cookie(SessionCookieName(appID)); err == nil && validCookieValue(v.Value) {
		return storage.HashSecret(v.Value)
	}
	return nil
}

// Sessions returns the digests of every session cookie the request
// carries, by app ID.
func (c Cookies) Sessions(r *http.Request) map[string][]byte {
	out := map[string][]byte{}
	for _, ck := range r.Cookies() {
		if app, ok := strings.CutPrefix(ck.Name, sessionCookiePrefix); ok && app != "" && validCookieValue(ck.Value) {
			out[app] = storage.HashSecret(ck.Value)
		}
	}
	return out
}

// SessionValue is a new session cookie's value and the digest to store.
type SessionValue struct {
	value  string
	Digest []byte
}

// NewSessionValue makes a fresh random session cookie value.
func (c Cookies) NewSessionValue() SessionValue {
	v, _ := storage.NewSecret("")
	return SessionValue{value: v, Digest: storage.HashSecret(v)}
}

// SetSession sets v as the browser's session cookie for app appID, lasting
// ttl.
func (c Cookies) SetSession(w http.ResponseWriter, appID string, v SessionValue, ttl time.Duration) {
	c.set(w, SessionCookieName(appID), v.value, ttl)
}

// ClearSession removes the session cookie of app appID.
func (c Cookies) ClearSession(w http.ResponseWriter, appID string) {
	c.set(w, SessionCookieName(appID), "", -time.Second)
}

// validCookieValue bounds what is hashed: the provider's own values are 43
// base64url characters.
func validCookieValue(v string) bool {
	return v != "" && len(v) <= 128
}
