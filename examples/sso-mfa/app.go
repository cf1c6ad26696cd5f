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

// maxFormBytes bounds a form post; the app's forms are a few fields.
const maxFormBytes = 16 << 10

// app is the example web app: its own password sign-in, then the passkey
// step at passbridge.
type app struct {
	cfg      Config
	rp       *relyingParty
	users    *userStore
	flows    *flows
	sessions *sessions
	throttle *throttle
	cookies  cookies
	log      *slog.Logger
	pages    *template.Template
	mux      *http.ServeMux
}

// newHandler builds the app from a valid configuration.
func newHandler(cfg Config) (*app, error) {
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
	redirect, err := url.Parse(cfg.RedirectURL)
	if err != nil {
		return nil, err
	}
	a := &app{
		cfg:      cfg,
		rp:       newRelyingParty(cfg),
		users:    newUserStore(cfg.UsersFile),
		flows:    newFlows(now),
		sessions: newSessions(now),
		throttle: newThrottle(now),
		cookies:  cookies{secure: redirect.Scheme == "https"},
		log:      cfg.logger(),
		pages:    pages,
	}
	static, err := fs.Sub(webFS, "web/static")
	if err != nil {
		return nil, err
	}

	// Every form is a POST. Go's cross-origin protection refuses one that
	// another site's page sends (Sec-Fetch-Site, else Origin against
	// Host); each form also carries a token, of the session or, for the
	// sign-in form, of the browser. The app's public origin is trusted by
	// name, for a reverse proxy that changes the Host header.
	csrf := http.NewCrossOriginProtection()
	if err := csrf.AddTrustedOrigin(mustOrigin(cfg.RedirectURL)); err != nil {
		return nil, err
	}
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, &pageError{Status: http.StatusForbidden, Code: "cross_site_request",
			Title: "Request refused", Message: "This request came from another site."})
	}))
	post := func(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
		return csrf.Handler(a.handle(fn))
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.handle(a.index))
	mux.Handle("POST /login", post(a.passwordSignIn))
	mux.Handle("POST /mfa", post(a.continueMFA))
	mux.Handle("POST /sensitive", post(a.sensitive))
	mux.HandleFunc("GET "+callbackPath, a.handle(a.callback))
	mux.Handle("POST /logout", post(a.logout))
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
	// "Origin: null" on the forms, which the cross-origin check refuses.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if a.cookies.secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		// Pages show who is signed in: no cache may keep them.
		h.Set("Cache-Control", "no-store")
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
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

// currentSession is the request's live session, if any.
func (a *app) currentSession(r *http.Request) (session, bool) {
	id := a.cookies.get(r, sessionCookie)
	if id == "" {
		return session{}, false
	}
	return a.sessions.get(id)
}

// sessionForm is the session a form of its page posts: live, and the
// form carrying its CSRF token.
func (a *app) sessionForm(r *http.Request) (session, error) {
	s, ok := a.currentSession(r)
	if !ok {
		return session{}, &pageError{Status: http.StatusUnauthorized, Code: "not_signed_in", Title: "Not signed in",
			Message: "Your session has ended. Sign in again."}
	}
	// Cross-site posts are refused before this (http.CrossOriginProtection);
	// the token also refuses a post from a page of this origin that did
	// not come from this session's page.
	if !equal(r.PostFormValue("csrf"), s.csrf) {
		return session{}, errBadCSRF
	}
	return s, nil
}

var errBadCSRF = &pageError{Status: http.StatusForbidden, Code: "invalid_csrf_token", Title: "Request refused",
	Message: "This form did not come from this app's page. Reload the page and try again."}
