package softauthn

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// registrationJSON is RegistrationResponseJSON (WebAuthn L3 §5.1,
// PublicKeyCredential.toJSON(); @simplewebauthn/browser v13).
type registrationJSON struct {
	ID                      string                `json:"id"`
	RawID                   string                `json:"rawId"`
	Response                attestationJSON       `json:"response"`
	AuthenticatorAttachment string                `json:"authenticatorAttachment"`
	ClientExtensionResults  *clientExtensionsJSON `json:"clientExtensionResults,omitempty"`
	Type                    string                `json:"type"`
	// Transports sits here only in the Passage SDK shape.
	Transports []string `json:"transports,omitempty"`
}

// attestationJSON is AuthenticatorAttestationResponseJSON (WebAuthn L3
// §5.2.1).
type attestationJSON struct {
	ClientDataJSON     string   `json:"clientDataJSON"`
	AttestationObject  string   `json:"attestationObject"`
	AuthenticatorData  string   `json:"authenticatorData"`
	Transports         []string `json:"transports,omitempty"`
	PublicKeyAlgorithm int      `json:"publicKeyAlgorithm"`
	PublicKey          string   `json:"publicKey"`
}

// authenticationJSON is AuthenticationResponseJSON (WebAuthn L3 §5.1).
type authenticationJSON struct {
	ID                      string                `json:"id"`
	RawID                   string                `json:"rawId"`
	Response                assertionJSON         `json:"response"`
	AuthenticatorAttachment string                `json:"authenticatorAttachment"`
	ClientExtensionResults  *clientExtensionsJSON `json:"clientExtensionResults,omitempty"`
	Type                    string                `json:"type"`
}

// assertionJSON is AuthenticatorAssertionResponseJSON (WebAuthn L3
// §5.2.2). A nil UserHandle is left out, as toJSON() leaves out a null one.
type assertionJSON struct {
	ClientDataJSON    string  `json:"clientDataJSON"`
	AuthenticatorData string  `json:"authenticatorData"`
	Signature         string  `json:"signature"`
	UserHandle        *string `json:"userHandle,omitempty"`
}

// clientExtensionsJSON is AuthenticationExtensionsClientOutputsJSON with the
// one extension output this authenticator produces.
type clientExtensionsJSON struct {
	CredProps *credPropsJSON `json:"credProps,omitempty"`
}

// credPropsJSON is the credProps output (WebAuthn L3 §10.1.3).
type credPropsJSON struct {
	RK bool `json:"rk"`
}

// marshalJSON encodes v without Go's HTML escaping, which browsers do not
// apply, and without a trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
