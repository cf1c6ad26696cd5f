package main

import (
	"fmt"
	"time"
)

// passbridge's acr values: phishing-resistant (any passkey) below
// phishing-resistant hardware (a device-bound passkey).
const (
	acrPhishingResistant         = "phr"
	acrPhishingResistantHardware = "phrh"
)

// acrRank orders the acr values this app knows; any other value ranks
// below them all.
var acrRank = map[string]int{acrPhishingResistant: 1, acrPhishingResistantHardware: 2}

// passkeyMaxAge is how old the ceremony may be when its answer arrives.
// The request asked for a ceremony now; this is the app's own check that
// it got one.
const passkeyMaxAge = time.Minute

// clockSkew is how far passbridge's clock may run ahead of this app's.
const clockSkew = 30 * time.Second

// idClaims are the ID token claims the app uses (see passbridge's README,
// "Claims").
type idClaims struct {
	Subject  string   `json:"sub"`
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	AuthTime int64    `json:"auth_time"`
	SID      string   `json:"sid"`
}

func (c idClaims) authTime() time.Time { return time.Unix(c.AuthTime, 0).UTC() }

// refusal says why passbridge's answer was not accepted.
type refusal struct{ reason string }

func (e *refusal) Error() string { return "passkey step refused: " + e.reason }

// checkPasskey accepts the verified ID token of flow f, an enrolment or a
// step-up, only if it proves a passkey ceremony of f's user, now. The
// request went through the browser, where anyone can edit it (remove the
// login_hint, the prompt), so the app relies on nothing it asked for, only
// on what the signed token says (OIDC Core §3.1.2.1 leaves the checks of
// acr and auth_time to the client):
//
//  1. sub is the app's user: a passkey of another account proves nothing
//     about this one;
//  2. acr is at least phr: a passkey ceremony ran (an unknown or missing
//     acr ranks below every level);
//  3. auth_time is present, within a minute of now and not before the
//     flow started: the ceremony ran for this request, not earlier (an
//     SSO answer from passbridge's session would carry an old one).
func checkPasskey(c idClaims, f flow, now time.Time) error {
	if c.Subject != f.userID {
		return &refusal{fmt.Sprintf("the passkey that answered belongs to another account (%q, not %q)", c.Subject, f.userID)}
	}
	if acrRank[c.ACR] < acrRank[acrPhishingResistant] {
		return &refusal{fmt.Sprintf("the sign-in's level (acr %q) is not a passkey's (%q)", c.ACR, acrPhishingResistant)}
	}
	// OIDC Core §2: auth_time is required when max_age was asked.
	if c.AuthTime == 0 {
		return &refusal{"the ID token does not say when the passkey was used (no auth_time)"}
	}
	at := c.authTime()
	if now.Sub(at) > passkeyMaxAge || at.Before(f.started.Add(-clockSkew)) {
		return &refusal{fmt.Sprintf("the passkey was used at %s, before this step was asked for", at.Format(time.RFC3339))}
	}
	if at.Sub(now) > clockSkew {
		return &refusal{fmt.Sprintf("the ID token's auth_time %s is in the future", at.Format(time.RFC3339))}
	}
	return nil
}
