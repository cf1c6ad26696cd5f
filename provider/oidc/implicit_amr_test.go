package oidc_test

import (
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// TestEAMAMRByCredential: where Entra's request does not accept fido, the
// one amr answered is the credential's kind (hwk device-bound, swk synced)
// if accepted, else pop; a request that accepts only the other kind gets
// access_denied posted back after the ceremony, and no token.
func TestEAMAMRByCredential(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		e := newEntra(t)
		c := h.createEAMClient(e, false)
		claims := func(amr string) string {
			return `{"id_token":{"acr":{"essential":true,"values":["possessionorinherence"]},"amr":{"essential":true,"values":[` + amr + `]}}}`
		}
		for _, tc := range []struct {
			name   string
			synced bool
			amr    string
			want   string // "" : refused
		}{
			{"DeviceBound", false, `"hwk","swk"`, "hwk"},
			{"Synced", true, `"hwk","swk"`, "swk"},
			{"PopOnly", true, `"pop","sms"`, "pop"},
			{"SyncedWhereOnlyHwk", true, `"hwk"`, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				oid := "oid-" + strings.ToLower(tc.name)
				b := h.newBrowser(softauthn.Options{BackupEligible: tc.synced})
				b.register(oid)
				form := eamForm(c, e.hintWith(t, e.key, e.kid, e.hintClaims(oid, h.clock.Now())))
				form.Set("claims", claims(tc.amr))
				r := b.post(form)
				id := r.authRequestID(t)
				p := formPost(t, b.complete(id, b.passkey(id)))
				if tc.want == "" {
					if p.params.Get("error") != "access_denied" || p.params.Has("id_token") {
						t.Fatalf("posted %v; want access_denied and no token", p.params)
					}
					return
				}
				idt, err := h.rp.Verifier(&gooidc.Config{ClientID: c.ID}).Verify(h.ctx, p.params.Get("id_token"))
				if err != nil {
					t.Fatalf("posted %v: %v", p.params, err)
				}
				var got eamClaims
				if err := idt.Claims(&got); err != nil {
					t.Fatal(err)
				}
				if len(got.AMR) != 1 || got.AMR[0] != tc.want {
					t.Fatalf("amr %v, want [%s]", got.AMR, tc.want)
				}
			})
		}
	})
}
