package settings

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/passbridge/passbridge/storage"
)

// HintChange is what an operator sets of a client's external hint issuer
// profile (storage.Client.Implicit and Hint*): a nil field is left as it
// is. HintJWKS and HintJWKSURI replace each other, as JWKS and JWKSURI do.
type HintChange struct {
	Implicit      *bool
	HintIssuer    *string
	HintJWKSURI   *string
	HintJWKS      *KeySet
	HintAudience  *string
	HintTenant    *string
	HintUserClaim *string
	HintEnrol     *bool
}

// HintLabels name the profile's fields in problems.
type HintLabels struct {
	Implicit, HintIssuer, HintJWKSURI, HintJWKS, HintAudience, HintTenant, HintUserClaim, HintEnrol string
}

// Entra clouds: the host of each cloud's sign-in service, where its hints
// come from and where its external authentication methods' answers go.
var entraHosts = map[string]string{
	"global": "login.microsoftonline.com",
	"usgov":  "login.microsoftonline.us",
	"china":  "login.partner.microsoftonline.cn",
}

// EntraClouds are the cloud names EntraProfile takes.
var EntraClouds = []string{"global", "usgov", "china"}

// EntraProfile is the profile of a Microsoft Entra ID external
// authentication method of tenant tid whose app registration is appID, in
// cloud ("" is global): hints from the tenant's v2.0 issuer, its keys, the
// app as audience, the tenant pinned, the user named by oid; and the
// cloud's reply URL as the redirect URI.
func EntraProfile(cloud, tid, appID string) (HintChange, string, error) {
	if cloud == "" {
		cloud = "global"
	}
	host, ok := entraHosts[cloud]
	if !ok {
		return HintChange{}, "", fmt.Errorf("cloud %q: want global, usgov or china", cloud)
	}
	if !plainToken(tid) || !plainToken(appID) {
		return HintChange{}, "", fmt.Errorf("tenant %q and app ID %q must be IDs (letters, digits, '-', '.')", tid, appID)
	}
	issuer := "https://" + host + "/" + tid + "/v2.0"
	keys := "https://" + host + "/" + tid + "/discovery/v2.0/keys"
	claim, yes := storage.HintUserClaimDefault, true
	return HintChange{Implicit: &yes, HintIssuer: &issuer, HintJWKSURI: &keys, HintAudience: &appID, HintTenant: &tid,
		HintUserClaim: &claim}, "https://" + host + "/common/federation/externalauthprovider", nil
}

// plainToken: a tenant or application ID (a GUID, or a domain for a
// tenant), at most 128 characters.
func plainToken(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// applyHint makes ch's changes to cl and validates the profile as a whole:
// an implicit client needs an issuer (https, no query or fragment), its
// keys (by URI or inline, not both), an audience, and auth method none (it
// never calls the token endpoint); the hint fields belong to an implicit
// client only. Every problem is returned.
func applyHint(cl storage.Client, ch HintChange, l HintLabels, authMethodGiven bool) (storage.Client, []string) {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	text := func(label string, v *string, dst *string, max int) {
		if v == nil {
			return
		}
		s := strings.TrimSpace(*v)
		if len(s) > max || strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
			add("%s %q: want at most %d printable characters without spaces", label, s, max)
			return
		}
		*dst = s
	}
	if ch.Implicit != nil {
		cl.Implicit = *ch.Implicit
		if cl.Implicit && !authMethodGiven {
			cl.AuthMethod = storage.AuthMethodNone
		}
	}
	text(l.HintIssuer, ch.HintIssuer, &cl.HintIssuer, 512)
	text(l.HintAudience, ch.HintAudience, &cl.HintAudience, 256)
	text(l.HintTenant, ch.HintTenant, &cl.HintTenant, 128)
	text(l.HintUserClaim, ch.HintUserClaim, &cl.HintUserClaim, 64)
	if ch.HintEnrol != nil {
		cl.HintEnrol = *ch.HintEnrol
	}
	keysGiven := ch.HintJWKS != nil && (ch.HintJWKS.Refused || ch.HintJWKS.Doc != nil)
	uriGiven := ch.HintJWKSURI != nil && strings.TrimSpace(*ch.HintJWKSURI) != ""
	switch {
	case keysGiven && uriGiven:
		add("give %s or %s, not both", l.HintJWKS, l.HintJWKSURI)
	default:
		if ch.HintJWKS != nil && !ch.HintJWKS.Refused {
			cl.HintJWKS = ch.HintJWKS.Doc
			if ch.HintJWKS.Doc != nil {
				cl.HintJWKSURI = ""
			}
		}
		if ch.HintJWKSURI != nil {
			cl.HintJWKSURI = strings.TrimSpace(*ch.HintJWKSURI)
			if cl.HintJWKSURI != "" {
				if err := CheckHTTPSURL(cl.HintJWKSURI); err != nil {
					add("%s %q: %v", l.HintJWKSURI, cl.HintJWKSURI, err)
				}
				cl.HintJWKS = nil
			}
		}
	}

	if !cl.Implicit {
		if cl.HintIssuer != "" || cl.HintJWKSURI != "" || len(cl.HintJWKS) > 0 || cl.HintAudience != "" ||
			cl.HintTenant != "" || cl.HintUserClaim != "" || cl.HintEnrol {
			add("the hint issuer settings (%s, %s, %s, %s, %s, %s, %s) are for an implicit client only: give %s too, or clear them",
				l.HintIssuer, l.HintJWKSURI, l.HintJWKS, l.HintAudience, l.HintTenant, l.HintUserClaim, l.HintEnrol, l.Implicit)
		}
		return cl, problems
	}
	if cl.HintIssuer == "" {
		add("an implicit client needs %s (the exact iss of its id_token_hints)", l.HintIssuer)
	} else if u, err := url.Parse(cl.HintIssuer); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		add("%s %q: want an https URL without query or fragment", l.HintIssuer, cl.HintIssuer)
	}
	if cl.HintJWKSURI == "" && len(cl.HintJWKS) == 0 && !keysGiven && !uriGiven {
		add("an implicit client needs its hint issuer's keys: give %s or %s", l.HintJWKSURI, l.HintJWKS)
	}
	if cl.HintAudience == "" {
		add("an implicit client needs %s (the aud of its id_token_hints: the app ID the issuer gave it)", l.HintAudience)
	}
	if cl.AuthMethod != storage.AuthMethodNone {
		add("an implicit client never calls the token endpoint: its auth method must be none, not %s", cl.AuthMethod)
	}
	return cl, problems
}
