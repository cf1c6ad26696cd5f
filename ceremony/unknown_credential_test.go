package ceremony_test

import (
	"testing"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// TestUnknownCredentialReason pins the answer to an assertion whose
// credential the app does not hold: the browser SDK tells the passkey
// provider (WebAuthn's signalUnknownCredential) on exactly this code and
// message, so a passkey the app does know must never get it.
func TestUnknownCredentialReason(t *testing.T) {
	const reason = "passkey not recognised"
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		alice := softauthn.New(softauthn.Options{})
		removed := e.register(alice, "alice")
		carol := softauthn.New(softauthn.Options{})
		e.register(carol, "carol")
		if err := e.svc.RevokeDevice(e.ctx, e.app, removed.User.ID, removed.Device.ID); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name    string
			a       *softauthn.Authenticator
			mods    []softauthn.Mod
			unknown bool
		}{
			{"a removed passkey", alice, nil, true},
			{"a known passkey with another user's handle", carol, []softauthn.Mod{softauthn.WithUserHandle(e.user("alice").Handle)}, false},
			{"a known passkey with a bad signature", carol, []softauthn.Mod{softauthn.WithBadSignature()}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := e.prepareAuthenticate(tc.a, "", tc.mods...)
				_, err := e.svc.FinishFlexAuthentication(e.ctx, e.app, "", f.hs.ID, f.response)
				ce := wantCode(t, err, ceremony.CodeVerificationFailed)
				if got := ce.Message == reason; got != tc.unknown {
					t.Errorf("message %q: unknown credential %v, want %v", ce.Message, got, tc.unknown)
				}
			})
		}
	})
}
