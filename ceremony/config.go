package ceremony

import (
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/passbridge/passbridge/storage"
)

// credentialParameters are the algorithms registrations offer, in order of
// preference (WebAuthn L3 §5.4 pubKeyCredParams): ES256, which every
// authenticator supports; EdDSA; RS256 for Windows Hello's older TPM keys.
var credentialParameters = []protocol.CredentialParameter{
	{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgES256},
	{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgEdDSA},
	{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgRS256},
}

// relyingParty builds the go-webauthn configuration of one app. It is cheap
// (no I/O, a few allocations), so it is built per call rather than cached:
// an app changed by another instance is used as it now is.
func relyingParty(app storage.App) (*webauthn.WebAuthn, error) {
	timeout := app.CeremonyTimeout
	if timeout <= 0 {
		timeout = DefaultCeremonyTimeout
	}
	rpName := app.RPName
	if rpName == "" {
		rpName = app.Name
	}
	// Enforce makes go-webauthn check the session's own expiry as well; the
	// store enforces the handshake's expiry by the service's clock first.
	t := webauthn.TimeoutConfig{Enforce: true, Timeout: timeout, TimeoutUVD: timeout}
	w, err := webauthn.New(&webauthn.Config{
		RPID:                  app.RPID,
		RPDisplayName:         rpName,
		RPOrigins:             app.Origins,
		AttestationPreference: protocol.ConveyancePreference(orDefault(app.Attestation, "none")),
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			UserVerification: userVerification(app),
		},
		Timeouts: webauthn.TimeoutsConfig{Login: t, Registration: t},
		// Browsers and password managers return extension outputs nobody
		// asked for (credProps, prf, largeBlob); WebAuthn L3 §7.1 and §7.2
		// leave unsolicited outputs to the relying party's policy, and
		// rejecting them would fail real ceremonies.
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore,
	})
	if err != nil {
		return nil, fmt.Errorf("webauthn config of app %s: %w", app.ID, err)
	}
	return w, nil
}

// userVerification is the app's user-verification requirement.
func userVerification(app storage.App) protocol.UserVerificationRequirement {
	return protocol.UserVerificationRequirement(orDefault(app.UserVerification, storage.RequirementRequired))
}

// residentKey is the app's resident-key requirement; passkeys need
// discoverable credentials, so it defaults to required.
func residentKey(app storage.App) protocol.ResidentKeyRequirement {
	return protocol.ResidentKeyRequirement(orDefault(app.ResidentKey, storage.RequirementRequired))
}
