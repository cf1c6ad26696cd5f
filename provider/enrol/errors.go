package enrol

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

// pageError is a refusal the page shows. The words say what happened and
// what to do; none names the account or the app, so a refused link tells
// nothing about whose it was.
type pageError struct {
	status  int
	code    string
	message string
}

var (
	errLinkNotFound = &pageError{http.StatusNotFound, ceremony.CodeEnrolmentLinkNotFound,
		"This link is not valid. Check that you opened the whole link; if you did, ask your administrator for a new one."}
	errLinkExpired = &pageError{http.StatusGone, ceremony.CodeEnrolmentLinkExpired,
		"This link has expired. Ask your administrator for a new link."}
	errLinkUsed = &pageError{http.StatusGone, ceremony.CodeEnrolmentLinkUsed,
		"This link has been used already: it works once, and a passkey was created with it. " +
			"Sign in with that passkey, or ask your administrator for a new link."}
	errInactive = &pageError{http.StatusForbidden, ceremony.CodeUserInactive,
		"No passkey can be added to this account: it is inactive. Ask your administrator."}
	errMisconfigured = &pageError{http.StatusConflict, "app_misconfigured",
		"This app cannot create passkeys on this page: its passkey settings do not include it. Tell your administrator."}
	errUnavailable = &pageError{http.StatusServiceUnavailable, httpapi.CodeStoreUnavailable,
		"The service is unavailable right now. Try again in a moment."}
	errInternal = &pageError{http.StatusInternalServerError, httpapi.CodeInternal,
		"Something went wrong on our side. Try again."}
)

// The calls' refusals beside the ceremony core's.
var (
	errIncomplete = httpapi.NewError(http.StatusBadRequest, "enrolment_incomplete",
		"The sign-in after the passkey's creation could not be completed (it expired or was already used). "+
			"Sign in with the passkey on the account page.")
	errOriginNotAllowed = httpapi.NewError(http.StatusForbidden, "origin_not_allowed",
		"This call is accepted only from the enrolment page itself.")
	errMediaType = httpapi.NewError(http.StatusUnsupportedMediaType, "unsupported_media_type",
		"Content-Type must be application/json.")
)

// refusal is the page error of a link that cannot be opened: what the
// ceremony core refused, or a failure of ours (logged, never shown).
func (h *Handler) refusal(ctx context.Context, err error) *pageError {
	switch {
	case errors.Is(err, ceremony.ErrEnrolmentLinkNotFound):
		return errLinkNotFound
	case errors.Is(err, ceremony.ErrEnrolmentLinkExpired):
		return errLinkExpired
	case errors.Is(err, ceremony.ErrEnrolmentLinkUsed):
		return errLinkUsed
	case errors.Is(err, ceremony.ErrUserInactive):
		return errInactive
	case errors.Is(err, storage.ErrUnavailable):
		h.log.WarnContext(ctx, "enrol: open link: store unavailable", "err", err)
		return errUnavailable
	}
	h.log.ErrorContext(ctx, "enrol: open link", "err", err)
	return errInternal
}

// httpError is a page error as the calls return it.
func (e *pageError) httpError() *httpapi.Error {
	return httpapi.NewError(e.status, e.code, e.message)
}

// showError renders the error page of e, which names no app: a refused
// link tells nothing of whose it was.
func (h *Handler) showError(c *gin.Context, e *pageError) {
	h.render(c, e.status, "error.html", withError(pageData{}, e))
}
