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

// stepUpMaxAge is how old a step-up's ceremony may be when its answer
// arrives. The request asked for max_age=0; this is the app's own check
// that it got it.
const stepUpMaxAge = time.Minute

// clockSkew is how far passbridge's clock may run ahead of this app's.
const clockSkew = 30 * time.Second

// idClaims are the ID token claims the app uses (see passbridge's README,
// "Claims").
type idClaims struct {
	Subject  string   `json:"sub"`
	Name     string   `json:"name"`
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	AuthTime int64    `json:"auth_time"`
	SID      string   `json:"sid"`
}

func (c idClaims) authTime() time.Time { return time.Unix(c.AuthTime, 0).UTC() }

// stepUpRefusal says why the answer to a step-up was not accepted.
type stepUpRefusal struct{ reason string }

func (e *stepUpRefusal) Error() string { return "step-up refused: " + e.reason }

// checkStepUp accepts the claims of a step-up that asked for f (acr_values,
// max_age=0 and login_hint). The provider should have enforced all three;
// the app checks, because the request went through the browser, where
// anyone can edit it, and only the signed ID token says what happened.
// (OIDC Core §3.1.2.1: the client checks acr and auth_time itself.)
func checkStepUp(c idClaims, f flow, now time.Time) error {
	if c.Subject != f.sub {
		return &stepUpRefusal{fmt.Sprintf("the passkey that answered belongs to another account (%q, not %q)", c.Subject, f.sub)}
	}
	if acrRank[c.ACR] < acrRank[f.acr] {
		return &stepUpRefusal{fmt.Sprintf("the sign-in's level (acr %q) is below the one asked for (%q)", c.ACR, f.acr)}
	}
	// OIDC Core §2: auth_time is required when max_age was asked.
	if c.AuthTime == 0 {
		return &stepUpRefusal{"the ID token does not say when the passkey was used (no auth_time)"}
	}
	at := c.authTime()
	if now.Sub(at) > stepUpMaxAge || at.Before(f.started.Add(-clockSkew)) {
		return &stepUpRefusal{fmt.Sprintf("the passkey was used at %s, before this confirmation was asked for", at.Format(time.RFC3339))}
	}
	if at.Sub(now) > clockSkew {
		return &stepUpRefusal{fmt.Sprintf("the ID token's auth_time %s is in the future", at.Format(time.RFC3339))}
	}
	return nil
}
