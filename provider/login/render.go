package login

import (
	"bytes"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"
)

// pageData is what a page template reads.
type pageData struct {
	Title         string
	AppName       string
	LogoURL       string
	AccentColor   string
	AuthRequestID string
	AppID         string
	LoginHint     string
	Issuer        string
	Error         string
	ErrorCode     string
}

// accentColor admits only "#rrggbb", since it goes into a style attribute.
var accentColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// render writes a page with the security headers every page carries: a
// strict Content-Security-Policy (scripts and styles from this origin only,
// no inline script; forms post here only), no framing, no caching.
func (h *Handler) render(c *gin.Context, status int, name string, req *request, d pageData) {
	d.Issuer = h.issuer
	if req != nil {
		d.AppName = req.app.Name
		if strings.HasPrefix(req.app.LogoURL, "https://") {
			d.LogoURL = req.app.LogoURL
		}
		if accentColor.MatchString(req.app.AccentColor) {
			d.AccentColor = req.app.AccentColor
		}
	}
	var buf bytes.Buffer
	if err := h.pages.ExecuteTemplate(&buf, name, d); err != nil {
		h.log.ErrorContext(c.Request.Context(), "render page", "page", name, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	hd := c.Writer.Header()
	// form-action must allow the redirects that follow the form post (to
	// op's callback here, then to the client): Chromium applies it to them.
	formAction := "'self'"
	if req != nil {
		for _, u := range req.client.RedirectURIs {
			formAction += " " + originOf(u)
		}
	}
	hd.Set("Content-Security-Policy", strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data: https:",
		"connect-src 'self'",
		"form-action " + formAction,
		"frame-ancestors 'none'",
		"base-uri 'none'",
	}, "; "))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
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

// serveStatic serves the pages' scripts and style sheets.
func (h *Handler) serveStatic(c *gin.Context) {
	name := strings.TrimPrefix(path.Clean(c.Param("file")), "/")
	body, err := readFile(h.static, name)
	if err != nil || name == "" || strings.HasPrefix(name, ".") {
		c.Status(http.StatusNotFound)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, ct, body)
}
