package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/transfer"
	"github.com/passbridge/passbridge/storage"
)

// ceremonyStatus maps the ceremony core's error codes to HTTP statuses
// (DESIGN §4). The codes themselves pass through to the client unchanged.
var ceremonyStatus = map[string]int{
	ceremony.CodeInvalidRequest:          http.StatusBadRequest,
	ceremony.CodeInvalidNonce:            http.StatusUnauthorized,
	ceremony.CodeCannotCreateTransaction: http.StatusForbidden,
	ceremony.CodeUserInactive:            http.StatusForbidden,
	ceremony.CodeUserNotFound:            http.StatusNotFound,
	ceremony.CodeDeviceNotFound:          http.StatusNotFound,
	ceremony.CodeLastDevice:              http.StatusConflict,
	ceremony.CodeTransactionNotFound:     http.StatusNotFound,
	ceremony.CodeHandshakeNotFound:       http.StatusNotFound,
	ceremony.CodeUserHasNoPasskeys:       http.StatusConflict,
	ceremony.CodeCredentialRegistered:    http.StatusConflict,
	ceremony.CodeTransactionExpired:      http.StatusGone,
	ceremony.CodeVerificationFailed:      http.StatusUnprocessableEntity,
	ceremony.CodeEnrolmentLinkNotFound:   http.StatusNotFound,
	ceremony.CodeEnrolmentLinkExpired:    http.StatusGone,
	ceremony.CodeEnrolmentLinkUsed:       http.StatusGone,
	transfer.CodeRPIDMismatch:            http.StatusUnprocessableEntity,
}

// Messages of the errors whose cause must stay hidden.
const (
	msgInternal    = "internal server error"
	msgUnavailable = "the store is unavailable; retry later"
)

// toError turns whatever a handler returned into the *Error the client sees.
// Client-caused errors (4xx) win over a store outage further down the chain:
// they say what the client did wrong. Everything else hides its cause.
func toError(err error, log *slog.Logger) *Error {
	var he *Error
	if errors.As(err, &he) && he.Status >= 400 && he.Status < 500 {
		return he
	}
	var ce *ceremony.Error
	if errors.As(err, &ce) {
		status, ok := ceremonyStatus[ce.Code]
		if !ok {
			// A code added to the ceremony core before this table learnt it: it
			// is still client-caused, so a 400 is the honest answer.
			log.Warn("ceremony error code without an HTTP status", "code", ce.Code)
			status = http.StatusBadRequest
		}
		return &Error{Status: status, Code: ce.Code, Message: ce.Message, Err: err}
	}
	if errors.Is(err, storage.ErrUnavailable) {
		return Wrap(err, http.StatusServiceUnavailable, CodeStoreUnavailable, msgUnavailable)
	}
	if he != nil && he.Status >= 500 && he.Status <= 599 {
		return he
	}
	return Wrap(err, http.StatusInternalServerError, CodeInternal, msgInternal)
}

// StatusClientClosedRequest is recorded for a request whose client went
// away before the answer (nginx's 499): not a server failure.
const StatusClientClosedRequest = 499

// writeError writes e as the response and logs what the operator needs: every
// server-side failure with its cause, client errors at debug level only.
func writeError(c *gin.Context, err error) {
	log := Logger(c)
	e := toError(err, log)
	switch {
	case c.Request.Context().Err() != nil && errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer and nothing
		// failed: the access log and the metrics say 499, not a 500.
		log.Debug("request canceled by the client", "err", err)
		if !c.Writer.Written() {
			c.AbortWithStatus(StatusClientClosedRequest)
		}
		return
	case e.Status >= 500:
		log.Error("request failed", "status", e.Status, "code", e.Code, "err", err)
	default:
		log.Debug("request refused", "status", e.Status, "code", e.Code, "err", err)
	}
	if c.Writer.Written() {
		log.Warn("error after the response was written", "err", err)
		return
	}
	if oauthRoute(c) {
		// OAuth's own endpoints answer in its shape (RFC 6749 §5.2), also
		// for what the plumbing refuses before them (a body over the
		// limit, the rate limit, the store down).
		c.Header("Cache-Control", "no-store")
		c.AbortWithStatusJSON(e.Status, oauthErrorBody{Error: oauthCode(e.Status), Description: e.Message})
		return
	}
	c.AbortWithStatusJSON(e.Status, errorBody{Code: e.Code, Error: e.Message})
}

// oauthErrorBody is the wire shape of the OAuth endpoints' errors.
type oauthErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// oauthCode is the OAuth error code for an error of the plumbing's.
func oauthCode(status int) string {
	switch {
	case status == http.StatusServiceUnavailable, status == http.StatusTooManyRequests:
		return "temporarily_unavailable"
	case status >= 500:
		return "server_error"
	default:
		return "invalid_request"
	}
}

type oauthRoutesKey struct{}

// MarkOAuthRoutes makes the errors of the routes whose full path is in
// paths take OAuth's shape, {error, error_description}. It is middleware
// for the engine, so that it holds for refusals before the route's own
// handlers run.
func MarkOAuthRoutes(paths []string) gin.HandlerFunc {
	set := make(map[string]bool, len(paths))
	for _, p := range paths {
		set[p] = true
	}
	return func(c *gin.Context) {
		if set[c.FullPath()] {
			c.Set(oauthRoutesKey{}, true)
		}
		c.Next()
	}
}

func oauthRoute(c *gin.Context) bool {
	v, _ := c.Get(oauthRoutesKey{})
	return v == true
}

// errorBody is the wire shape of every error of the JSON APIs.
type errorBody struct {
	Code  string `json:"code"`
	Error string `json:"error"`
}
