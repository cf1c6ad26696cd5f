// Package transfer exports an app's users and passkeys and imports them into
// another app, in passbridge's export format: NDJSON (one JSON object a line,
// UTF-8), a header line first, then one line per user with its devices.
//
//	{"format":"passbridge-export","version":1,"rp_id":"example.com","exported_at":"2026-05-01T10:00:00Z"}
//	{"external_id":"user-42","display_name":"alice@example.com","status":"active","user_handle":"<base64url>",
//	 "created_at":"…","devices":[{"cred_id":"<base64url>","public_key":"<base64url COSE_Key>","sign_count":12,
//	 "aaguid":"fbfc3007-154e-4ecc-8c0b-6e020557d7bd","transports":["internal","hybrid"],"backup_eligible":true,
//	 "backed_up":true,"user_verified":true,"attestation_type":"none","friendly_name":"iCloud Keychain",
//	 "created_at":"…","last_login_at":"…","usage_count":40}]}
//
// An export holds no secret: a passkey's private key never leaves its
// authenticator, and API keys, client secrets, sessions and tokens are not
// part of it. What it holds lets the passkeys sign in elsewhere: the public
// keys, credential IDs, counters and the user handles the authenticators
// return.
//
// Import is idempotent and line by line: a line creates its user and
// devices, leaves them as they are when they exist already (the same user
// handle with the same credentials), or is refused as a whole with a reason,
// changing nothing. Passkeys are bound to the RP ID they were made for, so an
// export whose header names another RP ID than the app's is refused before
// anything is read.
//
// The package knows nothing of HTTP or SQL: Import reads an io.Reader and
// Export writes an io.Writer (a request body, a response, a file), and
// whole-input refusals are *ceremony.Error values with a stable code.
package transfer
