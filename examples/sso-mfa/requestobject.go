package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// requestObjectLifetime is how long a signed enrolment request may be
// used. passbridge accepts at most 10 minutes and each one once; the
// browser goes to passbridge at once, so a few minutes is plenty.
const requestObjectLifetime = 5 * time.Minute

// enrolmentRequest is the request object (RFC 9101) of an enrolment: the
// app vouches, with its client secret, that it has authenticated userID
// and asks passbridge to add a passkey to that user (prompt=create with
// login_hint). passbridge adds a passkey to a user it knows only with
// such a signature; a bare login_hint never enrols.
//
// All the authorization parameters are signed, so that none of them can
// be changed on the way through the browser; state and the PKCE challenge
// also travel in the query, as RFC 6749 clients send them.
func enrolmentRequest(cfg Config, f flow, now time.Time) (string, error) {
	claims := map[string]any{
		// RFC 9101 §4 and OIDC Core §6.1: issued by the client, for the
		// issuer.
		"iss":       cfg.ClientID,
		"aud":       cfg.Issuer,
		"client_id": cfg.ClientID,
		// Single use (passbridge remembers the jti until exp) and
		// short-lived.
		"jti": rand.Text(),
		"iat": now.Unix(),
		"exp": now.Add(requestObjectLifetime).Unix(),

		"response_type":         "code",
		"scope":                 "openid",
		"redirect_uri":          cfg.RedirectURL,
		"state":                 f.state,
		"nonce":                 f.nonce,
		"code_challenge":        oauth2.S256ChallengeFromVerifier(f.verifier),
		"code_challenge_method": "S256",
		// OpenID Connect Prompt Create 1.0: a registration, for this user.
		"prompt":     "create",
		"login_hint": f.userID,
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(cfg.ClientSecret)},
		// RFC 9101 §10.8: the explicit type keeps this JWT from being
		// taken for another kind.
		(&jose.SignerOptions{}).WithType("oauth-authz-req+jwt"))
	if err != nil {
		return "", fmt.Errorf("request object signer: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign request object: %w", err)
	}
	return jws.CompactSerialize()
}
