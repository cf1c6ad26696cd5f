package oidc

import (
	"slices"

	"github.com/passbridge/passbridge/storage"
)

// Authentication context classes (OpenID EAP ACR Values 1.0): what a
// passkey sign-in proved. A device-bound credential (not backup-eligible)
// reaches phrh; any other passkey reaches phr.
const (
	ACRPhishingResistant         = "phr"
	ACRPhishingResistantHardware = "phrh"
)

// acrRank orders the classes this provider issues; an unknown class ranks 0
// (it is asked for voluntarily and cannot be met).
var acrRank = map[string]int{ACRPhishingResistant: 1, ACRPhishingResistantHardware: 2}

// SupportedACRValues are the acr values discovery advertises, weakest first.
var SupportedACRValues = []string{ACRPhishingResistant, ACRPhishingResistantHardware}

// ACR is the class a ceremony with a credential of this backup eligibility
// proved.
func ACR(backupEligible bool) string {
	if backupEligible {
		return ACRPhishingResistant
	}
	return ACRPhishingResistantHardware
}

// AMR lists the RFC 8176 methods a ceremony proved: hwk for a device-bound
// key, swk for a synced one; user for the user presence test every passkey
// ceremony makes; mfa when the authenticator also verified the user.
func AMR(backupEligible, userVerified bool) []string {
	amr := []string{"hwk", "user"}
	if backupEligible {
		amr[0] = "swk"
	}
	if userVerified {
		amr = append(amr, "mfa")
	}
	return amr
}

// ACRSatisfies reports whether a sign-in of class have meets the demand
// want ("" demands nothing).
func ACRSatisfies(have, want string) bool {
	return want == "" || acrRank[have] >= acrRank[want]
}

// requiredACR is the least class an auth request demands: the weakest of the
// acr_values this provider knows (they are listed in order of preference,
// and any one of them will do), raised to the client's own minimum. An
// auth request whose acr_values are all unknown demands nothing of them
// (OIDC Core §3.1.2.1: acr_values is a voluntary claim).
func requiredACR(r storage.AuthRequest, c storage.Client) string {
	want := ""
	for _, v := range r.ACRValues {
		if rank, ok := acrRank[v]; ok && (want == "" || rank < acrRank[want]) {
			want = v
		}
	}
	if acrRank[c.RequireACR] > acrRank[want] {
		want = c.RequireACR
	}
	return want
}

// hasPrompt reports whether the auth request carries prompt p.
func hasPrompt(r storage.AuthRequest, p string) bool {
	return slices.Contains(r.Prompt, p)
}
