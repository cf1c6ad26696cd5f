// Package account is the account page (DESIGN §6) and the pages around it.
//
// At /account a person signed in to an app at this provider (a browser
// session, as the login page makes) sees the passkeys of their account
// there, renames and removes them, adds one, and signs out; signed out, the
// page signs them in with a discoverable passkey ceremony through the Flex
// client API. The page is a static script over a small JSON API under
// /account (see RegisterRoutes), which only ever acts on the signed-in
// user's own passkeys. Where the browser has the WebAuthn Signals API, the
// page tells the passkey provider which of the user's passkeys the app still
// accepts and what the user is called.
//
// Beside it: the landing page at / (what this server is, where its account
// page and metadata are) and /.well-known/passkey-endpoints (W3C Passkey
// Endpoints), which points passkey managers at the account page.
package account
