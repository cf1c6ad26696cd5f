package ceremony_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

func TestRegisterNewUser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{AAGUID: aaguidApple, BackupEligible: true, BackedUp: true})

		tx, err := e.svc.CreateRegisterTransaction(e.ctx, e.app, "alice@example.com", "Alice")
		if err != nil {
			t.Fatal(err)
		}
		if tx.Kind != storage.KindRegister || tx.State != storage.TransactionPending || tx.DisplayName != "Alice" {
			t.Fatalf("transaction = %+v", tx)
		}
		if got, want := tx.ExpiresAt.Sub(tx.CreatedAt), e.app.TransactionTTL; got != want {
			t.Fatalf("transaction lifetime = %s, want %s", got, want)
		}
		u := e.user("alice@example.com")
		if len(u.Handle) != 32 || u.Status != storage.UserActive || u.DisplayName != "Alice" || u.ID != tx.UserID {
			t.Fatalf("user = %+v", u)
		}

		hs, err := e.svc.BeginFlexRegistration(e.ctx, e.app, tx.ID, "platform")
		if err != nil {
			t.Fatal(err)
		}
		opts := options(t, hs)
		if _, wrapped := opts["publicKey"]; wrapped {
			t.Fatal("options are wrapped in publicKey")
		}
		user := opts["user"].(map[string]any)
		if user["name"] != "Alice" || user["displayName"] != "Alice" || user["id"] != b64(u.Handle) {
			t.Fatalf("options user = %v", user)
		}
		sel := opts["authenticatorSelection"].(map[string]any)
		if sel["residentKey"] != "required" || sel["userVerification"] != "required" || sel["authenticatorAttachment"] != "platform" {
			t.Fatalf("authenticatorSelection = %v", sel)
		}
		var algs []float64
		for _, p := range opts["pubKeyCredParams"].([]any) {
			algs = append(algs, p.(map[string]any)["alg"].(float64))
		}
		if len(algs) != 3 || algs[0] != -7 || algs[1] != -8 || algs[2] != -257 {
			t.Fatalf("algorithms = %v, want ES256, EdDSA, RS256", algs)
		}
		if ext := opts["extensions"].(map[string]any); ext["credProps"] != true {
			t.Fatalf("extensions = %v, want credProps", ext)
		}
		if opts["rp"].(map[string]any)["id"] != testRPID {
			t.Fatalf("rp = %v", opts["rp"])
		}

		resp, cred, err := a.Register(hs.Options, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.svc.FinishFlexRegistration(e.ctx, e.app, tx.ID, hs.ID, resp)
		if err != nil {
			t.Fatal(err)
		}
		d := res.Device
		switch {
		case !bytes.Equal(d.CredentialID, cred.ID), d.UserID != u.ID, d.AppID != e.app.ID:
			t.Fatalf("device identity = %+v", d)
		case d.Type != storage.DeviceTypePasskey, d.FriendlyName != "Apple Passwords":
			t.Fatalf("device type/name = %q/%q", d.Type, d.FriendlyName)
		case !d.BackupEligible, !d.BackedUp, !d.UserVerified:
			t.Fatalf("device flags = %+v", d)
		case d.UsageCount != 0, !d.LastLoginAt.IsZero():
			t.Fatalf("registration counted as a use: %+v", d)
		case !bytes.Equal(d.AAGUID, aaguidApple[:]), d.Attachment != "platform", d.AttestationFormat != "none":
			t.Fatalf("device authenticator = %+v", d)
		case len(d.Transports) != 2, len(d.PublicKey) == 0, len(d.Attestation) == 0:
			t.Fatalf("device record = %+v", d)
		}
		if !res.UserVerified || !res.BackupEligible || res.Nonce == "" {
			t.Fatalf("result = %+v", res)
		}
		stored, err := e.store.GetDevice(e.ctx, e.app.ID, d.ID)
		if err != nil || !reflect.DeepEqual(stored, d) {
			t.Fatalf("stored device differs from the result:\nstored %+v\nresult %+v (%v)", stored, d, err)
		}
		if tx, _ := e.store.GetTransaction(e.ctx, e.app.ID, tx.ID); tx.State != storage.TransactionCompleted {
			t.Fatalf("transaction state = %s", tx.State)
		}

		n, err := e.svc.VerifyNonce(e.ctx, e.app, res.Nonce)
		if err != nil {
			t.Fatal(err)
		}
		if n.ExternalID != "alice@example.com" || n.Kind != storage.KindRegister || n.DeviceID != d.ID || !n.UserVerified || !n.BackupEligible {
			t.Fatalf("nonce = %+v", n)
		}
		events, err := e.store.ListAuditEvents(e.ctx, storage.AuditQuery{AppID: e.app.ID})
		if err != nil {
			t.Fatal(err)
		}
		types := map[string]bool{}
		for _, ev := range events {
			types[ev.Type] = true
		}
		if !types[ceremony.EventUserCreated] || !types[ceremony.EventDeviceRegistered] || len(events) != 2 {
			t.Fatalf("audit events = %+v", events)
		}
	})
}

func TestRegisterAddsPasskeyToExistingUser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		first := softauthn.New(softauthn.Options{BackupEligible: true})
		second := softauthn.New(softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform})
		r1 := e.register(first, "bob")

		tx, hs := e.beginRegister("bob")
		if tx.UserID != r1.User.ID {
			t.Fatalf("second transaction is for user %s, want %s", tx.UserID, r1.User.ID)
		}
		excl := options(t, hs)["excludeCredentials"].([]any)
		if len(excl) != 1 || excl[0].(map[string]any)["id"] != b64(r1.Device.CredentialID) {
			t.Fatalf("excludeCredentials = %v", excl)
		}
		// The first authenticator refuses: it holds an excluded credential.
		if _, _, err := first.Register(hs.Options, testOrigin); err == nil {
			t.Fatal("authenticator registered a second credential despite excludeCredentials")
		}
		resp, _, err := second.Register(hs.Options, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := e.svc.FinishFlexRegistration(e.ctx, e.app, tx.ID, hs.ID, resp)
		if err != nil {
			t.Fatal(err)
		}
		if r2.User.ID != r1.User.ID || r2.Device.Type != storage.DeviceTypeSecurityKey || r2.Device.FriendlyName != "Security key" {
			t.Fatalf("second device = %+v", r2.Device)
		}
		devices, _ := e.store.ListDevices(e.ctx, e.app.ID, r1.User.ID)
		users, total, _ := e.store.ListUsers(e.ctx, e.app.ID, storage.UserQuery{})
		if len(devices) != 2 || total != 1 || len(users) != 1 {
			t.Fatalf("devices %d, users %d; want 2 and 1", len(devices), total)
		}
	})
}

func TestDeviceClassification(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		tests := []struct {
			name     string
			opts     softauthn.Options
			wantType string
			wantName string
		}{
			{"synced, known", softauthn.Options{BackupEligible: true, AAGUID: aaguidGoogle}, storage.DeviceTypePasskey, "Google Password Manager"},
			{"synced, unknown", softauthn.Options{BackupEligible: true}, storage.DeviceTypePasskey, "Passkey"},
			{"platform, bound", softauthn.Options{}, storage.DeviceTypePlatform, "Passkey"},
			{"security key", softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform, Attestation: softauthn.AttestationPacked}, storage.DeviceTypeSecurityKey, "Security key"},
			{"security key, eddsa", softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform, Algorithm: softauthn.AlgEdDSA}, storage.DeviceTypeSecurityKey, "Security key"},
			{"windows hello, rs256", softauthn.Options{Algorithm: softauthn.AlgRS256}, storage.DeviceTypePlatform, "Passkey"},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := softauthn.New(tt.opts)
				id := "user-" + string(rune('a'+i))
				d := e.register(a, id).Device
				if d.Type != tt.wantType || d.FriendlyName != tt.wantName {
					t.Fatalf("type/name = %q/%q, want %q/%q", d.Type, d.FriendlyName, tt.wantType, tt.wantName)
				}
				info := e.svc.DeviceAuthenticator(d)
				if info.Name != tt.wantName {
					t.Fatalf("DeviceAuthenticator = %q", info.Name)
				}
				// And the device authenticates.
				if res := e.authenticate(a, id); res.Device.ID != d.ID {
					t.Fatalf("authenticated with %s", res.Device.ID)
				}
			})
		}
	})
}

func TestPassageBodyShape(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{Transports: []string{"internal"}})
		r := e.prepareRegister(a, "erin", softauthn.WithPassageShape())
		if bytes.Contains(r.response, []byte("clientExtensionResults")) {
			t.Fatal("passage-shaped body has clientExtensionResults")
		}
		res, err := e.svc.FinishFlexRegistration(e.ctx, e.app, r.tx.ID, r.hs.ID, r.response)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Device.Transports) != 1 || res.Device.Transports[0] != "internal" {
			t.Fatalf("transports = %v, want those sent at the top level", res.Device.Transports)
		}
		for _, id := range []string{"erin", ""} {
			f := e.prepareAuthenticate(a, id, softauthn.WithPassageShape())
			if _, err := e.svc.FinishFlexAuthentication(e.ctx, e.app, f.txID, f.hs.ID, f.response); err != nil {
				t.Fatalf("passage-shaped authentication (%q): %v", id, err)
			}
		}
	})
}

func TestAttachment(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		tx, err := e.svc.CreateRegisterTransaction(e.ctx, e.app, "frank", "")
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			in, want string
			code     string
		}{
			{"platform", "platform", ""},
			{"cross-platform", "cross-platform", ""},
			{"any", "", ""},
			{"", "", ""},
			{"usb", "", ceremony.CodeInvalidRequest},
			{"Platform", "", ceremony.CodeInvalidRequest},
		}
		for _, tt := range tests {
			hs, err := e.svc.BeginFlexRegistration(e.ctx, e.app, tx.ID, tt.in)
			if tt.code != "" {
				wantCode(t, err, tt.code)
				continue
			}
			if err != nil {
				t.Fatalf("%q: %v", tt.in, err)
			}
			sel, _ := options(t, hs)["authenticatorSelection"].(map[string]any)
			got, _ := sel["authenticatorAttachment"].(string)
			if got != tt.want {
				t.Fatalf("%q: attachment = %q, want %q", tt.in, got, tt.want)
			}
		}
		// A platform-only ceremony is one a security key cannot answer.
		hs, _ := e.svc.BeginFlexRegistration(e.ctx, e.app, tx.ID, "platform")
		key := softauthn.New(softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform})
		if _, _, err := key.Register(hs.Options, testOrigin); err == nil {
			t.Fatal("security key answered a platform-only ceremony")
		}
	})
}

func TestAppSettingsReachOptions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t), func(a *storage.App) {
			a.UserVerification = storage.RequirementPreferred
			a.ResidentKey = storage.RequirementPreferred
			a.Attestation = "direct"
			a.RPName = "Example Login"
		})
		_, hs := e.beginRegister("gina")
		opts := options(t, hs)
		sel := opts["authenticatorSelection"].(map[string]any)
		if sel["residentKey"] != "preferred" || sel["userVerification"] != "preferred" || sel["requireResidentKey"] != false {
			t.Fatalf("authenticatorSelection = %v", sel)
		}
		if opts["attestation"] != "direct" || opts["rp"].(map[string]any)["name"] != "Example Login" {
			t.Fatalf("options = %v", opts)
		}
		if got := opts["timeout"].(float64); got != float64(e.app.CeremonyTimeout.Milliseconds()) {
			t.Fatalf("timeout = %v, want %d", got, e.app.CeremonyTimeout.Milliseconds())
		}
		// A packed self-attestation passes under "direct".
		a := softauthn.New(softauthn.Options{Attestation: softauthn.AttestationPacked, NoUserVerification: true})
		res := e.register(a, "hank")
		if res.Device.AttestationFormat != "packed" || res.UserVerified {
			t.Fatalf("device = %+v, result UV %v", res.Device, res.UserVerified)
		}
		// UV preferred: an authenticator without UV still signs in.
		if res := e.authenticate(a, "hank"); res.UserVerified {
			t.Fatal("ceremony without UV reported UV")
		}
	})
}
