// Package login is the OpenID Connect provider's sign-in page and the calls
// it makes (DESIGN §6): GET /login shows the page (or goes straight on when
// the browser's session satisfies the request), GET /login/ceremony says
// which passkey ceremony to run, the page runs it through the Flex client
// API and gets a nonce, and POST /login/complete redeems the nonce and
// completes the auth request. A headless client makes the same calls with
// one cookie jar.
package login
