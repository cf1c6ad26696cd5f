package softauthn

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// CorruptKind names a way Corrupt breaks a response so that it no longer
// parses, as opposed to the Mods, which keep it well formed but wrong.
type CorruptKind int

const (
	// CorruptBase64 puts characters outside the base64url alphabet into
	// response.clientDataJSON.
	CorruptBase64 CorruptKind = iota + 1
	// CorruptJSONType makes rawId a number instead of a string.
	CorruptJSONType
	// CorruptCBOR breaks the CBOR: a registration's attestationObject
	// becomes bytes that are not CBOR; an assertion's authenticatorData sets
	// the ED flag and carries extension bytes that are not CBOR.
	CorruptCBOR
	// CorruptAuthData truncates authenticator data to 20 bytes, shorter
	// than rpIdHash, inside the attestation object and in
	// response.authenticatorData.
	CorruptAuthData
	// CorruptClientData makes response.clientDataJSON valid base64url of
	// bytes that are not JSON.
	CorruptClientData
	// CorruptMissingResponse removes the response member.
	CorruptMissingResponse
	// CorruptTruncatedJSON cuts the body in half, so it is not JSON.
	CorruptTruncatedJSON
)

// CorruptKinds returns every CorruptKind, for table tests.
func CorruptKinds() []CorruptKind {
	return []CorruptKind{
		CorruptBase64, CorruptJSONType, CorruptCBOR, CorruptAuthData,
		CorruptClientData, CorruptMissingResponse, CorruptTruncatedJSON,
	}
}

// String returns the kind's name without the Corrupt prefix.
func (k CorruptKind) String() string {
	switch k {
	case CorruptBase64:
		return "Base64"
	case CorruptJSONType:
		return "JSONType"
	case CorruptCBOR:
		return "CBOR"
	case CorruptAuthData:
		return "AuthData"
	case CorruptClientData:
		return "ClientData"
	case CorruptMissingResponse:
		return "MissingResponse"
	case CorruptTruncatedJSON:
		return "TruncatedJSON"
	default:
		return fmt.Sprintf("CorruptKind(%d)", int(k))
	}
}

// Corrupt derives a malformed variant of a RegistrationResponseJSON or
// AuthenticationResponseJSON, for tests that a server answers bad input
// as such. Input that is not a JSON object, or an unknown kind, yields the
// input cut in half, which is malformed too.
func Corrupt(response []byte, kind CorruptKind) []byte {
	cut := append([]byte(nil), response[:len(response)/2]...)
	var top map[string]json.RawMessage
	if kind == CorruptTruncatedJSON || json.Unmarshal(response, &top) != nil || top == nil {
		return cut
	}
	var inner map[string]json.RawMessage
	_ = json.Unmarshal(top["response"], &inner)
	if inner == nil {
		inner = map[string]json.RawMessage{}
	}
	var ok bool
	switch kind {
	case CorruptBase64:
		inner["clientDataJSON"], ok = json.RawMessage(`"*not base64url*"`), true
	case CorruptJSONType:
		top["rawId"], ok = json.RawMessage(`12345`), true
	case CorruptClientData:
		inner["clientDataJSON"], ok = quoteB64URL([]byte("{not json")), true
	case CorruptMissingResponse:
		delete(top, "response")
		return marshalOr(top, cut)
	case CorruptCBOR:
		ok = corruptCBOR(inner)
	case CorruptAuthData:
		ok = truncateAuthData(inner)
	}
	if !ok {
		return cut
	}
	top["response"] = marshalOr(inner, nil)
	return marshalOr(top, cut)
}

// corruptCBOR breaks the attestation object of a registration or the
// extension data of an assertion's authenticator data.
func corruptCBOR(inner map[string]json.RawMessage) bool {
	if _, ok := inner["attestationObject"]; ok {
		// 0xff is the CBOR "break" code, which cannot start a data item
		// (RFC 8949 §3.2.1).
		inner["attestationObject"] = quoteB64URL([]byte{0xff, 0x00, 0x01})
		return true
	}
	ad, ok := fieldBytes(inner, "authenticatorData")
	if !ok || len(ad) < 37 {
		return false
	}
	ad[32] |= flagED
	inner["authenticatorData"] = quoteB64URL(append(ad, 0xff))
	return true
}

// truncateAuthData cuts authenticator data to 20 bytes wherever the
// response carries it.
func truncateAuthData(inner map[string]json.RawMessage) bool {
	const keep = 20
	done := false
	if ad, ok := fieldBytes(inner, "authenticatorData"); ok && len(ad) > keep {
		inner["authenticatorData"] = quoteB64URL(ad[:keep])
		done = true
	}
	if raw, ok := fieldBytes(inner, "attestationObject"); ok {
		var obj map[string]cbor.RawMessage
		var ad []byte
		if cbor.Unmarshal(raw, &obj) != nil || cbor.Unmarshal(obj["authData"], &ad) != nil || len(ad) <= keep {
			return false
		}
		short, err := marshalCTAP2(ad[:keep])
		if err != nil {
			return false
		}
		obj["authData"] = short
		enc, err := marshalCTAP2(obj)
		if err != nil {
			return false
		}
		inner["attestationObject"] = quoteB64URL(enc)
		done = true
	}
	return done
}

// fieldBytes decodes the base64url string member name of m.
func fieldBytes(m map[string]json.RawMessage, name string) ([]byte, bool) {
	var s string
	if json.Unmarshal(m[name], &s) != nil {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return b, err == nil
}

func quoteB64URL(b []byte) json.RawMessage {
	return json.RawMessage(`"` + base64.RawURLEncoding.EncodeToString(b) + `"`)
}

func marshalOr(v any, fallback []byte) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return fallback
	}
	return b
}
