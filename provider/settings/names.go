package settings

import (
	"fmt"
	"strings"
)

// MaxNameLen bounds the names of keys and clients: labels, not documents.
const MaxNameLen = 100

// CheckName checks a label (a key's or a client's name) given as field.
func CheckName(field, name string, required bool) error {
	switch {
	case name == "" && required:
		return fmt.Errorf("%s is required", field)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%s %q is longer than %d characters", field, name[:20]+"…", MaxNameLen)
	}
	if hasControl(name) {
		return fmt.Errorf("%s %q contains a control character", field, name)
	}
	return nil
}

// hasControl reports whether s holds a C0 control character or DEL.
// PostgreSQL refuses NUL in text outright, and the others have no place in
// a label a table or a log shows.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
