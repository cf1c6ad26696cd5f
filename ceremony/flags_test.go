package ceremony_test

import (
	"testing"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

func TestSignCountPolicyAllow(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t), func(a *storage.App) { a.SignCountPolicy = storage.SignCountAllow })
		a := softauthn.New(softauthn.Options{SignCount: 10})
		e.register(a, "olga")
		first := e.authenticate(a, "olga") // 11
		if first.Device.SignCount != 11 || first.Device.CloneWarning {
			t.Fatalf("first login: %+v", first.Device)
		}
		res := e.authenticate(a, "olga", softauthn.WithSignCount(3))
		d := res.Device
		if !d.CloneWarning || d.SignCount != 11 || d.UsageCount != 2 {
			t.Fatalf("device after regression = %+v; want warning, count kept at 11, usage 2", d)
		}
		if res.Nonce == "" {
			t.Fatal("no nonce under the allow policy")
		}
		// The warning stays once set; counting resumes.
		res = e.authenticate(a, "olga", softauthn.WithSignCount(12))
		if !res.Device.CloneWarning || res.Device.SignCount != 12 {
			t.Fatalf("device after recovery = %+v", res.Device)
		}
	})
}

func TestSyncedPasskeyZeroCounter(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{BackupEligible: true, BackedUp: true})
		e.register(a, "pia")
		for i := 1; i <= 3; i++ {
			d := e.authenticate(a, "pia").Device
			if d.SignCount != 0 || d.CloneWarning || d.UsageCount != int64(i) {
				t.Fatalf("login %d: %+v", i, d)
			}
		}
	})
}

func TestBackupEligibilityFlipAccepted(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{})
		reg := e.register(a, "quinn")
		if reg.Device.BackupEligible || reg.Device.Type != storage.DeviceTypePlatform {
			t.Fatalf("registered device = %+v", reg.Device)
		}
		// The provider starts syncing: BE and BS now set.
		res := e.authenticate(a, "quinn", softauthn.WithBackupFlags(true, true))
		d := res.Device
		if !d.BackupEligible || !d.BackedUp || d.Type != storage.DeviceTypePasskey || !res.BackupEligible {
			t.Fatalf("device after the flip = %+v, result BE %v", d, res.BackupEligible)
		}
		n, err := e.svc.VerifyNonce(e.ctx, e.app, res.Nonce)
		if err != nil || !n.BackupEligible {
			t.Fatalf("nonce = %+v, %v", n, err)
		}
		// And the flags keep following the authenticator.
		res = e.authenticate(a, "", softauthn.WithBackupFlags(true, false))
		if !res.Device.BackupEligible || res.Device.BackedUp {
			t.Fatalf("device = %+v", res.Device)
		}
	})
}

func TestBackupEligibilityDowngradeRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{BackupEligible: true, BackedUp: true})
		reg := e.register(a, "rhea")
		if !reg.Device.BackupEligible || reg.Device.Type != storage.DeviceTypePasskey {
			t.Fatalf("registered device = %+v", reg.Device)
		}
		// A synced credential claiming to be device-bound (BE=0) would be
		// taken for hardware-bound; it is refused and nothing changes.
		for _, externalID := range []string{"rhea", ""} {
			f := e.prepareAuthenticate(a, externalID, softauthn.WithBackupFlags(false, false))
			before := e.snapshot([]string{f.txID}, []string{f.hs.ID})
			_, err := e.svc.FinishFlexAuthentication(e.ctx, e.app, f.txID, f.hs.ID, f.response)
			wantCode(t, err, ceremony.CodeVerificationFailed)
			e.assertUnchanged(before, []string{f.txID}, []string{f.hs.ID})
		}
		if d := e.authenticate(a, "rhea").Device; !d.BackupEligible || d.Type != storage.DeviceTypePasskey {
			t.Fatalf("device after the refused downgrade = %+v", d)
		}
	})
}

func TestUserVerificationLatch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t), func(a *storage.App) { a.UserVerification = storage.RequirementPreferred })
		a := softauthn.New(softauthn.Options{})
		e.register(a, "rose")
		res := e.authenticate(a, "rose", softauthn.WithoutUV())
		if res.UserVerified || !res.Device.UserVerified {
			t.Fatalf("no-UV login: result UV %v, device UV %v; want false, true (latched)", res.UserVerified, res.Device.UserVerified)
		}
		n, err := e.svc.VerifyNonce(e.ctx, e.app, res.Nonce)
		if err != nil || n.UserVerified {
			t.Fatalf("nonce = %+v, %v; the nonce carries this ceremony's UV", n, err)
		}
	})
}
