package ceremony

import "errors"

// Error codes. They are stable, snake_case, and the same as the REST API's
// error codes; the HTTP layer maps each to a status.
const (
	CodeInvalidRequest          = "invalid_request"
	CodeUserNotFound            = "user_not_found"
	CodeDeviceNotFound          = "device_not_found"
	CodeTransactionNotFound     = "transaction_not_found"
	CodeTransactionExpired      = "transaction_expired"
	CodeHandshakeNotFound       = "handshake_not_found"
	CodeUserHasNoPasskeys       = "user_has_no_passkeys"
	CodeCredentialRegistered    = "credential_already_registered"
	CodeCannotCreateTransaction = "cannot_create_transaction"
	CodeInvalidNonce            = "invalid_nonce"
	CodeVerificationFailed      = "webauthn_verification_failed"
	CodeUserInactive            = "user_inactive"
	CodeLastDevice              = "last_passkey"
)

// Error is a ceremony failure a client caused: its Code says what kind, its
// Message is safe to show the client, and Err (never shown) is the cause.
// Any other error from this package is an internal failure.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error by code, so errors.Is(err, ErrUserNotFound) works
// whatever the message.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code
}

// CodeOf returns the code of a client-caused error, or "" for any other error.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func newError(code, message string, cause error) *Error {
	return &Error{Code: code, Message: message, Err: cause}
}

// Sentinels for errors.Is; the errors returned carry a more precise message.
var (
	ErrInvalidRequest          = &Error{Code: CodeInvalidRequest, Message: "the request is malformed"}
	ErrUserNotFound            = &Error{Code: CodeUserNotFound, Message: "user not found"}
	ErrDeviceNotFound          = &Error{Code: CodeDeviceNotFound, Message: "device not found"}
	ErrLastDevice              = &Error{Code: CodeLastDevice, Message: "this is the user's last passkey"}
	ErrTransactionNotFound     = &Error{Code: CodeTransactionNotFound, Message: "transaction not found"}
	ErrTransactionExpired      = &Error{Code: CodeTransactionExpired, Message: "transaction expired or already used"}
	ErrHandshakeNotFound       = &Error{Code: CodeHandshakeNotFound, Message: "handshake not found, expired or already used"}
	ErrUserHasNoPasskeys       = &Error{Code: CodeUserHasNoPasskeys, Message: "user has no passkeys"}
	ErrCredentialRegistered    = &Error{Code: CodeCredentialRegistered, Message: "this passkey is already registered"}
	ErrCannotCreateTransaction = &Error{Code: CodeCannotCreateTransaction, Message: "cannot create transaction"}
	ErrInvalidNonce            = &Error{Code: CodeInvalidNonce, Message: "nonce is invalid, expired or already used"}
	ErrVerificationFailed      = &Error{Code: CodeVerificationFailed, Message: "passkey verification failed"}
	ErrUserInactive            = &Error{Code: CodeUserInactive, Message: "user is inactive"}
)
