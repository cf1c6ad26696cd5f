package ceremony_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

func TestBoundAuthentication(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform, SignCount: 7, Transports: []string{"usb", "nfc"}})
		reg := e.register(a, "carol")
		e.clock.Advance(10 * time.Second)

		f := e.prepareAuthenticate(a, "carol")
		allow := options(t, f.hs)["allowCredentials"].([]any)
		if len(allow) != 1 {
			t.Fatalf("allowCredentials = %v", allow)
		}
		desc := allow[0].(map[string]any)
		if desc["id"] != b64(reg.Device.CredentialID) || len(desc["transports"].([]any)) != 2 {
			t.Fatalf("allowCredentials[0] = %v", desc)
		}
		if f.hs.Mediation != "" {
			t.Fatalf("bound mediation = %q", f.hs.Mediation)
		}
		res, err := e.svc.FinishFlexAuthentication(e.ctx, e.app, f.txID, f.hs.ID, f.response)
		if err != nil {
			t.Fatal(err)
		}
		now := e.clock.Now()
		d := res.Device
		if d.SignCount != 8 || d.UsageCount != 1 || !d.LastLoginAt.Equal(now.Round(time.Microsecond)) || d.CloneWarning {
			t.Fatalf("device after login = %+v (now %s)", d, now)
		}
		if res.User.LoginCount != 1 || res.User.LastLoginAt.IsZero() {
			t.Fatalf("user after login = %+v", res.User)
		}
		if stored, _ := e.store.GetDevice(e.ctx, e.app.ID, d.ID); !reflect.DeepEqual(stored, d) {
			t.Fatalf("stored device differs from the result:\nstored %+v\nresult %+v", stored, d)
		}
		if tx, _ := e.store.GetTransaction(e.ctx, e.app.ID, f.txID); tx.State != storage.TransactionCompleted {
			t.Fatalf("transaction state = %s", tx.State)
		}
		n, err := e.svc.VerifyNonce(e.ctx, e.app, res.Nonce)
		if err != nil {
			t.Fatal(err)
		}
		if n.Kind != storage.KindAuthenticate || n.ExternalID != "carol" || n.DeviceID != d.ID || !n.UserVerified || n.BackupEligible {
			t.Fatalf("nonce = %+v", n)
		}

		// A second login moves the counter on again.
		res2 := e.authenticate(a, "carol")
		if res2.Device.SignCount != 9 || res2.Device.UsageCount != 2 || res2.User.LoginCount != 2 {
			t.Fatalf("second login: device %+v, user %+v", res2.Device, res2.User)
		}
	})
}

func TestDiscoverableAuthentication(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		alice := softauthn.New(softauthn.Options{BackupEligible: true, AAGUID: aaguidGoogle})
		bob := softauthn.New(softauthn.Options{BackupEligible: true})
		e.register(alice, "alice")
		e.register(bob, "bob")

		f := e.prepareAuthenticate(bob, "")
		if f.hs.Mediation != "conditional" {
			t.Fatalf("mediation = %q, want conditional", f.hs.Mediation)
		}
		opts := options(t, f.hs)
		if _, ok := opts["allowCredentials"]; ok {
			t.Fatalf("discoverable options list credentials: %v", opts)
		}
		if opts["rpId"] != testRPID || opts["userVerification"] != "required" {
			t.Fatalf("options = %v", opts)
		}
		res, err := e.svc.FinishFlexAuthentication(e.ctx, e.app, "", f.hs.ID, f.response)
		if err != nil {
			t.Fatal(err)
		}
		if res.User.ExternalID != "bob" || res.Device.UsageCount != 1 || !res.BackupEligible {
			t.Fatalf("result = %+v", res)
		}
		n, err := e.svc.VerifyNonce(e.ctx, e.app, res.Nonce)
		if err != nil || n.ExternalID != "bob" {
			t.Fatalf("nonce = %+v, %v", n, err)
		}
		if got := e.authenticate(alice, "").User.ExternalID; got != "alice" {
			t.Fatalf("alice authenticated as %q", got)
		}
	})
}

// A user with several passkeys signs in with any of them: the handshake
// allows them all, the finish reads only the one asserted. One removed
// since the start no longer signs in, and does not stop another from
// doing so.
func TestBoundAuthenticationOfSeveralPasskeys(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		keys := []*softauthn.Authenticator{softauthn.New(softauthn.Options{}), softauthn.New(softauthn.Options{}), softauthn.New(softauthn.Options{})}
		var regs []ceremony.Result
		for _, a := range keys {
			regs = append(regs, e.register(a, "dana"))
		}
		for i, a := range keys {
			if res := e.authenticate(a, "dana"); res.Device.ID != regs[i].Device.ID {
				t.Fatalf("passkey %d signed in as device %s, want %s", i, res.Device.ID, regs[i].Device.ID)
			}
		}
		removed, kept := e.prepareAuthenticate(keys[0], "dana"), e.prepareAuthenticate(keys[1], "dana")
		if allow := options(t, kept.hs)["allowCredentials"].([]any); len(allow) != 3 {
			t.Fatalf("allowCredentials = %v, want the user's three passkeys", allow)
		}
		if err := e.store.DeleteDevice(e.ctx, e.app.ID, regs[0].Device.ID); err != nil {
			t.Fatal(err)
		}
		res, err := e.svc.FinishFlexAuthentication(e.ctx, e.app, kept.txID, kept.hs.ID, kept.response)
		if err != nil {
			t.Fatalf("a kept passkey after another was removed: %v", err)
		}
		if res.Device.ID != regs[1].Device.ID || res.User.ExternalID != "dana" {
			t.Fatalf("signed in as %s/%s, want %s/dana", res.Device.ID, res.User.ExternalID, regs[1].Device.ID)
		}
		_, err = e.svc.FinishFlexAuthentication(e.ctx, e.app, removed.txID, removed.hs.ID, removed.response)
		if ce := wantCode(t, err, ceremony.CodeVerificationFailed); !strings.Contains(ce.Message, "not allowed") {
			t.Fatalf("the removed passkey: %v", ce)
		}
	})
}
