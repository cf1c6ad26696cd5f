package httpapi

import (
	"fmt"
	"net/http"
)

// Error codes of the plumbing itself. Areas add their own.
const (
	CodeInvalidRequest     = "invalid_request"
	CodeInvalidAccessToken = "invalid_access_token"
	CodeAppNotFound        = "app_not_found"
	CodeNotFound           = "not_found"
	CodeMethodNotAllowed   = "method_not_allowed"
	CodeRequestTooLarge    = "request_too_large"
	CodeRateLimited        = "rate_limited"
	CodeStoreUnavailable   = "store_unavailable"
	CodeInternal           = "internal_server_error"
)

// Error is an HTTP error a handler returns: Status (4xx or 5xx; anything
// else is answered as a 500) and Code say what kind, Message is safe to show
// the client, and Err (logged, never shown) is the cause.
type Error struct {
	Status  int
	Code    string
	Message string
	Err     error
}

// NewError returns an error without a cause.
func NewError(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// Wrap returns an error that shows the client code and message and keeps err
// as the cause for the log.
func Wrap(err error, status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message, Err: err}
}

// BadRequest is a 400 invalid_request with a message built like fmt.Sprintf.
// The message is shown to the client: never put a library's error text in it.
func BadRequest(format string, args ...any) *Error {
	return NewError(http.StatusBadRequest, CodeInvalidRequest, fmt.Sprintf(format, args...))
}

// Error describes the error for logs, cause included; clients see only
// Code and Message.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Status, e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
