package login

import (
	"bytes"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	oidcp "github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/provider/web"
)

// pageData is what a page template reads.
type pageData struct {
	Title   string
	AppName string
	// Monogram is the app name's first letter, shown in place of a logo.
	Monogram      string
	LogoURL       string
	AccentColor   string
	AuthRequestID string
	AppID         string
	LoginHint     string
	// Enrol marks a prompt=create request: the page creates a passkey
	// instead of signing in with one.
	Enrol     bool
	Issuer    string
	Error     string
	ErrorCode string
	// RetryURL is the sign-in page again, on an error page whose sign-in
	// may still succeed with another try (another passkey, a fresh nonce).
	RetryURL string
	// Discoverable marks a sign-in page whose ceremony is the
	// discoverable authentication, which its script starts without
	// asking GET /login/ceremony.
	Discoverable bool
	// ExpiresIn is how many seconds the page's sign-in has left: the
	// script starts no discoverable ceremony after that.
	ExpiresIn int64
	// DeviceBound marks a sign-in that only a device-bound passkey (not
	// synced: a security key, some platform authenticators) can complete
	// (acr phrh): the page says so before the person picks one.
	DeviceBound bool
	// ConfirmURL ends the browser's sessions, on the page that asks
	// before a logout no ID token vouches for.
	ConfirmURL string
	// PostURL and PostParams are the form_post page's answer: where its
	// form posts, and what.
	PostURL    string
	PostParams url.Values
}

// titles are the pages' titles; the login page's names the app.
var titles = map[string]string{
	"login.html":      "Sign in",
	"error.html":      "Sign-in problem",
	"logged-out.html": "Signed out",
	"logout.html":     "Sign out",
	"formpost.html":   "Continue",
}

// retryable are the errors after which the same auth request can still be
// completed, so the error page links back to the sign-in page.
var retryable = map[string]bool{
	"wrong_user":            true,
	"wrong_ceremony":        true,
	"invalid_nonce":         true,
	"store_unavailable":     true,
	"internal_server_error": true,
}

// accentColor admits only "#rrggbb": the page's script sets it as a CSS
// custom property.
var accentColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// render writes a page with the security headers every page carries (see
// web.SetPageHeaders): a strict Content-Security-Policy whose form-action
// admits the client's redirect origins besides this one, no framing, no
// caching.
func (h *Handler) render(c *gin.Context, status int, name string, req *request, d pageData) {
	h.renderTo(c.Writer, c.Request, status, name, req, d)
}

// renderTo is render on a plain ResponseWriter.
func (h *Handler) renderTo(w http.ResponseWriter, r *http.Request, status int, name string, req *request, d pageData) {
	d.Issuer = h.issuer
	if req != nil {
		d.AppName = req.app.Name
		if strings.HasPrefix(req.app.LogoURL, "https://") {
			d.LogoURL = req.app.LogoURL
		}
		if accentColor.MatchString(req.app.AccentColor) {
			d.AccentColor = req.app.AccentColor
		}
		d.Enrol = req.Enroll
	}
	d.Monogram = monogram(d.AppName)
	if d.Title == "" {
		d.Title = titles[name]
		switch {
		case name == "login.html" && d.Enrol && d.AppName != "":
			d.Title = "Create a passkey for " + d.AppName
		case name == "login.html" && d.AppName != "":
			d.Title = "Sign in to " + d.AppName
		}
	}
	if name == "error.html" && retryable[d.ErrorCode] {
		d.RetryURL = h.retryURL(r)
	}
	var buf bytes.Buffer
	if err := h.pages.ExecuteTemplate(&buf, name, d); err != nil {
		h.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	// form-action must allow the redirects that follow the form post (to
	// op's callback here, then to the client): Chromium applies it to them.
	var formAction []string
	if req != nil {
		for _, u := range req.client.RedirectURIs {
			formAction = append(formAction, originOf(u))
		}
	}
	web.SetPageHeaders(w.Header(), formAction...)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// formPost is the provider's form_post page (see oidc.FormPostPage): a form
// its script submits at once, a Continue button for a browser without
// script. Its Content-Security-Policy lets it post to the redirect URI's
// origin only, beside this one.
func (h *Handler) formPost(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values) {
	d := pageData{Title: titles["formpost.html"], Issuer: h.issuer, PostURL: redirectURI, PostParams: params}
	var buf bytes.Buffer
	if err := h.pages.ExecuteTemplate(&buf, "formpost.html", d); err != nil {
		h.log.ErrorContext(r.Context(), "render page", "page", "formpost.html", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	web.SetPageHeaders(w.Header(), oidcp.FormActionOrigin(redirectURI))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// monogram is the first letter or digit of name, upper-cased, or "".
func monogram(name string) string {
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return string(unicode.ToUpper(r))
		}
	}
	return ""
}

// retryURL is the sign-in page of the auth request the failed call named
// (the form's or the query's auth_request_id), or "" when it named none.
// The page itself checks the request again.
func (h *Handler) retryURL(r *http.Request) string {
	id := r.PostFormValue("auth_request_id")
	if id == "" {
		id = r.URL.Query().Get("auth_request_id")
	}
	if id == "" || len(id) > 64 {
		return ""
	}
	return h.issuer + "/login?" + url.Values{"auth_request_id": {id}}.Encode()
}

// originOf is the origin of an absolute URL, or "" for anything else.
func originOf(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return ""
	}
	rest := raw[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	return raw[:i+3] + rest
}

// serveStatic serves the pages' scripts and style sheets. They are read,
// typed and hashed once (see loadStatic). Browsers revalidate them on every
// use (a 304 while unchanged), so a deploy never pairs new HTML with an old
// script.
func (h *Handler) serveStatic(c *gin.Context) {
	name := strings.TrimPrefix(path.Clean(c.Param("file")), "/")
	a, ok := h.assets[name]
	if !ok {
		c.Status(http.StatusNotFound)
		return
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "no-cache")
	c.Header("ETag", a.etag)
	if c.GetHeader("If-None-Match") == a.etag {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, a.contentType, a.body)
}
