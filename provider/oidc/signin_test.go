package oidc_test

import (
	"slices"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// A discoverable passkey sign-in through go-oidc and x/oauth2: the ID token
// verifies, its sub is the external ID, and acr, amr, auth_time, sid and the
// nonce say what happened.
func TestSignIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true, BackedUp: true})
		b.register("user-42")
		u, f := h.authorizeURL(h.confidential, nil)
		tok := h.mustExchange(f, b.signIn(u))
		c := tok.claims
		if c.Subject != "user-42" || c.ACR != "phr" || !slices.Equal(c.AMR, []string{"swk", "user", "mfa"}) ||
			c.AuthTime == 0 || c.SID == "" || c.Nonce != f.nonce {
			t.Fatalf("ID token claims %+v", c)
		}
		if tok.AccessToken == "" || tok.RefreshToken != "" {
			t.Fatalf("tokens: access %q refresh %q (no offline_access asked)", tok.AccessToken, tok.RefreshToken)
		}
		ui, err := h.rp.UserInfo(h.ctx, h.oauth2Config(h.confidential).TokenSource(h.ctx, tok.Token))
		if err != nil || ui.Subject != "user-42" {
			t.Fatalf("userinfo: %+v %v", ui, err)
		}
	})
}
