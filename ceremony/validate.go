package ceremony

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Input bounds. External IDs are the app's keys, compared byte for byte, so
// their bound is in bytes; names are for people, so theirs is in characters.
const (
	maxExternalIDBytes   = 255
	maxDisplayNameRunes  = 255
	maxFriendlyNameRunes = 100
	maxNonceChars        = 200
	maxIDChars           = 100
	// maxResponseBytes bounds a ceremony response. A registration with a
	// full attestation certificate chain is a few kilobytes.
	maxResponseBytes = 64 << 10
	// maxChallengeChars bounds the challenge read from clientDataJSON
	// before it is looked up; ours are 43 characters.
	maxChallengeChars = 128
)

// invalid returns an invalid_request error with a message for the client.
func invalid(message string) *Error {
	return newError(CodeInvalidRequest, message, nil)
}

// checkExternalID validates an app's identifier for a user.
func checkExternalID(id string) error {
	switch {
	case id == "":
		return invalid("external_id is required")
	case len(id) > maxExternalIDBytes:
		return invalid("external_id is longer than 255 bytes")
	case !utf8.ValidString(id):
		return invalid("external_id is not valid UTF-8")
	case hasControl(id):
		return invalid("external_id contains control characters")
	}
	return nil
}

// cleanDisplayName trims and validates a name an authenticator shows; empty
// stays empty, for the caller to default.
func cleanDisplayName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case !utf8.ValidString(name):
		return "", invalid(field + " is not valid UTF-8")
	case utf8.RuneCountInString(name) > maxDisplayNameRunes:
		return "", invalid(field + " is longer than 255 characters")
	case hasControl(name):
		return "", invalid(field + " contains control characters")
	}
	return name, nil
}

// cleanFriendlyName trims and validates a device's name.
func cleanFriendlyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", invalid("friendly_name is required")
	case !utf8.ValidString(name):
		return "", invalid("friendly_name is not valid UTF-8")
	case utf8.RuneCountInString(name) > maxFriendlyNameRunes:
		return "", invalid("friendly_name is longer than 100 characters")
	case hasControl(name):
		return "", invalid("friendly_name contains control characters")
	}
	return name, nil
}

// checkID rejects identifiers no store could hold before they reach it.
func checkID(field, id string) error {
	switch {
	case id == "":
		return invalid(field + " is required")
	case len(id) > maxIDChars || !utf8.ValidString(id) || hasControl(id):
		return invalid(field + " is malformed")
	}
	return nil
}

// hasControl reports whether s holds a control character (C0, DEL, C1) or a
// bidirectional embedding, override or isolate (U+202A–U+202E,
// U+2066–U+2069), which could make a name display as another. Joiners stay
// allowed: emoji sequences and several scripts need them.
func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) {
			return true
		}
	}
	return false
}
