package login

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/storage"
)

// pageError is a refusal the page shows, or a headless client reads as
// {"code", "error"}.
type pageError struct {
	status  int
	code    string
	message string
}

var (
	errNoRequest = &pageError{http.StatusNotFound, "auth_request_not_found",
		"This sign-in has expired or does not exist. Go back to the app and sign in again."}
	errOtherBrowser = &pageError{http.StatusForbidden, "auth_request_of_another_browser",
		"This sign-in was started in another browser. Go back to the app and sign in again from here."}
	errMisconfigured = &pageError{http.StatusConflict, "app_misconfigured",
		"This app cannot sign you in with a passkey here: its passkey settings do not include this sign-in page. Tell the app's administrator."}
	errBadForm = &pageError{http.StatusBadRequest, "invalid_request",
		"The sign-in could not be completed: auth_request_id and nonce are required."}
	errBadNonce = &pageError{http.StatusBadRequest, "invalid_nonce",
		"The passkey sign-in could not be confirmed (it expired or was already used). Try again."}
	errWrongUser = &pageError{http.StatusForbidden, "wrong_user",
		"That passkey belongs to another account than the one this sign-in is for. Use the passkey of the requested account."}
	errUserInactive = &pageError{http.StatusForbidden, "user_inactive",
		"This account is inactive, so it cannot sign in. Ask the app's administrator."}
	errDone = &pageError{http.StatusConflict, "auth_request_completed",
		"This sign-in is complete already. Go back to the app."}
	errWrongCeremony = &pageError{http.StatusBadRequest, "wrong_ceremony",
		"This sign-in asks for another kind of passkey ceremony (a registration or a sign-in). Try again from the sign-in page."}
	errUnavailable = &pageError{http.StatusServiceUnavailable, "store_unavailable",
		"The sign-in service is unavailable right now. Try again in a moment."}
	errInternal = &pageError{http.StatusInternalServerError, "internal_server_error",
		"Something went wrong on our side. Try again."}
)

// internal logs err and returns the page error that reveals nothing of it.
func (h *Handler) internal(ctx context.Context, what string, err error) *pageError {
	if errors.Is(err, storage.ErrUnavailable) {
		h.log.WarnContext(ctx, "login: "+what+": store unavailable", "err", err)
		return errUnavailable
	}
	h.log.ErrorContext(ctx, "login: "+what, "err", err)
	return errInternal
}

// jsonError answers a JSON call with {"code", "error"}.
func (h *Handler) jsonError(c *gin.Context, e *pageError) {
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(e.status, gin.H{"code": e.code, "error": e.message})
}

// respondError answers JSON to a client that sent or accepts JSON, and the
// error page to a browser's form post.
func (h *Handler) respondError(c *gin.Context, e *pageError) { h.respondErrorFor(c, e, nil) }

// respondErrorFor is respondError for a known request: its error page
// carries the app's name and look.
func (h *Handler) respondErrorFor(c *gin.Context, e *pageError, req *request) {
	if c.ContentType() == "application/json" || c.NegotiateFormat(gin.MIMEHTML, gin.MIMEJSON) == gin.MIMEJSON {
		h.jsonError(c, e)
		return
	}
	h.render(c, e.status, "error.html", req, pageData{ErrorCode: e.code, Error: e.message})
}

// showError renders the error page.
func (h *Handler) showError(c *gin.Context, e *pageError) {
	h.render(c, e.status, "error.html", nil, pageData{ErrorCode: e.code, Error: e.message})
}

func equal(a, b []byte) bool { return len(b) > 0 && subtle.ConstantTimeCompare(a, b) == 1 }
