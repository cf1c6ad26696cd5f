// Package aaguid names passkey providers and authenticator models by their
// AAGUID (WebAuthn L3 §6.5.1), the 16-byte identifier an authenticator puts in
// the attested credential data of a registration.
//
// The names and icons come from the community list at
// github.com/passkeydeveloper/passkey-authenticator-aaguids (MIT licence),
// embedded as passkey-aaguids.json. The list is parsed and indexed once, by
// Load; lookups after that read a map.
package aaguid

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

//go:embed passkey-aaguids.json
var embedded []byte

// Info describes one authenticator model.
type Info struct {
	Name      string // e.g. "Google Password Manager"
	IconLight string // SVG data URI for light backgrounds, or ""
	IconDark  string // SVG data URI for dark backgrounds, or ""
}

// Registry maps AAGUIDs to what is known about them. It is read-only once
// built, so one Registry serves any number of goroutines.
type Registry struct {
	byAAGUID map[uuid.UUID]Info
}

// entry is one value of the list's JSON object, keyed by the AAGUID string.
type entry struct {
	Name      string `json:"name"`
	IconDark  string `json:"icon_dark"`
	IconLight string `json:"icon_light"`
}

// Load parses the embedded list.
func Load() (*Registry, error) {
	return Parse(embedded)
}

// Parse builds a Registry from a list in the community list's format: a JSON
// object whose keys are AAGUIDs in their hyphenated form and whose values
// carry a name and optional icon data URIs.
func Parse(data []byte) (*Registry, error) {
	var raw map[string]entry
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("aaguid: parse list: %w", err)
	}
	r := &Registry{byAAGUID: make(map[uuid.UUID]Info, len(raw))}
	for key, e := range raw {
		id, err := uuid.Parse(key)
		if err != nil {
			return nil, fmt.Errorf("aaguid: key %q: %w", key, err)
		}
		name := strings.TrimSpace(e.Name)
		if name == "" {
			return nil, fmt.Errorf("aaguid: %s has no name", key)
		}
		r.byAAGUID[id] = Info{Name: name, IconLight: dataURI(e.IconLight), IconDark: dataURI(e.IconDark)}
	}
	return r, nil
}

// dataURI keeps an icon only if it is the SVG data URI the list's schema
// promises: the value ends up in pages and API responses as an image source.
func dataURI(s string) string {
	if strings.HasPrefix(s, "data:image/svg+xml;base64,") {
		return s
	}
	return ""
}

// Lookup returns what the list says about an AAGUID. It reports false for an
// AAGUID the list does not name, for the all-zero AAGUID (an authenticator
// that chose not to say, WebAuthn L3 §6.5.1), and for a value that is not 16
// bytes long.
func (r *Registry) Lookup(aaguid []byte) (Info, bool) {
	if r == nil || len(aaguid) != 16 {
		return Info{}, false
	}
	id := uuid.UUID(aaguid)
	if id == uuid.Nil {
		return Info{}, false
	}
	info, ok := r.byAAGUID[id]
	return info, ok
}

// Len reports how many AAGUIDs the registry names.
func (r *Registry) Len() int {
	if r == nil {
		return 0
	}
	return len(r.byAAGUID)
}
