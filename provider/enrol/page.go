package enrol

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/web"
)

// pageData is what the enrolment page's template reads, and the shared
// layout's and error page's parts.
type pageData struct {
	Title       string
	Issuer      string
	AppName     string
	Monogram    string // the app name's first letter, in place of a logo
	LogoURL     string
	AccentColor string
	// UserName names the account the passkey is for.
	UserName string
	// Token is the link's, posted back with the registration's nonce.
	Token string
	// AppID names the app of the account page the enrolment ends on.
	AppID string
	// An error page's.
	Error     string
	ErrorCode string
	RetryURL  string
}

// accentColor admits only "#rrggbb": the page's script sets it as a CSS
// custom property.
var accentColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// page answers GET /enrol?token=…: the page where the link's user creates
// a passkey, or the page that says why the link cannot be used. It reads
// and changes nothing else: a link preview does not spend the link.
func (h *Handler) page(c *gin.Context) {
	ctx := c.Request.Context()
	token := c.Query("token")
	en, err := h.ceremony.OpenEnrolmentLink(ctx, token)
	if err != nil {
		h.showError(c, h.refusal(ctx, err))
		return
	}
	d := h.brand(en)
	if !h.fits(en) {
		h.render(c, errMisconfigured.status, "error.html", withError(d, errMisconfigured))
		return
	}
	d.Title = "Create a passkey for " + en.App.Name
	d.UserName = en.User.DisplayName
	if d.UserName == "" {
		d.UserName = en.User.ExternalID
	}
	d.Token, d.AppID = token, en.App.ID
	h.render(c, http.StatusOK, "enrol.html", d)
}

// brand is the page data that shows the link's app: its name, logo and
// accent colour.
func (h *Handler) brand(en ceremony.Enrolment) pageData {
	d := pageData{AppName: en.App.Name, Monogram: monogram(en.App.Name)}
	if strings.HasPrefix(en.App.LogoURL, "https://") {
		d.LogoURL = en.App.LogoURL
	}
	if accentColor.MatchString(en.App.AccentColor) {
		d.AccentColor = en.App.AccentColor
	}
	return d
}

// withError is d as the error page of e.
func withError(d pageData, e *pageError) pageData {
	d.Title, d.ErrorCode, d.Error = "Passkey enrolment", e.code, e.message
	return d
}

// render writes a page with the security headers every page carries (a
// strict Content-Security-Policy: no inline script or style; forms post to
// this origin only).
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
