package account

import (
	"net/http"

	"github.com/passbridge/passbridge/provider/httpapi"
)

// The account page's refusals, as {"code", "error"}. The codes are the
// page's, beside the Flex API's documented ones it shares (invalid_request,
// app_not_found, device_not_found, origin_not_allowed).
var (
	errNotSignedIn = httpapi.NewError(http.StatusUnauthorized, "not_signed_in",
		"You are not signed in to this app here. Sign in with a passkey.")
	errAppNotFound   = httpapi.NewError(http.StatusNotFound, httpapi.CodeAppNotFound, "app not found")
	errMisconfigured = httpapi.NewError(http.StatusConflict, "app_misconfigured",
		"This app's passkey settings do not include this page, so it cannot manage its passkeys here.")
	errDeviceNotFound = httpapi.NewError(http.StatusNotFound, "device_not_found", "You have no passkey with this ID.")
	errLastPasskey    = httpapi.NewError(http.StatusConflict, "last_passkey",
		`This is your last passkey: without it you cannot sign in with a passkey until you add one. Send {"confirm": true} to remove it anyway.`)
	errInvalidNonce = httpapi.NewError(http.StatusBadRequest, "invalid_nonce",
		"The passkey ceremony could not be confirmed (it expired or was already used). Try again.")
	errWrongCeremony = httpapi.NewError(http.StatusBadRequest, "wrong_ceremony",
		"This call takes the nonce of another kind of passkey ceremony.")
	errUserInactive = httpapi.NewError(http.StatusForbidden, "user_inactive",
		"This account is inactive, so it cannot sign in. Ask the app's administrator.")
	errWrongUser = httpapi.NewError(http.StatusForbidden, "wrong_user",
		"That passkey was created for another account than the one signed in.")
	errOriginNotAllowed = httpapi.NewError(http.StatusForbidden, "origin_not_allowed",
		"This call is accepted only from the account page itself.")
	errMediaType = httpapi.NewError(http.StatusUnsupportedMediaType, "unsupported_media_type",
		"Content-Type must be application/json.")
)
