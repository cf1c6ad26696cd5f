package web

import (
	"net/http"
	"strings"
)

// SetPageHeaders sets the security headers a page of the provider carries:
// a strict Content-Security-Policy (scripts and style sheets from this
// origin only, no inline script or style, images from here, data: URIs and
// https; fetch to this origin only; forms post to this origin and to
// formAction), no framing, no sniffing, no referrer, no caching.
func SetPageHeaders(h http.Header, formAction ...string) {
	h.Set("Content-Security-Policy", strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data: https:",
		"connect-src 'self'",
		"form-action " + strings.Join(append([]string{"'self'"}, formAction...), " "),
		"frame-ancestors 'none'",
		"base-uri 'none'",
	}, "; "))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}
