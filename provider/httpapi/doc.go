// Package httpapi is the HTTP plumbing shared by passbridge's JSON APIs: the
// error type and the one middleware that writes errors, request IDs, access
// logs, panic recovery, body limits, per-client rate limits, strict-enough
// JSON decoding, and API-key authentication of an app's backend.
//
// Handlers are written as func(*gin.Context) error and adapted with Handle.
// Whatever they return reaches the client as
//
//	{"code": "<snake_case_code>", "error": "<human message>"}
//
// with a status taken from the error: an *Error says its own, a
// *ceremony.Error is mapped by its code, storage.ErrUnavailable becomes 503,
// and anything else is a 500 whose cause is logged but never shown.
package httpapi
