package adminapi

import (
	"net/http"

	"github.com/passbridge/passbridge/provider/httpapi"
)

// Error codes of the admin API beyond those of httpapi and the ceremony core.
const (
	codeAPIKeyNotFound  = "api_key_not_found"
	codeClientNotFound  = "client_not_found"
	codeRotationTooSoon = "rotation_too_soon"
)

var (
	errAppNotFound    = httpapi.NewError(http.StatusNotFound, httpapi.CodeAppNotFound, "app not found")
	errAPIKeyNotFound = httpapi.NewError(http.StatusNotFound, codeAPIKeyNotFound, "api key not found")
	errClientNotFound = httpapi.NewError(http.StatusNotFound, codeClientNotFound, "client not found")
)
