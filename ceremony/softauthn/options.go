package softauthn

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// creationOptions is PublicKeyCredentialCreationOptionsJSON (WebAuthn L3
// §5.4), the members this authenticator acts on.
type creationOptions struct {
	RP                     *rpEntity                  `json:"rp"`
	User                   *userEntity                `json:"user"`
	Challenge              *string                    `json:"challenge"`
	PubKeyCredParams       *[]credentialParameter     `json:"pubKeyCredParams"`
	ExcludeCredentials     []credentialDescriptor     `json:"excludeCredentials"`
	AuthenticatorSelection authenticatorSelection     `json:"authenticatorSelection"`
	Extensions             map[string]json.RawMessage `json:"extensions"`
}

type rpEntity struct {
	ID   string  `json:"id"`
	Name *string `json:"name"`
}

type userEntity struct {
	ID          *string `json:"id"`
	Name        *string `json:"name"`
	DisplayName *string `json:"displayName"`
}

type credentialParameter struct {
	Type string `json:"type"`
	Alg  int    `json:"alg"`
}

type credentialDescriptor struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type authenticatorSelection struct {
	AuthenticatorAttachment string `json:"authenticatorAttachment"`
	ResidentKey             string `json:"residentKey"`
	RequireResidentKey      bool   `json:"requireResidentKey"`
	UserVerification        string `json:"userVerification"`
}

// requestOptions is PublicKeyCredentialRequestOptionsJSON (WebAuthn L3
// §5.5), the members this authenticator acts on.
type requestOptions struct {
	Challenge        *string                `json:"challenge"`
	RPID             string                 `json:"rpId"`
	AllowCredentials []credentialDescriptor `json:"allowCredentials"`
	UserVerification string                 `json:"userVerification"`
}

// decodeOptions parses options JSON strictly enough to catch a server that
// sends the {"publicKey": …} wrapper where the inner object belongs.
func decodeOptions(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: options: %v", ErrType, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: options: trailing data", ErrType)
	}
	return nil
}

// decodeB64URL decodes a Base64URLString as @simplewebauthn/browser does,
// padding optional.
func decodeB64URL(member, s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not base64url", ErrType, member)
	}
	return b, nil
}

// challengeFor decodes the options' challenge and encodes it again as
// browsers put it into clientDataJSON (unpadded base64url, WebAuthn L3
// §5.8.1). For the unpadded form the JSON options use, the result is the
// string the options gave.
func challengeFor(challenge *string) (string, error) {
	if challenge == nil {
		return "", fmt.Errorf("%w: missing challenge", ErrType)
	}
	raw, err := decodeB64URL("challenge", *challenge)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// descriptorIDs decodes the IDs of public-key credential descriptors;
// descriptors of other types are skipped, as clients do (§5.1.3 step 20).
func descriptorIDs(member string, ds []credentialDescriptor) ([][]byte, error) {
	ids := make([][]byte, 0, len(ds))
	for _, d := range ds {
		id, err := decodeB64URL(member+".id", d.ID)
		if err != nil {
			return nil, err
		}
		if d.Type == "public-key" {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// wantsUV decides whether the authenticator verifies the user for a
// userVerification requirement (WebAuthn L3 §5.8.6; absent means
// "preferred"). It fails when verification is required and the
// authenticator cannot do it: the browser would find no usable authenticator.
func wantsUV(requirement string, canUV bool) (bool, error) {
	switch requirement {
	case "required":
		if !canUV {
			return false, fmt.Errorf("%w: user verification required", ErrNotAllowed)
		}
		return true, nil
	case "discouraged":
		return false, nil
	default:
		return canUV, nil
	}
}

func encodeB64URL(b []byte) string {
	return base64.RawURLEncoding.EncodeToString(b)
}
