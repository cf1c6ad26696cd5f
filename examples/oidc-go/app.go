package main

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

//go:embed web
var webFS embed.FS

// app is the example site: its pages and the sign-in flow.
type app struct {
	cfg      Config
	rp       *relyingParty
	flows    *flows
	sessions *sessions
	cookies  cookies
	log      *slog.Logger
	pages    *template.Template
	mux      *http.ServeMux
}

// newHandler builds the site from cfg.
func newHandler(cfg Config) (*app, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	pages, err := template.New("").Funcs(template.FuncMap{
		"when":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"join":    strings.Join,
	}).ParseFS(webFS, "web/*.html")
	if err != nil {
		return nil, err
	}
	redirect, _ := url.Parse(cfg.RedirectURL)
	a := &app{
		cfg:      cfg,
		rp:       newRelyingParty(cfg),
		flows:    newFlows(now),
		sessions: newSessions(now),
		cookies:  cookies{secure: redirect.Scheme == "https"},
		log:      cfg.logger(),
		pages:    pages,
	}
	static, err := fs.Sub(webFS, "web/static")
	if err != nil {
		return nil, err
	}

	// Go's cross-origin protection refuses a POST another site's page
	// sends (Sec-Fetch-Site, else Origin against Host); the sign-out form
	// also carries a token of the session. The app's public origin is
	// trusted by name, for a reverse proxy that changes the Host header.
	csrf := http.NewCrossOriginProtection()
	if err := csrf.AddTrustedOrigin(mustOrigin(cfg.RedirectURL)); err != nil {
		return nil, err
	}
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, &pageError{Status: http.StatusForbidden, Code: "cross_site_request",
			Title: "Request refused", Message: "This request came from another site."})
	}))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.handle(a.index))
	mux.HandleFunc("GET /login", a.handle(a.login))
	mux.HandleFunc("GET "+callbackPath, a.handle(a.callback))
	mux.Handle("POST /logout", csrf.Handler(a.handle(a.logout)))
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	a.mux = mux
	return a, nil
}

// ServeHTTP serves the site with its security headers.
func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No script at all; forms post here and go on (by redirect) to
	// passbridge's authorization and end-session endpoints.
	h.Set("Content-Security-Policy", strings.Join([]string{
		"default-src 'none'",
		"style-src 'self'",
		"img-src 'self'",
		"form-action 'self' " + strings.Join(a.rp.formOrigins(), " "),
		"base-uri 'none'",
		"frame-ancestors 'none'",
	}, "; "))
	h.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: with no-referrer a browser sends
	// "Origin: null" on the sign-out form, which the cross-origin check
	// would refuse.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if a.cookies.secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		// Pages show who is signed in: no cache may keep them.
		h.Set("Cache-Control", "no-store")
	}
	a.mux.ServeHTTP(w, r)
}

// pageError is a refusal or failure shown as a page: a status, a stable
// snake_case code and a message for the person. The cause is logged, never
// shown.
type pageError struct {
	Status  int
	Code    string
	Title   string
	Message string
	// Detail is passbridge's error_description, when the error is its.
	Detail string
	cause  error
}

func (e *pageError) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.cause.Error()
	}
	return e.Code
}

func (e *pageError) Unwrap() error { return e.cause }

// handle adapts a handler that returns its error; fail shows the error.
func (a *app) handle(fn func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			a.fail(w, r, err)
		}
	}
}

// fail logs err and shows it. Anything that is not a pageError is this
// app's fault: a 500 without details.
func (a *app) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pe *pageError
	if !errors.As(err, &pe) {
		pe = &pageError{Status: http.StatusInternalServerError, Code: "internal_error",
			Title: "Something went wrong", Message: "This app failed to answer. Try again in a moment.", cause: err}
	}
	level := slog.LevelWarn
	if pe.Status >= 500 {
		level = slog.LevelError
	}
	// The path only: a callback's query holds the code and state.
	attrs := []any{"path", r.URL.Path, "status", pe.Status, "code", pe.Code}
	if pe.cause != nil {
		attrs = append(attrs, "err", pe.cause)
	}
	a.log.Log(r.Context(), level, "request refused", attrs...)
	a.render(w, pe.Status, "error.html", pe)
}

// render writes page name with data.
func (a *app) render(w http.ResponseWriter, status int, name string, data any) {
	var b strings.Builder
	if err := a.pages.ExecuteTemplate(&b, name, data); err != nil {
		a.log.Error("render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// indexPage is what GET / shows.
type indexPage struct {
	SignedIn bool
	Claims   idClaims
	AuthTime time.Time
	// StepUp is the session's last confirmation with a passkey, if any.
	StepUp *stepUp
	// CSRF is the token the sign-out form carries.
	CSRF string
	// SignedOut: the browser is back from passbridge's end-session
	// endpoint with the state this app sent there.
	SignedOut bool
}

func (a *app) index(w http.ResponseWriter, r *http.Request) error {
	var page indexPage
	if s, ok := a.currentSession(r); ok {
		page = indexPage{SignedIn: true, Claims: s.claims, AuthTime: s.claims.authTime(), StepUp: s.stepUp, CSRF: s.csrf}
	} else if state := r.URL.Query().Get("state"); state != "" {
		want := a.cookies.get(r, logoutCookie)
		page.SignedOut = want != "" && equal(state, want)
		a.cookies.clear(w, logoutCookie)
	}
	a.render(w, http.StatusOK, "index.html", page)
	return nil
}

// currentSession is the request's live session, if any.
func (a *app) currentSession(r *http.Request) (session, bool) {
	id := a.cookies.get(r, sessionCookie)
	if id == "" {
		return session{}, false
	}
	return a.sessions.get(id)
}
