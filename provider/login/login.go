package login

import (
	"context"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	oidcp "github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/storage"
)

// Deps is what the login page needs.
type Deps struct {
	Store    storage.Store
	Ceremony *ceremony.Service
	Provider *oidcp.Provider
	Issuer   string
	// Templates is the tree of pages/ and static/ (templates.FS()).
	Templates fs.FS
	Now       func() time.Time
	Logger    *slog.Logger
}

// Handler serves the login page and its calls.
type Handler struct {
	store    storage.Store
	ceremony *ceremony.Service
	provider *oidcp.Provider
	issuer   string
	pages    *template.Template
	assets   map[string]asset
	now      func() time.Time
	log      *slog.Logger
}

// New parses the page templates once.
func New(deps Deps) (*Handler, error) {
	if deps.Store == nil || deps.Ceremony == nil || deps.Provider == nil || deps.Templates == nil {
		return nil, errors.New("login: store, ceremony, provider and templates are required")
	}
	u, err := url.Parse(deps.Issuer)
	if err != nil || u.Host == "" {
		return nil, errors.New("login: the issuer must be an absolute URL")
	}
	pages, err := template.ParseFS(deps.Templates, "pages/*.html")
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(deps.Templates, "static/pages")
	if err != nil {
		return nil, err
	}
	assets, err := loadStatic(static)
	if err != nil {
		return nil, err
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{
		store: deps.Store, ceremony: deps.Ceremony, provider: deps.Provider, issuer: strings.TrimRight(deps.Issuer, "/"),
		pages: pages, assets: assets, now: now, log: log,
	}
	deps.Provider.SetErrorPage(h.authorizeError)
	deps.Provider.SetLogoutPage(h.confirmLogout)
	deps.Provider.SetFormPostPage(h.formPost)
	return h, nil
}

// confirmLogout asks the person to confirm a sign-out no ID token vouches
// for; the link ends the sessions.
func (h *Handler) confirmLogout(w http.ResponseWriter, r *http.Request, confirmURL string) {
	h.renderTo(w, r, http.StatusOK, "logout.html", nil, pageData{ConfirmURL: confirmURL})
}

// authorizeError is the page of an authorization request that cannot go
// back to its client (an unknown client, an unregistered redirect_uri): the
// person came from a misconfigured or forged link, and is told so.
func (h *Handler) authorizeError(w http.ResponseWriter, r *http.Request, status int, code, description string) {
	msg := "This sign-in link is not valid, so it cannot go back to the app that sent you here. " +
		"Go back to the app and try again; if it happens again, tell the app's administrator."
	if description != "" {
		msg += " (" + description + ")"
	}
	h.renderTo(w, r, status, "error.html", nil, pageData{ErrorCode: code, Error: msg})
}

// RegisterRoutes mounts the page, its calls and its static files.
func (h *Handler) RegisterRoutes(r *gin.RouterGroup) {
	r.GET("/login", h.page)
	r.GET("/login/ceremony", h.ceremonyInfo)
	r.POST("/login/complete", h.complete)
	r.GET("/logged-out", h.loggedOut)
	r.GET("/static/pages/*file", h.serveStatic)
}

// request is an auth request as the login page loads it, with its client
// and app.
type request struct {
	storage.AuthRequest
	client storage.Client
	app    storage.App
}

// load reads the auth request named by id and checks that it belongs to
// this browser (DESIGN §6: another browser cannot complete it).
func (h *Handler) load(ctx context.Context, r *http.Request, id string) (*request, *pageError) {
	if !httpapi.Plausible(id, 64) {
		return nil, errNoRequest
	}
	ar, err := h.store.GetAuthRequest(ctx, id, h.now())
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errNoRequest
	}
	if err != nil {
		return nil, h.internal(ctx, "load auth request", err)
	}
	browser := h.provider.Cookies().Browser(r)
	if browser == nil || !equal(browser, ar.BrowserBinding) {
		return nil, errOtherBrowser
	}
	c, err := h.store.GetClient(ctx, ar.ClientID)
	if err != nil {
		return nil, h.internal(ctx, "load client", err)
	}
	app, err := h.store.GetApp(ctx, ar.AppID)
	if err != nil {
		return nil, h.internal(ctx, "load app", err)
	}
	return &request{AuthRequest: ar, client: c, app: app}, nil
}

// fits reports whether the page can run the app's ceremonies on the
// issuer's origin (see ceremony.CheckIssuerFit).
func (h *Handler) fits(app storage.App) bool {
	return ceremony.CheckIssuerFit(app, h.issuer) == nil
}

// page shows the sign-in page, or goes straight on when the request is done
// or the browser's session satisfies it.
func (h *Handler) page(c *gin.Context) {
	ctx := c.Request.Context()
	req, perr := h.load(ctx, c.Request, c.Query("auth_request_id"))
	if perr != nil {
		h.showError(c, perr)
		return
	}
	if req.Done {
		c.Redirect(http.StatusFound, h.provider.CallbackURL(ctx, req.ID))
		return
	}
	if !h.fits(req.app) {
		h.respondErrorFor(c, errMisconfigured, req)
		return
	}
	// /authorize decided SSO already; the browser may have signed in (in
	// another tab) since. A request that forces a ceremony needs no look.
	if !oidcp.ForcesCeremony(req.AuthRequest) {
		sess, err := h.provider.Session(ctx, c.Request, req.AppID)
		if err != nil {
			h.showError(c, h.internal(ctx, "session", err))
			return
		}
		if oidcp.SessionSatisfies(req.AuthRequest, req.client, sess, h.now()) {
			if err := h.provider.CompleteFromSession(ctx, req.AuthRequest, *sess); err != nil {
				h.showError(c, h.internal(ctx, "complete from session", err))
				return
			}
			c.Redirect(http.StatusFound, h.provider.CallbackURL(ctx, req.ID))
			return
		}
	}
	hint := oidcp.HintedSubject(req.AuthRequest)
	h.render(c, http.StatusOK, "login.html", req, pageData{
		AuthRequestID: req.ID,
		AppID:         req.AppID,
		LoginHint:     hint,
		// What GET /login/ceremony would answer when it needs no write: a
		// request that names no user and enrols none gets the
		// discoverable ceremony, which the page runs without asking.
		Discoverable: hint == "" && !req.Enroll,
		ExpiresIn:    max(0, int64(req.ExpiresAt.Sub(h.now())/time.Second)),
		DeviceBound:  oidcp.RequiredACR(req.AuthRequest, req.client) == oidcp.ACRPhishingResistantHardware,
	})
}

// ceremonyResponse tells the page (or a headless client) which ceremony to
// run: an authentication, bound to a transaction when the request names the
// user, discoverable otherwise.
type ceremonyResponse struct {
	AppID         string  `json:"app_id"`
	Mode          string  `json:"mode"` // "authenticate" | "register"
	TransactionID *string `json:"transaction_id"`
}

// ceremonyInfo answers GET /login/ceremony.
func (h *Handler) ceremonyInfo(c *gin.Context) {
	ctx := c.Request.Context()
	req, perr := h.load(ctx, c.Request, c.Query("auth_request_id"))
	if perr != nil {
		h.jsonError(c, perr)
		return
	}
	if !h.fits(req.app) {
		h.jsonError(c, errMisconfigured)
		return
	}
	if req.Done {
		// No ceremony (nor transaction) for a completed sign-in.
		h.jsonError(c, errDone)
		return
	}
	resp := ceremonyResponse{AppID: req.AppID, Mode: "authenticate"}
	if req.Enroll {
		// prompt=create: a registration, for the user the request names
		// or a new one. The passkey's display name is the user's
		// (display_name, or the external ID).
		sub := oidcp.EnrolSubject(req.AuthRequest)
		name := strings.TrimSpace(c.Query("display_name"))
		if name == "" || len(name) > 64 {
			name = sub
		}
		t, err := h.ceremony.CreateRegisterTransaction(ctx, req.app, sub, name)
		var cerr *ceremony.Error
		if errors.As(err, &cerr) {
			h.jsonError(c, &pageError{http.StatusForbidden, cerr.Code, "A passkey cannot be added to this account here."})
			return
		}
		if err != nil {
			h.jsonError(c, h.internal(ctx, "create register transaction", err))
			return
		}
		resp.Mode, resp.TransactionID = "register", &t.ID
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, resp)
		return
	}
	if sub := oidcp.HintedSubject(req.AuthRequest); sub != "" {
		bind, perr := h.mayBind(ctx, c.Request, req, sub)
		if perr != nil {
			h.jsonError(c, perr)
			return
		}
		if bind {
			t, err := h.ceremony.CreateAuthenticateTransaction(ctx, req.app, sub)
			var cerr *ceremony.Error
			switch {
			case err == nil:
				resp.TransactionID = &t.ID
			case errors.As(err, &cerr):
				// The user has no passkeys here any more: a
				// discoverable ceremony, which complete checks against
				// the hint.
			default:
				h.jsonError(c, h.internal(ctx, "create transaction", err))
				return
			}
		}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, resp)
}

// mayBind reports whether the ceremony for hinted user sub may be bound to
// that user's passkeys (a transaction, whose start lists their credential
// IDs). A bound ceremony tells whoever runs it whether sub has passkeys
// here, and anyone can write an authorization request with a login_hint;
// so only a hint that already proves the user is bound: an id_token_hint
// passbridge signed, or a login_hint naming the user whose session this
// browser holds (a step-up). Any other hint gets the discoverable ceremony
// every unknown or passkey-less user gets, and complete refuses another
// user's passkey: the same answers whoever the hint names.
func (h *Handler) mayBind(ctx context.Context, r *http.Request, req *request, sub string) (bool, *pageError) {
	if req.HintSubject != "" {
		return true, nil
	}
	sess, err := h.provider.Session(ctx, r, req.AppID)
	if err != nil {
		return false, h.internal(ctx, "read session", err)
	}
	return sess != nil && sess.Subject == sub, nil
}

// completeForm is what the page posts (as a form or JSON).
type completeForm struct {
	AuthRequestID string `form:"auth_request_id" json:"auth_request_id"`
	Nonce         string `form:"nonce" json:"nonce"`
}

// complete redeems the ceremony's nonce and completes the auth request:
// POST /login/complete → 302 to the client's redirect_uri with the code
// (or to op's callback, for an answer that is not a redirect).
func (h *Handler) complete(c *gin.Context) {
	ctx := c.Request.Context()
	var f completeForm
	// JSON goes through the shared decoder, which refuses what is not UTF-8
	// (encoding/json would rewrite it); a form is the page's own post.
	var err error
	if c.ContentType() == "application/json" {
		err = httpapi.DecodeJSON(c, &f)
	} else {
		err = c.ShouldBindWith(&f, binding.Form)
	}
	var bad *httpapi.Error
	if errors.As(err, &bad) {
		h.respondError(c, &pageError{bad.Status, bad.Code, bad.Message})
		return
	}
	if err != nil || f.AuthRequestID == "" || f.Nonce == "" {
		h.respondError(c, errBadForm)
		return
	}
	req, perr := h.load(ctx, c.Request, f.AuthRequestID)
	if perr != nil {
		h.respondError(c, perr)
		return
	}
	if req.Done {
		c.Redirect(http.StatusFound, h.provider.CallbackURL(ctx, req.ID))
		return
	}
	n, err := h.ceremony.VerifyNonce(ctx, req.app, f.Nonce)
	var cerr *ceremony.Error
	if errors.As(err, &cerr) {
		h.respondErrorFor(c, errBadNonce, req)
		return
	}
	if err != nil {
		h.respondError(c, h.internal(ctx, "verify nonce", err))
		return
	}
	// A registration completes only a prompt=create request, for its
	// user; an authentication only a sign-in, for the user it names.
	want, kind := oidcp.HintedSubject(req.AuthRequest), storage.KindAuthenticate
	if req.Enroll {
		want, kind = oidcp.EnrolSubject(req.AuthRequest), storage.KindRegister
	}
	if n.Kind != kind {
		h.respondErrorFor(c, errWrongCeremony, req)
		return
	}
	if want != "" && n.ExternalID != want {
		h.respondErrorFor(c, errWrongUser, req)
		return
	}
	proof := oidcp.Proof{UserID: n.UserID, Subject: n.ExternalID, DeviceID: n.DeviceID,
		UserVerified: n.UserVerified, BackupEligible: n.BackupEligible}
	next, err := h.provider.SignIn(ctx, c.Writer, c.Request, req.AuthRequest, req.client, proof)
	switch {
	case errors.Is(err, oidcp.ErrUnmet):
		h.provider.Fail(c.Writer, c.Request, req.AuthRequest, oidcp.ErrUnmetAuthenticationRequirements(
			"the passkey used does not meet the authentication requirements of this sign-in"))
		return
	case errors.Is(err, oidcp.ErrAlreadyDone):
		// Completed meanwhile (another tab): the callback answers it,
		// once.
		next = h.provider.CallbackURL(ctx, req.ID)
	case errors.Is(err, oidcp.ErrUserInactive):
		h.respondErrorFor(c, errUserInactive, req)
		return
	case err != nil:
		h.respondError(c, h.internal(ctx, "sign in", err))
		return
	}
	c.Redirect(http.StatusFound, next)
}

// loggedOut is where end_session sends a browser whose client gave no
// post_logout_redirect_uri.
func (h *Handler) loggedOut(c *gin.Context) {
	h.render(c, http.StatusOK, "logged-out.html", nil, pageData{})
}
