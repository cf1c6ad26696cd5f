package account

import (
	"bytes"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/provider/web"
	"github.com/passbridge/passbridge/storage"
)

// pageData is what the account pages' templates read (and the shared
// layout's and error page's parts).
type pageData struct {
	Title  string
	Issuer string
	// The app whose passkeys the page manages.
	AppID       string
	AppName     string
	Monogram    string // the app name's first letter, in place of a logo
	LogoURL     string
	AccentColor string
	SignedIn    bool
	// Apps are the apps to choose from, on the page that asks which.
	Apps []appLink
	// An error page's.
	Error     string
	ErrorCode string
	RetryURL  string
}

// appLink is one app on the page that asks which app.
type appLink struct {
	Name string
	URL  string
}

// accentColor admits only "#rrggbb": the page's script sets it as a CSS
// custom property.
var accentColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// maxSessionCookies bounds the session cookies the page looks up to find
// the app without ?app_id=: each is a store read, and a browser signed in
// to more apps than that is asked which one.
const maxSessionCookies = 8

// page answers GET /account: the account page of the app ?app_id= names;
// without it, of the app of the browser's only live session, else of the
// only app the page can serve; else a page that asks which app.
func (h *Handler) page(c *gin.Context) {
	ctx := c.Request.Context()
	if id := c.Query("app_id"); id != "" {
		app, err := h.loadApp(ctx, id)
		if err != nil {
			h.pageError(c, err)
			return
		}
		h.accountPage(c, app)
		return
	}
	app, err := h.sessionApp(c)
	if err != nil {
		h.pageError(c, err)
		return
	}
	if app != nil {
		h.accountPage(c, *app)
		return
	}
	apps, err := h.store.ListApps(ctx)
	if err != nil {
		h.pageError(c, err)
		return
	}
	var served []storage.App
	for _, a := range apps {
		if h.fits(a) {
			served = append(served, a)
		}
	}
	if len(served) == 1 {
		h.accountPage(c, served[0])
		return
	}
	// By name, as people look for theirs.
	slices.SortStableFunc(served, func(a, b storage.App) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	d := pageData{Title: "Choose an app"}
	for _, a := range served {
		d.Apps = append(d.Apps, appLink{Name: a.Name, URL: h.issuer + "/account?app_id=" + a.ID})
	}
	h.render(c, http.StatusOK, "account-apps.html", d)
}

// sessionApp is the app of the browser's only live session, when the page
// can serve it, or nil.
func (h *Handler) sessionApp(c *gin.Context) (*storage.App, error) {
	ctx := c.Request.Context()
	ids := make([]string, 0, maxSessionCookies)
	for id := range h.provider.Cookies().Sessions(c.Request) {
		ids = append(ids, id)
	}
	if len(ids) == 0 || len(ids) > maxSessionCookies {
		return nil, nil
	}
	slices.Sort(ids)
	var found *storage.App
	for _, id := range ids {
		if !httpapi.Plausible(id, 128) {
			continue
		}
		sess, err := h.provider.Session(ctx, c.Request, id)
		if err != nil {
			return nil, err
		}
		if sess == nil {
			continue
		}
		if found != nil {
			return nil, nil // more than one: the browser is asked which
		}
		app, err := h.store.GetApp(ctx, id)
		if err != nil {
			return nil, err
		}
		found = &app
	}
	if found == nil || !h.fits(*found) {
		return nil, nil
	}
	return found, nil
}

// accountPage renders the account page of app, signed in or not.
func (h *Handler) accountPage(c *gin.Context, app storage.App) {
	sess, err := h.provider.Session(c.Request.Context(), c.Request, app.ID)
	if err != nil {
		h.pageError(c, err)
		return
	}
	d := pageData{
		Title: "Your passkeys for " + app.Name, AppID: app.ID, AppName: app.Name,
		SignedIn: sess != nil,
	}
	if strings.HasPrefix(app.LogoURL, "https://") {
		d.LogoURL = app.LogoURL
	}
	if accentColor.MatchString(app.AccentColor) {
		d.AccentColor = app.AccentColor
	}
	d.Monogram = monogram(app.Name)
	h.render(c, http.StatusOK, "account.html", d)
}

// pageError renders the error page for err: an app that is unknown or that
// this page cannot serve, or a failure of ours (logged, never shown).
func (h *Handler) pageError(c *gin.Context, err error) {
	d := pageData{Title: "Passkeys", RetryURL: h.issuer + "/account"}
	var he *httpapi.Error
	switch {
	case errors.As(err, &he) && he.Status < 500:
		d.ErrorCode, d.Error = he.Code, he.Message
		if he == errAppNotFound {
			d.Error = "No app has this ID. Open the account page again from the app, or choose the app on the account page."
		}
		h.render(c, he.Status, "error.html", d)
	case errors.Is(err, storage.ErrUnavailable):
		h.log.WarnContext(c.Request.Context(), "account page: store unavailable", "err", err)
		d.ErrorCode, d.Error = httpapi.CodeStoreUnavailable, "The service is unavailable right now. Try again in a moment."
		h.render(c, http.StatusServiceUnavailable, "error.html", d)
	default:
		h.log.ErrorContext(c.Request.Context(), "account page", "err", err)
		d.ErrorCode, d.Error = httpapi.CodeInternal, "Something went wrong on our side. Try again."
		h.render(c, http.StatusInternalServerError, "error.html", d)
	}
}

// render writes a page with the security headers every page carries (a
// strict Content-Security-Policy: no inline script or style).
func (h *Handler) render(c *gin.Context, status int, name string, d pageData) {
	d.Issuer = h.issuer
	var buf bytes.Buffer
	if err := h.pages.ExecuteTemplate(&buf, name, d); err != nil {
		h.log.ErrorContext(c.Request.Context(), "render page", "page", name, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	web.SetPageHeaders(c.Writer.Header())
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
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
