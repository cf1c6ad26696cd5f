package main

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
)

//go:embed web
var webFS embed.FS

// app is the example site: its page, its static files and its API.
type app struct {
	pb       *passbridge
	accounts *accounts
	sessions *sessions
	now      func() time.Time
	log      *slog.Logger
	page     []byte // index.html, rendered once
	csp      string
}

// newHandler builds the site from cfg.
func newHandler(cfg Config) (http.Handler, error) {
	origin, err := passbridgeOrigin(cfg.PassbridgeURL)
	if err != nil {
		return nil, err
	}
	if cfg.AppID == "" || cfg.APIKey == "" {
		return nil, errors.New("an app id and an API key are required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tmpl, err := template.ParseFS(webFS, "web/index.html")
	if err != nil {
		return nil, err
	}
	var page bytes.Buffer
	err = tmpl.Execute(&page, struct{ AppID, PassbridgeURL string }{cfg.AppID, strings.TrimRight(cfg.PassbridgeURL, "/")})
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	accts, err := openAccounts(cfg.AccountsFile, now)
	if err != nil {
		return nil, err
	}
	a := &app{
		pb:       newPassbridge(cfg.PassbridgeURL, cfg.AppID, cfg.APIKey, cfg.Client),
		accounts: accts,
		sessions: newSessions(now),
		now:      now,
		log:      log,
		page:     page.Bytes(),
		// The page runs its own script and the SDK module imported from
		// passbridge, and talks to this backend and to passbridge's client
		// API; nothing else. Authenticator icons are data: URIs.
		csp: strings.Join([]string{
			"default-src 'none'",
			"script-src 'self' " + origin,
			"connect-src 'self' " + origin,
			"style-src 'self'",
			"img-src 'self' data:",
			"base-uri 'none'",
			"form-action 'self'",
			"frame-ancestors 'none'",
		}, "; "),
	}
	static, err := fs.Sub(webFS, "web/static")
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.index)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("POST /api/register", a.register)
	mux.HandleFunc("POST /api/authenticate", a.authenticate)
	mux.HandleFunc("POST /api/verify", a.verify)
	mux.HandleFunc("GET /api/me", a.me)
	mux.HandleFunc("POST /api/signout", a.signOut)
	mux.HandleFunc("PATCH /api/devices/{id}", a.renameDevice)
	mux.HandleFunc("DELETE /api/devices/{id}", a.revokeDevice)
	mux.HandleFunc("POST /api/delete-data/start", a.startConfirmation(actionDeleteData))
	mux.HandleFunc("POST /api/delete-data", a.deleteData)

	// Every call that changes something must come from this site's own
	// page. Browsers say where a request comes from (Sec-Fetch-Site, else
	// Origin); a request another site's page makes is refused before any
	// handler runs, so a signed-in person visiting that site cannot be made
	// to rename, remove or confirm anything. GET answers change nothing.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusForbidden, &apiError{Code: "cross_origin_request",
			Message: "this call is accepted from this site's own pages only"})
	}))
	return a.headers(csrf.Handler(mux)), nil
}

// headers sets the security headers of every answer.
func (a *app) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", a.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

func (a *app) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(a.page)
}

// apiError is an answer of this app's API that is not a success: an HTTP
// status and {"code", "error"}, the shape passbridge uses too, so the page
// handles both alike.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"error"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// fail answers with err. A passbridge refusal of what the user asked for
// (an unknown user, a used nonce, …) reaches the page with passbridge's
// status and code; anything that means this site is misconfigured or
// passbridge is down is logged and reported without details.
func (a *app) fail(w http.ResponseWriter, r *http.Request, err error) {
	var own *apiError
	var pb *passbridgeError
	switch {
	case errors.As(err, &own):
		writeJSON(w, own.Status, own)
	case errors.As(err, &pb) && pb.Status >= 400 && pb.Status < 500 && pb.Code != "" &&
		pb.Code != "invalid_access_token" && pb.Code != "app_not_found":
		writeJSON(w, pb.Status, &apiError{Code: pb.Code, Message: pb.Message})
	case errors.As(err, &pb) && pb.Status < 500:
		a.log.Error("passbridge refused this site's credentials", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, &apiError{Code: "server_misconfigured",
			Message: "this site's passkey service is misconfigured"})
	default:
		a.log.Error("passbridge call failed", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusBadGateway, &apiError{Code: "passkeys_unavailable",
			Message: "passkeys are unavailable right now; try again in a moment"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads a small JSON object body into v. Requiring the JSON media
// type also keeps other sites' plain form posts out, should a browser not
// say where a request comes from: a cross-site request cannot send it
// without a CORS preflight, which this site never allows.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &apiError{Status: http.StatusUnsupportedMediaType, Code: "invalid_request",
			Message: "send a JSON body with Content-Type: application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	if err := dec.Decode(v); err != nil {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_request", Message: "the body is not a JSON object of this call"}
	}
	return nil
}
