// Package passkeyapi serves passbridge's start/finish passkey API (DESIGN §5)
// for backends that run their own ceremony flow, in two forms over the same
// ceremony core:
//
//   - REST: POST /v1/apps/{app_id}/passkeys/register/start|finish and
//     …/authenticate/start|finish, snake_case fields, errors as
//     {"code", "error"} like the rest of the API;
//   - the command form of PropelAuth's BYO sidecar: POST
//     /v1/apps/{app_id}/run-command with {"command", "data"}, camelCase data,
//     and errors as {"type", "details"}, so its client libraries work with
//     passbridge as their base URL.
//
// A start returns the options @simplewebauthn/browser's startRegistration
// and startAuthentication take as they are; a finish takes the browser's
// response JSON back. The ceremony a finish belongs to is found by the
// challenge inside the response, so nothing has to be carried between the
// two. Both forms need an API key of the app.
package passkeyapi
