// Package softauthn is a software WebAuthn authenticator paired with the
// browser side of the WebAuthn JavaScript API, for tests.
//
// An [Authenticator] takes the options JSON a relying party hands to
// navigator.credentials.create() or get() (the PublicKeyCredentialCreationOptionsJSON
// and PublicKeyCredentialRequestOptionsJSON forms of WebAuthn Level 3 §5.1 and
// §5.4, as @simplewebauthn/browser receives them) and answers with the
// RegistrationResponseJSON or AuthenticationResponseJSON a browser would send:
// real key pairs (ES256, EdDSA, RS256), real CBOR attestation objects and
// authenticator data, real signatures. It imports nothing of passbridge.
//
// [Mod] values bend one aspect of a response (origin, RP ID hash, flags,
// signature, counter, challenge, ceremony type, user handle, JSON shape) to
// produce the faulty responses that negative tests need, and [Corrupt] derives
// responses that no longer parse.
package softauthn
