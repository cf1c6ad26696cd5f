package ceremony

import (
	"errors"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
)

// Safe reasons for a failed verification, shown to clients. They say which
// check failed, never the values compared (go-webauthn's DevInfo carries
// those, and the expected origins and hashes are not the client's business).
//
// reasonUnknownPasskey is given only for a credential the app does not hold
// (never registered, or removed during the ceremony), and the browser SDK
// keys WebAuthn's signalUnknownCredential on its exact text: keep it as it
// is, and for that case only.
const (
	reasonFailed           = "passkey verification failed"
	reasonCeremonyType     = "client data is of the wrong ceremony type"
	reasonChallenge        = "challenge mismatch"
	reasonOrigin           = "origin not allowed"
	reasonCrossOrigin      = "cross-origin ceremony not allowed"
	reasonRPID             = "RP ID mismatch"
	reasonUserPresence     = "user presence required but not tested"
	reasonUserVerification = "user verification required but not performed"
	reasonSignature        = "signature invalid"
	reasonAlgorithm        = "public key algorithm not allowed"
	reasonAttestation      = "attestation statement invalid"
	reasonCredentialID     = "credential ID does not match the attested credential"
	reasonBackupState      = "backup state set without backup eligibility"
	reasonExtensions       = "extension outputs invalid"
	reasonPolicy           = "authenticator not allowed by policy"
	reasonUnknownPasskey   = "passkey not recognised"
	reasonNotAllowed       = "passkey not allowed for this ceremony"
	reasonUserHandle       = "user handle does not match the passkey's user"
	reasonNoUserHandle     = "response has no user handle"
	reasonSignCount        = "sign count went backwards: possible cloned authenticator"
	reasonBackupEligible   = "backup eligibility went from synced to device-bound"
	reasonOtherUser        = "passkey belongs to another user"
)

// failed returns a webauthn_verification_failed error with a safe reason.
func failed(reason string, cause error) *Error {
	return newError(CodeVerificationFailed, reason, cause)
}

// verificationError maps an error of go-webauthn's verification of a parsed
// response to a client error with a safe reason. The library's error (with
// its DevInfo) is kept as the cause, for logs only.
func verificationError(err error) error {
	var ours *Error
	if errors.As(err, &ours) {
		return ours
	}
	var pe *protocol.Error
	if !errors.As(err, &pe) {
		return failed(reasonFailed, err)
	}
	details, info := pe.Details, pe.DevInfo
	has := func(s, sub string) bool { return strings.Contains(s, sub) }
	switch {
	case has(details, "Session has Expired"):
		return newError(CodeHandshakeNotFound, ErrHandshakeNotFound.Message, err)
	case has(details, "ceremony type"):
		return failed(reasonCeremonyType, err)
	case has(details, "validating challenge"):
		return failed(reasonChallenge, err)
	case has(details, "validating origin"):
		return failed(reasonOrigin, err)
	case has(details, "cross origin"), has(details, "top origin"), has(details, "topOrigin"):
		return failed(reasonCrossOrigin, err)
	case has(info, "RP Hash mismatch"):
		return failed(reasonRPID, err)
	case has(info, "User presence required"):
		return failed(reasonUserPresence, err)
	case has(info, "User verification required"):
		return failed(reasonUserVerification, err)
	case pe.Type == protocol.ErrAssertionSignature.Type:
		return failed(reasonSignature, err)
	case has(info, "algorithm not supported"):
		return failed(reasonAlgorithm, err)
	case has(details, "attested credential id"):
		return failed(reasonCredentialID, err)
	case has(details, "Backup State Flag"):
		return failed(reasonBackupState, err)
	case has(details, "extension"):
		return failed(reasonExtensions, err)
	case has(details, "User handle and User ID"):
		return failed(reasonUserHandle, err)
	case has(details, "blank User Handle"):
		return failed(reasonNoUserHandle, err)
	case has(details, "not owned by the user"), has(details, "allowed credential list"):
		return failed(reasonNotAllowed, err)
	case has(details, "Unable to find the credential"), has(details, "Failed to lookup"):
		return failed(reasonUnknownPasskey, err)
	case pe.Type == protocol.ErrPolicyRestriction.Type:
		return failed(reasonPolicy, err)
	case pe.Type == protocol.ErrAttestation.Type, pe.Type == protocol.ErrInvalidAttestation.Type,
		pe.Type == protocol.ErrAttestationCertificate.Type, pe.Type == protocol.ErrAttestationFormat.Type,
		pe.Type == protocol.ErrUnsupportedKey.Type, pe.Type == protocol.ErrUnsupportedAlgorithm.Type:
		return failed(reasonAttestation, err)
	}
	return failed(reasonFailed, err)
}
