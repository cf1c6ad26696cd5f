package transfer

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds of what a line may hold. Text bounds are those the APIs apply to
// the same fields; byte bounds come from WebAuthn.
const (
	// MaxLineBytes bounds one line; a longer one is refused unread.
	MaxLineBytes = 1 << 20
	// maxDevices bounds the devices of one user.
	maxDevices           = 256
	maxExternalIDBytes   = 255
	maxDisplayNameRunes  = 255
	maxFriendlyNameRunes = 100
	maxAttestationType   = 64
	// WebAuthn L3 §5.4.3: a user handle is 1 to 64 bytes.
	maxUserHandleBytes = 64
	// WebAuthn L3 §5.1 (rawId) and §6.1: a credential ID is at most 1023 bytes.
	maxCredentialIDBytes = 1023
	// A COSE key: RSA-4096 is about 550 bytes, ML-DSA-87 about 2,600.
	maxPublicKeyBytes = 4096
)

// problems collects what is wrong with a line, every value named.
type problems []string

func (p *problems) add(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

func (p problems) String() string { return strings.Join(p, "; ") }

// decodeBinary reads a base64url value (padding tolerated) of at most max
// bytes; "" is nil.
func decodeBinary(field, s string, max int) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("%s is not base64url", field)
	}
	if len(b) > max {
		return nil, fmt.Errorf("%s is longer than %d bytes", field, max)
	}
	return b, nil
}

// parseTime reads an RFC 3339 time; "" is the zero time.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time", field, s)
	}
	return t.UTC(), nil
}

// checkText trims a name and checks it: at most maxRunes characters, no
// control characters, not empty when required.
func checkText(field, s string, required bool, maxRunes int) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		return "", fmt.Errorf("%s is required", field)
	case utf8.RuneCountInString(s) > maxRunes:
		return "", fmt.Errorf("%s is longer than %d characters", field, maxRunes)
	case hasControl(s):
		return "", fmt.Errorf("%s contains control characters", field)
	}
	return s, nil
}

// checkExternalID applies the rules the APIs apply to an external ID: it is
// compared byte for byte, so it is not trimmed.
func checkExternalID(id string) error {
	switch {
	case id == "":
		return errors.New("external_id is required")
	case len(id) > maxExternalIDBytes:
		return fmt.Errorf("external_id is longer than %d bytes", maxExternalIDBytes)
	case hasControl(id):
		return errors.New("external_id contains control characters")
	}
	return nil
}

// hasControl reports control characters (C0, DEL, C1) and bidirectional
// embeddings, overrides and isolates, which could make a name display as
// another, as the APIs refuse them.
func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) {
			return true
		}
	}
	return false
}
