package httpapi

import "unicode/utf8"

// checkText refuses a JSON body whose text is not Unicode. encoding/json
// would decode it anyway, with U+FFFD in place of each invalid byte and each
// unpaired surrogate escape, so "\xfe", "\xff" and "\udfff" would all arrive
// as the same string: external IDs a client sent as different would name
// one user.
func checkText(body []byte) error {
	if !utf8.Valid(body) {
		return BadRequest("request body is not valid UTF-8")
	}
	if hasUnpairedSurrogate(body) {
		return BadRequest("request body holds an unpaired UTF-16 surrogate escape")
	}
	return nil
}

// hasUnpairedSurrogate reports whether a string literal of the JSON text b
// escapes half a UTF-16 surrogate pair (RFC 8259 §7): a high surrogate
// \uD800–\uDBFF not followed at once by an escaped low surrogate
// \uDC00–\uDFFF, or a low surrogate without a high one before it. Escapes
// are read left to right, so in "\\udfff" the backslash is escaped and
// "udfff" is plain text. Text that is not JSON gets an answer too, never a
// panic; the decoder refuses it anyway.
func hasUnpairedSurrogate(b []byte) bool {
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case !inString:
			inString = c == '"'
		case c == '"':
			inString = false
		case c == '\\':
			u, ok := unicodeEscape(b, i)
			switch {
			case !ok:
				i++ // a two-character escape such as \" or \\: skip what it escapes
			case isLowSurrogate(u):
				return true
			case isHighSurrogate(u):
				low, ok := unicodeEscape(b, i+6)
				if !ok || !isLowSurrogate(low) {
					return true
				}
				i += 11 // to the last digit of the pair's second escape
			default:
				i += 5 // to the escape's last digit
			}
		}
	}
	return false
}

// unicodeEscape reads the \uXXXX escape at b[i:], if there is a whole one.
func unicodeEscape(b []byte, i int) (rune, bool) {
	if i < 0 || len(b)-i < 6 || b[i] != '\\' || b[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range b[i+2 : i+6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func isHighSurrogate(r rune) bool { return r >= 0xD800 && r <= 0xDBFF }
func isLowSurrogate(r rune) bool  { return r >= 0xDC00 && r <= 0xDFFF }
