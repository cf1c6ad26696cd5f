package softauthn

import "errors"

// The errors below carry the DOMException names that
// navigator.credentials.create() and get() reject with (WebAuthn L3 §5.1.3,
// §5.1.4), so a test can assert on the same name a page script would see.
// Errors returned by Register and Authenticate wrap one of them when a
// browser would have thrown that exception.
var (
	// ErrNotAllowed is a NotAllowedError: no authenticator could take part
	// (no matching credential, user verification or attachment unmet).
	ErrNotAllowed = errors.New("NotAllowedError")

	// ErrInvalidState is an InvalidStateError: the authenticator already holds
	// a credential listed in excludeCredentials.
	ErrInvalidState = errors.New("InvalidStateError")

	// ErrNotSupported is a NotSupportedError: none of pubKeyCredParams is an
	// algorithm this authenticator can use.
	ErrNotSupported = errors.New("NotSupportedError")

	// ErrSecurity is a SecurityError: the origin is not a secure context or
	// the RP ID is not a registrable suffix of the origin's host.
	ErrSecurity = errors.New("SecurityError")

	// ErrType is a TypeError: the options are missing a required member or
	// carry one of the wrong form.
	ErrType = errors.New("TypeError")
)
