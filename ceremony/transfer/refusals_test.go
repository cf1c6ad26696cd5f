package transfer_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/transfer"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// coseKey returns a fresh P-256 public key as a COSE_Key (RFC 9053 §7.1.1).
func coseKey(t testing.TB, alg int) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	pt := pub.Bytes() // uncompressed SEC 1: 0x04 || x || y
	em, _ := cbor.CTAP2EncOptions().EncMode()
	b, err := em.Marshal(map[int]any{1: 2, 3: alg, -1: 1, -2: pt[1:33], -3: pt[33:]})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// device is a valid device line of a fresh credential.
func device(t testing.TB) transfer.Device {
	t.Helper()
	return transfer.Device{
		CredID: transfer.Binary(storage.RandomBytes(32)), PublicKey: transfer.Binary(coseKey(t, -7)),
		SignCount: 3, AAGUID: "fbfc3007-154e-4ecc-8c0b-6e020557d7bd", Transports: []string{"internal", "hybrid"},
		BackupEligible: true, BackedUp: true, UserVerified: true, AttestationType: "none",
		CreatedAt: "2026-01-02T03:04:05Z", UsageCount: 2,
	}
}

// user is a valid user line with one device.
func user(t testing.TB, ext string) transfer.User {
	t.Helper()
	return transfer.User{
		ExternalID: ext, DisplayName: ext + "@example.com", Status: "active",
		UserHandle: transfer.Binary(storage.RandomBytes(32)), CreatedAt: "2026-01-01T00:00:00Z",
		Devices: []transfer.Device{device(t)},
	}
}

// TestRefusals imports a file of good and bad lines: each bad line is
// refused, with its line number and every bad value named, and changes
// nothing; the good lines around them are imported.
func TestRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		taken := user(t, "taken")
		if s := e.importText(lines(userLine(t, taken)), transfer.Options{}); s.Users.Created != 1 {
			t.Fatalf("seed: %+v", s)
		}
		edit := func(f func(u *transfer.User)) string {
			u := user(t, "u-"+storage.NewID())
			f(&u)
			return userLine(t, u)
		}
		dev := func(f func(d *transfer.Device)) string {
			return edit(func(u *transfer.User) { f(&u.Devices[0]) })
		}
		good1, good2 := user(t, "good-1"), user(t, "good-2")
		sameCred := user(t, "same-cred")
		sameCred.Devices[0].CredID = good1.Devices[0].CredID
		cases := []struct {
			line string
			want string // in the reason
		}{
			{`{"external_id":`, "not JSON"},
			{`[1, 2]`, "not an object"},
			{`{"external_id":"x","shoe_size":44}`, `unknown field "shoe_size"`},
			{"{\"external_id\":\"caf\xe9\"}", "not valid UTF-8"},
			{`{"external_id":"x"} {"external_id":"y"}`, "more than one JSON value"},
			{edit(func(u *transfer.User) { u.ExternalID = "" }), "external_id is required"},
			{edit(func(u *transfer.User) { u.ExternalID = strings.Repeat("x", 256) }), "external_id is longer than 255 bytes"},
			{edit(func(u *transfer.User) { u.ExternalID = "a\tb" }), "external_id contains control characters"},
			{edit(func(u *transfer.User) { u.DisplayName = strings.Repeat("é", 256) }), "display_name is longer than 255 characters"},
			{edit(func(u *transfer.User) { u.Status = "banned" }), `status "banned"`},
			{edit(func(u *transfer.User) { u.UserHandle = "a+b/" }), "user_handle is not base64url"},
			{edit(func(u *transfer.User) { u.UserHandle = transfer.Binary(make([]byte, 65)) }), "user_handle is longer than 64 bytes"},
			{edit(func(u *transfer.User) { u.UserHandle = "" }), "user_handle is required with devices"},
			{edit(func(u *transfer.User) { u.CreatedAt = "yesterday" }), `created_at "yesterday" is not an RFC 3339 time`},
			{edit(func(u *transfer.User) {
				for len(u.Devices) <= 256 {
					u.Devices = append(u.Devices, u.Devices[0])
				}
			}), "257 devices, more than 256"},
			{dev(func(d *transfer.Device) { d.CredID = "" }), "devices[0].cred_id is required"},
			{dev(func(d *transfer.Device) { d.CredID = "!!" }), "devices[0].cred_id is not base64url"},
			{dev(func(d *transfer.Device) { d.CredID = transfer.Binary(make([]byte, 1024)) }), "devices[0].cred_id is longer than 1023 bytes"},
			{dev(func(d *transfer.Device) { d.PublicKey = "" }), "devices[0].public_key is required"},
			{dev(func(d *transfer.Device) { d.PublicKey = transfer.Binary([]byte("not a key")) }), "devices[0].public_key is not a COSE public key"},
			{dev(func(d *transfer.Device) { d.PublicKey = transfer.Binary(coseKey(t, -65535)) }), "devices[0].public_key is not a COSE public key"},
			{dev(func(d *transfer.Device) { d.AAGUID = "apple" }), `devices[0].aaguid "apple" is not a UUID`},
			{dev(func(d *transfer.Device) { d.BackupEligible = false }), "devices[0].backed_up is true while devices[0].backup_eligible is false"},
			{dev(func(d *transfer.Device) { d.FriendlyName = "Key\u202e" }), "devices[0].friendly_name contains control characters"},
			{dev(func(d *transfer.Device) { d.FriendlyName = strings.Repeat("k", 101) }), "devices[0].friendly_name is longer than 100 characters"},
			{dev(func(d *transfer.Device) { d.AttestationType = strings.Repeat("a", 65) }), "devices[0].attestation_type is longer than 64 characters"},
			{dev(func(d *transfer.Device) { d.CreatedAt = "2026-13-01" }), "devices[0].created_at"},
			{dev(func(d *transfer.Device) { s := "never"; d.LastLoginAt = &s }), `devices[0].last_login_at "never"`},
			{dev(func(d *transfer.Device) { d.UsageCount = -1 }), "devices[0].usage_count is negative"},
			{strings.Replace(userLine(t, user(t, "neg")), `"sign_count":3`, `"sign_count":-3`, 1), "devices.sign_count: a JSON number -3 where a whole number from 0 to 4294967295 was expected"},
			{strings.Replace(userLine(t, user(t, "str")), `"backed_up":true`, `"backed_up":"yes"`, 1), "devices.backed_up: a JSON string where true or false was expected"},
			{edit(func(u *transfer.User) { u.Devices = append(u.Devices, u.Devices[0]) }), "devices[1].cred_id is the cred_id of devices[0] too"},
			// Every bad value of a line is named.
			{edit(func(u *transfer.User) { u.Status = "x"; u.Devices[0].AAGUID = "y"; u.Devices[0].UsageCount = -2 }),
				`status "x" is neither active nor inactive; devices[0].aaguid "y" is not a UUID; devices[0].usage_count is negative`},
			{header(testRPID), "a header belongs on the first line only"},
			{`{"external_id":"` + strings.Repeat("x", transfer.MaxLineBytes) + `"}`, "the line is longer than 1048576 bytes"},
			// Conflicts with what the store holds.
			{edit(func(u *transfer.User) { u.Devices[0].CredID = taken.Devices[0].CredID }), `devices[0].cred_id is already a passkey of the user with external_id "taken"`},
			{edit(func(u *transfer.User) { u.ExternalID = "taken" }), `external_id "taken" is already a user with another user_handle`},
			{edit(func(u *transfer.User) { u.UserHandle = taken.UserHandle }), `user_handle is already the handle of the user with external_id "taken"`},
			// …and with what an earlier line of the file created.
			{userLine(t, sameCred), `devices[0].cred_id is already a passkey of the user with external_id "good-1"`},
		}
		text := []string{header(testRPID), userLine(t, good1), ""}
		wantLine := map[int]string{}
		for _, c := range cases {
			text = append(text, c.line)
			wantLine[len(text)] = c.want
		}
		text = append(text, userLine(t, good2))
		before := e.snapshot()
		for _, dry := range []bool{true, false} {
			sum := e.importText(lines(text...), transfer.Options{DryRun: dry, BatchSize: 7})
			wantCounts(t, sum, transfer.Counts{Created: 2, Refused: len(cases)}, transfer.Counts{Created: 2, Refused: sum.Devices.Refused})
			if sum.Lines != len(text)-1 {
				t.Errorf("%d lines counted, want %d (the blank one left out)", sum.Lines, len(text)-1)
			}
			if len(sum.Refusals) != len(cases) {
				t.Fatalf("%d refusals, want %d: %+v", len(sum.Refusals), len(cases), sum.Refusals)
			}
			for _, r := range sum.Refusals {
				want, ok := wantLine[r.Line]
				switch {
				case !ok:
					t.Errorf("line %d refused (%s), but it is not a bad line", r.Line, r.Reason)
				case !strings.Contains(r.Reason, want):
					t.Errorf("line %d refused for %q, want %q", r.Line, r.Reason, want)
				}
			}
			if dry {
				sameSnapshot(t, before, e.snapshot())
			}
		}
		// What the refused lines held is nowhere.
		after := e.snapshot()
		var exts []string
		for _, u := range after.Users {
			exts = append(exts, u.ExternalID)
		}
		slices.Sort(exts)
		if strings.Join(exts, ",") != "good-1,good-2,taken" {
			t.Fatalf("users after the import: %v, want taken, good-1, good-2", exts)
		}
		if len(after.Devices) != 3 || len(after.Audit) != 3 {
			t.Fatalf("%d devices and %d audit events after the import, want 3 and 3", len(after.Devices), len(after.Audit))
		}
	})
}

// TestRefusedInput: an input whose header is not this format's, or names
// another RP ID, is refused whole before anything is written.
func TestRefusedInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		body := userLine(t, user(t, "alice"))
		cases := []struct {
			name, header, code, want string
		}{
			{"OtherRPID", header("other.example"), transfer.CodeRPIDMismatch,
				`the export's passkeys were made for RP ID "other.example" and this app's RP ID is "login.example.com"`},
			{"RegistrableSuffix", header("example.com"), transfer.CodeRPIDMismatch, `RP ID "example.com"`},
			{"OtherFormat", `{"format":"csv","version":1,"rp_id":"login.example.com"}`, transfer.CodeInvalidImport, `format "csv" version 1`},
			{"OtherVersion", `{"format":"passbridge-export","version":2,"rp_id":"login.example.com"}`, transfer.CodeInvalidImport, "version 2"},
			{"UnknownMember", `{"format":"passbridge-export","version":1,"rp_id":"login.example.com","x":1}`, transfer.CodeInvalidImport, `unknown field "x"`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := e.snapshot()
				_, err := transfer.Import(e.ctx, e.store, e.app, strings.NewReader(lines(c.header, body)), transfer.Options{})
				if ceremony.CodeOf(err) != c.code || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("got %v, want code %s with %q", err, c.code, c.want)
				}
				if c.code == transfer.CodeRPIDMismatch && !errors.Is(err, transfer.ErrRPIDMismatch) {
					t.Fatalf("%v is not ErrRPIDMismatch", err)
				}
				sameSnapshot(t, before, e.snapshot())
			})
		}
		// Without a header, nothing says which RP ID the passkeys are of:
		// the lines are imported.
		if s := e.importText(lines(body), transfer.Options{}); s.Users.Created != 1 {
			t.Fatalf("headerless import: %+v", s)
		}
	})
}

// TestAddDevices: a line of a user that exists with the same handle adds the
// devices it does not have yet and leaves the others; the user is unchanged.
func TestAddDevices(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		u := user(t, "alice")
		e.importText(lines(userLine(t, u)), transfer.Options{})
		u.Devices = append(u.Devices, device(t), device(t))
		u.DisplayName = "Alice, renamed in the source"
		sum := e.importText(lines(userLine(t, u)), transfer.Options{Actor: "admin_key:k1"})
		wantCounts(t, sum, transfer.Counts{Unchanged: 1}, transfer.Counts{Created: 2, Unchanged: 1})
		s := e.snapshot()
		if len(s.Devices) != 3 || s.Users[0].DisplayName != "alice@example.com" {
			t.Fatalf("after: %+v", s)
		}
		var added int
		for _, ev := range s.Audit {
			if ev.Type == transfer.EventDeviceImported && ev.Actor == "admin_key:k1" && ev.DeviceID != "" && ev.UserID == s.Users[0].ID {
				added++
			}
		}
		if added != 2 {
			t.Fatalf("%d device.imported events, want 2", added)
		}
	})
}

// TestUserWithoutDevices: a user line without devices may leave out its
// handle; it gets a random one, and a second import finds it by its
// external ID.
func TestUserWithoutDevices(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		line := `{"external_id":"zoe","display_name":"","status":"","user_handle":"","created_at":"","devices":[]}`
		wantCounts(t, e.importText(lines(line), transfer.Options{}), transfer.Counts{Created: 1}, transfer.Counts{})
		s := e.snapshot()
		if u := s.Users[0]; len(u.Handle) != 32 || u.DisplayName != "zoe" || u.Status != storage.UserActive || !u.CreatedAt.Equal(e.now) {
			t.Fatalf("user %+v", u)
		}
		wantCounts(t, e.importText(lines(line), transfer.Options{}), transfer.Counts{Unchanged: 1}, transfer.Counts{})
	})
}

// TestBatches: the outcome does not depend on how lines are batched, and
// progress is reported as lines are read.
func TestBatches(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		var text []string
		for i := range 25 {
			u := user(t, fmt.Sprintf("user-%02d", i))
			text = append(text, userLine(t, u))
			if i%5 == 0 { // the same user again: unchanged
				text = append(text, userLine(t, u))
			}
		}
		var want string
		for _, size := range []int{1, 2, 7, 100} {
			e := newEnv(t, open(t))
			var progress []int
			sum := e.importText(lines(text...), transfer.Options{BatchSize: size, Progress: func(n int) { progress = append(progress, n) }})
			wantCounts(t, sum, transfer.Counts{Created: 25, Unchanged: 5}, transfer.Counts{Created: 25, Unchanged: 5})
			if got := fmt.Sprint(sum); want == "" {
				want = got
			} else if got != want {
				t.Fatalf("batch size %d: %s, want %s", size, got, want)
			}
			if len(progress) != (30+size-1)/size || progress[len(progress)-1] != 30 {
				t.Fatalf("batch size %d: progress %v", size, progress)
			}
		}
	})
}
