package adminapi

import (
	"net/url"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
)

// Bounds of identifiers taken from paths and queries, those the ceremony
// core puts on what it stores.
const (
	maxIDBytes         = 128
	maxExternalIDBytes = 255
)

// plausibleID reports whether s could be an ID the store holds. Anything
// else names nothing, and is answered as not found without a query.
func plausibleID(s string) bool { return httpapi.Plausible(s, maxIDBytes) }

// userParam is the :user_id of the path, or user_not_found for an ID no
// user could have.
func userParam(id string) (string, error) {
	if !plausibleID(id) {
		return "", ceremony.ErrUserNotFound
	}
	return id, nil
}

// oneQuery returns the query parameter name, given once at most; given
// twice it is a 400 naming it.
func oneQuery(q url.Values, name string) (string, bool, error) {
	vs, ok := q[name]
	switch {
	case !ok:
		return "", false, nil
	case len(vs) != 1:
		return "", false, httpapi.BadRequest("%s must be given once", name)
	}
	return vs[0], true, nil
}
