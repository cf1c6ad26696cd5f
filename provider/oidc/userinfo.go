package oidc

import (
	"net/http"
)

// withBearerErrors answers userinfo's refusals as RFC 6750 §3.1 has a
// protected resource answer them, which is what OpenID Connect Core §5.3.3
// asks of userinfo: 401 with WWW-Authenticate, error invalid_token for a
// token that is malformed, unknown, expired or revoked, and no error code
// for a request without one. op answers 403 invalid_request for a token it
// could decode but the store does not hold, without the header.
func withBearerErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&bearerErrorWriter{ResponseWriter: w, hasToken: hasAccessToken(r)}, r)
	})
}

// hasAccessToken reports whether r presents an access token: an
// Authorization header, or the form's access_token (RFC 6750 §2.2).
func hasAccessToken(r *http.Request) bool {
	if h := r.Header.Get("Authorization"); h != "" {
		return true
	}
	return r.FormValue("access_token") != ""
}

type bearerErrorWriter struct {
	http.ResponseWriter
	hasToken bool
	replaced bool
}

func (w *bearerErrorWriter) WriteHeader(status int) {
	if status != http.StatusUnauthorized && status != http.StatusForbidden {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.replaced = true
	h := w.Header()
	h.Del("Content-Length")
	if !w.hasToken {
		h.Set("WWW-Authenticate", `Bearer`)
		writeOAuthError(w.ResponseWriter, http.StatusUnauthorized, "invalid_request", "an access token is required")
		return
	}
	const description = "the access token is invalid or expired"
	h.Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+description+`"`)
	writeOAuthError(w.ResponseWriter, http.StatusUnauthorized, "invalid_token", description)
}

func (w *bearerErrorWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil // op's own body for the refusal is dropped
	}
	return w.ResponseWriter.Write(b)
}

func (w *bearerErrorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
