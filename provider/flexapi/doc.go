// Package flexapi serves passbridge's Passkey Flex-compatible REST API
// (DESIGN §4) and the WebAuthn related-origins document.
//
// Two audiences share the /v1/apps/{app_id} prefix:
//
//   - the app's backend, authenticated by an API key of that app: it creates
//     register and authenticate transactions, redeems nonces for external IDs,
//     and manages users and their devices;
//   - the browser, unauthenticated and cross-origin: it runs the ceremony of a
//     transaction (start, then finish) and receives a single-use nonce. CORS
//     answers only the app's own origins.
//
// The shapes are those of the retired Passage Passkey Flex API, so a backend
// moves by changing its base URL and the Passage browser SDK's requests work
// as they are. Where Passage's typed SDKs expect fields passbridge has no use
// for (email, phone, user_metadata, …), they are present with empty values.
//
// Handlers are thin: they decode, call the ceremony core or the store, and
// encode. Errors go through httpapi's error writer as {"code", "error"}.
package flexapi
