package transfer_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/ceremony/transfer"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// source is an app with users of every kind, and their authenticators.
type source struct {
	*env
	auths map[string][]*softauthn.Authenticator // by external ID
}

func newSource(t *testing.T, st storage.Store) *source {
	t.Helper()
	s := &source{env: newEnv(t, st), auths: map[string][]*softauthn.Authenticator{}}
	add := func(ext string, opts softauthn.Options) {
		a := softauthn.New(opts)
		s.register(a, ext)
		s.auths[ext] = append(s.auths[ext], a)
	}
	// A synced passkey: no counter.
	add("alice", softauthn.Options{AAGUID: aaguidICloud, BackupEligible: true, BackedUp: true})
	// A security key with a counter, used twice.
	add("bob", softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform, SignCount: 10})
	for range 2 {
		if _, err := s.signIn(s.auths["bob"][0], "bob"); err != nil {
			t.Fatal(err)
		}
	}
	// Two passkeys, one of them device-bound on a platform, Ed25519.
	add("carol", softauthn.Options{BackupEligible: true})
	add("carol", softauthn.Options{Algorithm: softauthn.AlgEdDSA, Transports: []string{"internal"}})
	// An inactive user.
	add("dave", softauthn.Options{BackupEligible: true})
	u, err := st.GetUserByExternalID(s.ctx, s.app.ID, "dave")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateUser(s.ctx, s.app.ID, u.ID, func(u storage.User) (storage.User, error) {
		u.Status = storage.UserInactive
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	// A user without passkeys.
	if _, err := s.svc.CreateRegisterTransaction(s.ctx, s.app, "erin", "Erin"); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRoundTrip exports an app, imports it into an app of another store,
// and signs every user in there with the passkeys they had.
func TestRoundTrip(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		src := newSource(t, open(t))
		text := src.export()
		dst := newEnv(t, open(t))
		sum := dst.importText(text, transfer.Options{})
		wantCounts(t, sum, transfer.Counts{Created: 5}, transfer.Counts{Created: 5})
		if sum.Lines != 6 || len(sum.Refusals) != 0 || sum.DryRun {
			t.Fatalf("summary %+v", sum)
		}
		sameUsers(t, src.env, dst)

		// Every user signs in with the same authenticators, bound and
		// discoverable; the counter goes on from where it was.
		for _, ext := range []string{"alice", "bob", "carol"} {
			for _, a := range src.auths[ext] {
				for _, bound := range []string{ext, ""} {
					res, err := dst.signIn(a, bound, softauthn.WithCredential(a.Credentials()[0].ID))
					if err != nil {
						t.Fatalf("%s signs in (bound to %q): %v", ext, bound, err)
					}
					if res.User.ExternalID != ext || !bytes.Equal(res.User.Handle, a.Credentials()[0].UserHandle) {
						t.Fatalf("signed in as %q with handle %x, want %q", res.User.ExternalID, res.User.Handle, ext)
					}
				}
			}
		}
		bob, err := dst.store.GetUserByExternalID(dst.ctx, dst.app.ID, "bob")
		if err != nil {
			t.Fatal(err)
		}
		ds, err := dst.store.ListDevices(dst.ctx, dst.app.ID, bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ds[0].SignCount != 14 || ds[0].UsageCount != 4 || ds[0].CloneWarning {
			t.Fatalf("bob's key after two more sign-ins: count %d, usage %d, clone warning %v; want 14, 4, false",
				ds[0].SignCount, ds[0].UsageCount, ds[0].CloneWarning)
		}
		// The inactive user stays inactive.
		if _, err := dst.signIn(src.auths["dave"][0], ""); !errors.Is(err, ceremony.ErrUserInactive) {
			t.Fatalf("inactive dave signs in: %v, want user_inactive", err)
		}
	})
}

// sameUsers checks that dst holds src's users and devices as they were.
func sameUsers(t *testing.T, src, dst *env) {
	t.Helper()
	want, got := src.snapshot(), dst.snapshot()
	if len(got.Users) != len(want.Users) || len(got.Devices) != len(want.Devices) {
		t.Fatalf("%d users, %d devices; want %d, %d", len(got.Users), len(got.Devices), len(want.Users), len(want.Devices))
	}
	for i, w := range want.Users {
		g := got.Users[i]
		if g.ExternalID != w.ExternalID || g.DisplayName != w.DisplayName || g.Status != w.Status ||
			!bytes.Equal(g.Handle, w.Handle) || !g.CreatedAt.Equal(w.CreatedAt) {
			t.Errorf("user %d: got %+v, want %+v", i, g, w)
		}
		if g.LoginCount != w.LoginCount || !g.LastLoginAt.Equal(w.LastLoginAt) {
			t.Errorf("user %q: login count %d, last login %v; want %d, %v", w.ExternalID, g.LoginCount, g.LastLoginAt, w.LoginCount, w.LastLoginAt)
		}
	}
	for i, w := range want.Devices {
		g := got.Devices[i]
		// What a device is, as the export says it; its ID, user ID and
		// update time are the new store's.
		g.ID, g.UserID, g.AppID, g.UpdatedAt = w.ID, w.UserID, w.AppID, w.UpdatedAt
		// Not in the format: the attestation statement and its format.
		g.Attestation, g.AttestationFormat = w.Attestation, w.AttestationFormat
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if !bytes.Equal(gj, wj) {
			t.Errorf("device %d:\ngot  %s\nwant %s", i, gj, wj)
		}
	}
}

// TestExportFormat pins the wire format of DESIGN §9: the header, the
// members and their order, null for a device never used, [] for no
// transports.
func TestExportFormat(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		src := newSource(t, open(t))
		ls := strings.Split(strings.TrimSuffix(src.export(), "\n"), "\n")
		if len(ls) != 6 {
			t.Fatalf("%d lines, want a header and 5 users", len(ls))
		}
		var h map[string]any
		if err := json.Unmarshal([]byte(ls[0]), &h); err != nil {
			t.Fatal(err)
		}
		if h["format"] != "passbridge-export" || h["version"] != 1.0 || h["rp_id"] != testRPID || h["exported_at"] == "" || len(h) != 4 {
			t.Fatalf("header %s", ls[0])
		}
		wantKeys := []string{"external_id", "display_name", "status", "user_handle", "created_at", "devices"}
		wantDeviceKeys := []string{"cred_id", "public_key", "sign_count", "aaguid", "transports", "backup_eligible",
			"backed_up", "user_verified", "attestation_type", "friendly_name", "created_at", "last_login_at", "usage_count"}
		for _, l := range ls[1:] {
			if got := keysOf(t, []byte(l)); strings.Join(got, ",") != strings.Join(wantKeys, ",") {
				t.Fatalf("user keys %v, want %v", got, wantKeys)
			}
		}
		var alice struct {
			UserHandle string            `json:"user_handle"`
			Devices    []json.RawMessage `json:"devices"`
		}
		if err := json.Unmarshal([]byte(ls[1]), &alice); err != nil {
			t.Fatal(err)
		}
		if got := keysOf(t, alice.Devices[0]); strings.Join(got, ",") != strings.Join(wantDeviceKeys, ",") {
			t.Fatalf("device keys %v, want %v", got, wantDeviceKeys)
		}
		for _, want := range []string{`"last_login_at":null`, `"aaguid":"fbfc3007-154e-4ecc-8c0b-6e020557d7bd"`,
			`"friendly_name":"Apple Passwords"`, `"backup_eligible":true`, `"sign_count":0`} {
			if !strings.Contains(string(alice.Devices[0]), want) {
				t.Errorf("alice's device %s lacks %s", alice.Devices[0], want)
			}
		}
		if strings.ContainsAny(alice.UserHandle, "+/=") {
			t.Errorf("user_handle %q is not base64url without padding", alice.UserHandle)
		}
		if !strings.Contains(ls[5], `"external_id":"erin"`) || !strings.Contains(ls[5], `"devices":[]`) {
			t.Errorf("a user without devices: %s", ls[5])
		}
	})
}

// keysOf lists the members of a JSON object in order.
func keysOf(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// TestIdempotent: importing the same export again changes nothing and says
// so; a dry run first writes nothing and tells what the import will do.
func TestIdempotent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		src := newSource(t, open(t))
		text := src.export()
		dst := newEnv(t, open(t))

		before := dst.snapshot()
		dry := dst.importText(text, transfer.Options{DryRun: true})
		sameSnapshot(t, before, dst.snapshot())
		if !dry.DryRun {
			t.Fatal("a dry run's summary says it was not one")
		}
		first := dst.importText(text, transfer.Options{})
		dry.DryRun = false
		dj, _ := json.Marshal(dry)
		fj, _ := json.Marshal(first)
		if !bytes.Equal(dj, fj) {
			t.Fatalf("dry run said %s, the import did %s", dj, fj)
		}

		after := dst.snapshot()
		again := dst.importText(text, transfer.Options{})
		wantCounts(t, again, transfer.Counts{Unchanged: 5}, transfer.Counts{Unchanged: 5})
		sameSnapshot(t, after, dst.snapshot())
		// And once more, a dry run of an import that has nothing to do.
		dry = dst.importText(text, transfer.Options{DryRun: true})
		wantCounts(t, dry, transfer.Counts{Unchanged: 5}, transfer.Counts{Unchanged: 5})

		// Each new user and each device added to an existing user is
		// audited, by the actor the caller names.
		var imported int
		for _, e := range after.Audit {
			if e.Type == transfer.EventUserImported && e.Actor == "cli" && e.UserID != "" && e.Detail["line"] != "" {
				imported++
			}
		}
		if imported != 5 {
			t.Fatalf("%d user.imported events, want 5: %+v", imported, after.Audit)
		}
	})
}

// TestSignCount: an imported sign count of 0 means the authenticator keeps
// no counter, so whatever it reports next is accepted and then kept; a
// counter that was exported goes on from there, and an assertion that does
// not advance it is refused as a possible clone.
func TestSignCount(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		src := newEnv(t, open(t))
		key := softauthn.New(softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform, SignCount: 41})
		src.register(key, "kim") // the authenticator's counter is at 41
		synced := softauthn.New(softauthn.Options{BackupEligible: true})
		src.register(synced, "sam") // always 0
		text := src.export()
		if !strings.Contains(text, `"sign_count":41`) {
			t.Fatalf("export %s", text)
		}

		for _, tc := range []struct {
			name     string
			exported string // the sign count the import reads
			next     uint32 // the counter the authenticator reports
			ok       bool
		}{
			{"NoCounterThenCounter", `"sign_count":0`, 42, true},
			{"CounterGoesOn", `"sign_count":41`, 42, true},
			{"CounterStands", `"sign_count":41`, 41, false},
			{"CounterGoesBack", `"sign_count":41`, 7, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				dst := newEnv(t, open(t))
				dst.importText(strings.Replace(text, `"sign_count":41`, tc.exported, 1), transfer.Options{})
				res, err := dst.signIn(key, "kim", softauthn.WithSignCount(tc.next))
				if !tc.ok {
					if ceremony.CodeOf(err) != ceremony.CodeVerificationFailed {
						t.Fatalf("counter %d after %s: %v, want a refusal", tc.next, tc.exported, err)
					}
					return
				}
				if err != nil || res.Device.SignCount != tc.next || res.Device.CloneWarning {
					t.Fatalf("counter %d after %s: %+v, %v", tc.next, tc.exported, res.Device, err)
				}
				// A synced passkey reports 0 every time: never a clone.
				for range 2 {
					if _, err := dst.signIn(synced, ""); err != nil {
						t.Fatalf("synced passkey with counter 0: %v", err)
					}
				}
			})
		}
	})
}

// TestExportPages: an export reads users a page at a time; each user comes
// once, across pages.
func TestExportPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		text := largeExport(t, 2345)
		e.importText(text, transfer.Options{})
		byExt := func(ls []string) map[string]transfer.User {
			m := map[string]transfer.User{}
			for _, l := range ls[1:] {
				var u transfer.User
				if err := json.Unmarshal([]byte(l), &u); err != nil {
					t.Fatal(err)
				}
				if _, dup := m[u.ExternalID]; dup {
					t.Fatalf("%s exported twice", u.ExternalID)
				}
				m[u.ExternalID] = u
			}
			return m
		}
		got := byExt(strings.Split(strings.TrimSpace(e.export()), "\n"))
		want := byExt(strings.Split(strings.TrimSpace(text), "\n"))
		if len(got) != len(want) {
			t.Fatalf("%d users exported, want %d", len(got), len(want))
		}
		for ext, w := range want {
			g := got[ext]
			if g.UserHandle != w.UserHandle || len(g.Devices) != 1 || g.Devices[0].CredID != w.Devices[0].CredID {
				t.Fatalf("%s: %+v, want %+v", ext, g, w)
			}
		}
	})
}
