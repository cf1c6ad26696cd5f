// Package oidc is passbridge's OpenID Connect provider: zitadel/oidc's op
// wired to the store. It serves discovery, authorize, token, userinfo,
// JWKS, introspection, revocation and end_session; the login page (package
// provider/login) runs the passkey ceremony and completes auth requests
// through this package.
//
// Everything lives in the store, so a sign-in begun on one instance may end
// on another: auth requests, codes (by digest, remembered after their use
// so a replay revokes what it granted), access and refresh tokens (refresh
// tokens by digest, rotated on every use, a replay revoking the whole
// grant), browser sessions (by cookie digest) and the signing keys.
//
// The ID token's sub is the user's external ID; acr and amr say what the
// passkey ceremony proved (see ACR and AMR), and a refreshed ID token keeps
// the original sign-in's sub, auth_time, acr, amr and sid.
package oidc
