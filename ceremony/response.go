package ceremony

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
)

// parseRegistration decodes a RegistrationResponseJSON (WebAuthn L3 §5.1)
// in either the standard shape or the retired Passage SDK's. Anything that
// does not decode (JSON, base64url, CBOR, authenticator data) is the client's
// malformed request.
func parseRegistration(body []byte) (*protocol.ParsedCredentialCreationData, error) {
	body, err := normaliseResponse(body)
	if err != nil {
		return nil, err
	}
	var parsed *protocol.ParsedCredentialCreationData
	err = guard(func() (err error) {
		parsed, err = protocol.ParseCredentialCreationResponseBytes(body)
		return err
	})
	if err != nil {
		return nil, newError(CodeInvalidRequest, "the registration response is malformed", err)
	}
	return parsed, nil
}

// parseAssertion decodes an AuthenticationResponseJSON (WebAuthn L3 §5.1)
// in either the standard shape or the retired Passage SDK's.
func parseAssertion(body []byte) (*protocol.ParsedCredentialAssertionData, error) {
	body, err := normaliseResponse(body)
	if err != nil {
		return nil, err
	}
	var parsed *protocol.ParsedCredentialAssertionData
	err = guard(func() (err error) {
		parsed, err = protocol.ParseCredentialRequestResponseBytes(body)
		return err
	})
	if err != nil {
		return nil, newError(CodeInvalidRequest, "the authentication response is malformed", err)
	}
	return parsed, nil
}

// normaliseResponse rewrites the body shape that passage-flex-js 1.0.2 sends
// into the standard one, leaving a standard body untouched:
//   - clientExtensionResults missing: {} (it has no outputs to report);
//   - transports at the top level: moved into response.transports;
//   - response.userHandle "": absent, as the SDK means it.
func normaliseResponse(body []byte) ([]byte, error) {
	if len(body) == 0 {
		return nil, invalid("the ceremony response is empty")
	}
	if len(body) > maxResponseBytes {
		return nil, invalid("the ceremony response is too large")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, newError(CodeInvalidRequest, "the ceremony response is not a JSON object", err)
	}
	changed := false
	if _, ok := top["clientExtensionResults"]; !ok {
		top["clientExtensionResults"] = json.RawMessage(`{}`)
		changed = true
	}
	var inner map[string]json.RawMessage
	if raw, ok := top["response"]; ok {
		if err := json.Unmarshal(raw, &inner); err != nil {
			return nil, newError(CodeInvalidRequest, "the ceremony response's response member is not a JSON object", err)
		}
	}
	innerChanged := false
	if inner != nil {
		if tr, ok := top["transports"]; ok {
			if _, has := inner["transports"]; !has {
				inner["transports"] = tr
				innerChanged = true
			}
			delete(top, "transports")
			changed = true
		}
		if uh, ok := inner["userHandle"]; ok && bytes.Equal(bytes.TrimSpace(uh), []byte(`""`)) {
			delete(inner, "userHandle")
			innerChanged = true
		}
	}
	if innerChanged {
		raw, err := json.Marshal(inner)
		if err != nil {
			return nil, fmt.Errorf("encode response member: %w", err)
		}
		top["response"] = raw
		changed = true
	}
	if !changed {
		return body, nil
	}
	out, err := json.Marshal(top)
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return out, nil
}

// guard runs fn, turning a panic into an error. go-webauthn decodes
// attacker-supplied CBOR, COSE keys and certificates; a panic there must fail
// the one request, never the process.
func guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("webauthn library panic: %v", r)
		}
	}()
	return fn()
}
