package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"

	"github.com/passbridge/passbridge/storage"
)

// External hints: an implicit client's requests name their user with an
// id_token_hint its own issuer signed (Microsoft Entra ID, for an external
// authentication method), not one of ours, which op would refuse. The hint
// is verified here against the issuer the client registered, before op
// sees the request.

// hintAlgs are the algorithms an external hint may be signed with: Entra
// signs RS256.
var hintAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// Entra issues its hints already expired (exp at or before iat: a hint
// must not be taken for a sign-in), so a hint's age is bounded by its iat:
// Entra gives up on its side about five minutes after it redirects.
const (
	maxHintAge    = 10 * time.Minute
	maxHintFuture = 5 * time.Minute
	maxHintBytes  = 16 << 10
	maxHintClaim  = 256
)

// verifiedHint is what a verified external hint says.
type verifiedHint struct {
	subject string // the issuer's sub: the ID token's sub
	user    string // the user claim's value: the external ID
	tenant  string // tid, when present
}

// errHint is a hint that cannot be used; its text is safe to send back.
type errHint struct{ msg string }

func (e *errHint) Error() string { return e.msg }

func badHint(format string, args ...any) error {
	return &errHint{msg: fmt.Sprintf(format, args...)}
}

// verifyHint checks raw, an id_token_hint of client c's external issuer:
// its signature by a key of the issuer (the kid it names), iss exactly,
// aud holding the client's audience, tid the client's tenant, iat within
// [now-maxHintAge, now+maxHintFuture] and nbf not in the future (exp is
// not read: see maxHintAge), and sub and the user claim present and sane.
func (s *opStorage) verifyHint(ctx context.Context, c storage.Client, raw string, now time.Time) (verifiedHint, error) {
	var v verifiedHint
	if raw == "" {
		return v, badHint("id_token_hint is required")
	}
	if len(raw) > maxHintBytes {
		return v, badHint("id_token_hint is too large")
	}
	jws, err := jose.ParseSignedCompact(raw, hintAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return v, badHint("id_token_hint is not a JWS signed with RS256 or ES256")
	}
	h := jws.Signatures[0].Header
	set, err := s.hintKeys(ctx, c, h.KeyID)
	if err != nil {
		return v, err
	}
	var key *jose.JSONWebKey
	for i, k := range set.Keys {
		if k.IsPublic() && (h.KeyID == "" || k.KeyID == h.KeyID) && (k.Algorithm == "" || k.Algorithm == h.Algorithm) &&
			(k.Use == "" || k.Use == "sig") {
			if key != nil {
				return v, badHint("id_token_hint names no single key of its issuer")
			}
			key = &set.Keys[i]
		}
	}
	if key == nil {
		return v, badHint("id_token_hint is signed with a key its issuer does not publish")
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return v, badHint("id_token_hint's signature does not verify")
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return v, badHint("id_token_hint's payload is not a JSON object")
	}
	if iss, _ := claims["iss"].(string); iss != c.HintIssuer {
		return v, badHint("id_token_hint is not from the issuer this client trusts")
	}
	if !hasAudience(claims["aud"], c.HintAudience) {
		return v, badHint("id_token_hint is not for this client's audience")
	}
	v.tenant, _ = claims["tid"].(string)
	if c.HintTenant != "" && v.tenant != c.HintTenant {
		return v, badHint("id_token_hint is not from the tenant this client trusts")
	}
	iat, ok := claims["iat"].(float64)
	if !ok {
		return v, badHint("id_token_hint has no iat")
	}
	issued := time.Unix(int64(iat), 0)
	if now.Sub(issued) > maxHintAge {
		return v, badHint("id_token_hint was issued more than %s ago", maxHintAge)
	}
	if issued.Sub(now) > maxHintFuture {
		return v, badHint("id_token_hint's iat is in the future")
	}
	if nbf, ok := claims["nbf"].(float64); ok && time.Unix(int64(nbf), 0).Sub(now) > maxHintFuture {
		return v, badHint("id_token_hint's nbf is in the future")
	}
	userClaim := c.HintUserClaim
	if userClaim == "" {
		userClaim = storage.HintUserClaimDefault
	}
	if v.subject, ok = saneClaim(claims["sub"]); !ok {
		return v, badHint("id_token_hint has no usable sub")
	}
	if v.user, ok = saneClaim(claims[userClaim]); !ok {
		return v, badHint("id_token_hint has no usable %s", userClaim)
	}
	return v, nil
}

// saneClaim is a claim that is a string of text, short enough to store
// and to name a user by.
func saneClaim(v any) (string, bool) {
	s, ok := v.(string)
	if !ok || s == "" || len(s) > maxHintClaim || !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", false
	}
	return s, true
}

// hasAudience reports whether a token's aud (a string or an array) holds
// want.
func hasAudience(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		return slices.ContainsFunc(a, func(v any) bool { s, _ := v.(string); return s == want })
	}
	return false
}

// hintKeys are the public keys of client c's hint issuer: its inline set,
// or the set at its URI, through the cache client key sets share (a kid
// the cached set lacks refreshes it early, at most every jwksRefetch).
func (s *opStorage) hintKeys(ctx context.Context, c storage.Client, kid string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if len(c.HintJWKS) > 0 {
		if err := json.Unmarshal(c.HintJWKS, &set); err != nil {
			return set, fmt.Errorf("client %s: hint JWKS: %w", c.ID, err)
		}
		return set, nil
	}
	if c.HintJWKSURI == "" {
		return set, errors.New("client " + c.ID + ": no hint keys")
	}
	return s.remote.get(ctx, c.HintJWKSURI, kid)
}
