package oidc

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// ErrorPage renders the page a browser sees when an authorization request
// cannot go back to its client (an unknown client, an unregistered
// redirect_uri): status, an OAuth error code, and a description safe to
// show.
type ErrorPage func(w http.ResponseWriter, r *http.Request, status int, code, description string)

// SetErrorPage makes the provider show fn's page, instead of op's plain
// text, for the authorization errors it cannot send to a client. The login
// page sets it (it is built after the provider).
func (p *Provider) SetErrorPage(fn ErrorPage) { p.errorPage.Store(&fn) }

// withErrorPage turns op's 4xx answers on the browser-facing endpoints
// (plain text or OAuth JSON) into the error page: a person, not a program,
// follows these links.
func (p *Provider) withErrorPage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fn := p.errorPage.Load()
		if fn == nil {
			next.ServeHTTP(w, r)
			return
		}
		cw := &captureWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		if cw.captured {
			code, desc := parseOPError(cw.body.String())
			(*fn)(w, r, cw.status, code, desc)
		}
	})
}

// captureWriter holds back a 4xx answer; anything else goes through as it
// is.
type captureWriter struct {
	http.ResponseWriter
	status   int
	captured bool
	body     bytes.Buffer
}

func (w *captureWriter) WriteHeader(status int) {
	if status >= 400 && status < 500 {
		w.status, w.captured = status, true
		w.Header().Del("Content-Type")
		w.Header().Del("X-Content-Type-Options")
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *captureWriter) Write(b []byte) (int, error) {
	if w.captured {
		if w.body.Len() < 4096 {
			w.body.Write(b)
		}
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// parseOPError reads op's plain-text error ("ErrorType=invalid_request
// Description=… Parent=…", or a bare sentence): the error code and the
// description, without any parent's text.
func parseOPError(s string) (code, description string) {
	s = strings.TrimSpace(s)
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if strings.HasPrefix(s, "{") && json.Unmarshal([]byte(s), &e) == nil && e.Error != "" {
		return e.Error, e.Description
	}
	code = "invalid_request"
	rest, ok := strings.CutPrefix(s, "ErrorType=")
	if !ok {
		return code, s
	}
	code, rest, _ = strings.Cut(rest, " ")
	description, _, _ = strings.Cut(strings.TrimPrefix(rest, "Description="), " Parent=")
	if strings.HasPrefix(rest, "Parent=") {
		description = ""
	}
	return code, description
}
