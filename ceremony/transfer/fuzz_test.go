package transfer

import (
	"bufio"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol/webauthncose"

	"github.com/passbridge/passbridge/storage"
)

// FuzzParseUser feeds user lines, as an admin's upload brings them, to the
// checks of a line: they never panic, and a line they pass becomes rows
// that hold what the store and the ceremonies rely on.
func FuzzParseUser(f *testing.F) {
	f.Add(`{"external_id":"user-42","display_name":"alice@example.com","status":"active","user_handle":"AAEC",` +
		`"created_at":"2025-03-01T10:00:00Z","devices":[{"cred_id":"AQID","public_key":"pQECAyYgASFYIMbtQ61W_tQrL8ZlaZhbv5uZURTHiYtMiAIozyr7H9XnIlggR4-Yx7OKxOknyJoDVf-sLwPCNyqkhLB16eD25fyNTSU",` +
		`"sign_count":12,"aaguid":"fbfc3007-154e-4ecc-8c0b-6e020557d7bd","transports":["internal","hybrid"],"backup_eligible":true,` +
		`"backed_up":true,"user_verified":true,"attestation_type":"none","friendly_name":"iCloud Keychain","created_at":"2025-03-01T10:00:00Z",` +
		`"last_login_at":null,"usage_count":40}]}`)
	f.Add(`{"external_id":"x","devices":[]}`)
	f.Add(`{"external_id":"x","user_handle":"=","devices":[{"cred_id":"","public_key":"oA"}]}`)
	f.Add(`{"format":"passbridge-export","version":1,"rp_id":"example.com"}`)
	f.Add(`[]`)
	f.Add("{\"external_id\":\"\xff\"}")
	f.Add(`{"external_id":"x","devices":[{"sign_count":-1}]}`)
	im := &importer{app: storage.App{ID: "app"}, now: time.Now().UTC()}
	f.Fuzz(func(t *testing.T, line string) {
		rec, _, p := im.parseUser([]byte(line), 1)
		if len(p) > 0 {
			return
		}
		u := rec.user
		if u.ExternalID == "" || len(u.ExternalID) > maxExternalIDBytes || !utf8.ValidString(u.ExternalID) ||
			len(u.Handle) == 0 || len(u.Handle) > maxUserHandleBytes ||
			(u.Status != storage.UserActive && u.Status != storage.UserInactive) || u.CreatedAt.IsZero() {
			t.Fatalf("accepted user %+v", u)
		}
		for _, d := range rec.devices {
			if len(d.CredentialID) == 0 || len(d.AAGUID) != 16 || d.FriendlyName == "" || d.UsageCount < 0 || d.BackedUp && !d.BackupEligible {
				t.Fatalf("accepted device %+v", d)
			}
			if _, err := webauthncose.ParsePublicKey(d.PublicKey); err != nil {
				t.Fatalf("accepted a key that does not parse: %v", err)
			}
		}
	})
}

// FuzzReadLine: lines come back whole and bounded, however the input is cut.
func FuzzReadLine(f *testing.F) {
	f.Add("a\nbb\n\nccc", 3)
	f.Add(strings.Repeat("x", MaxLineBytes+5)+"\ny", 16)
	f.Fuzz(func(t *testing.T, in string, size int) {
		r := bufio.NewReaderSize(strings.NewReader(in), max(16, size%4096))
		var lines []string
		for {
			line, tooLong, err := readLine(r)
			if len(line) > MaxLineBytes+1 || tooLong && len(line) != 0 {
				t.Fatalf("line of %d bytes, too long %v", len(line), tooLong)
			}
			if tooLong {
				line = []byte("<long>\n")
			}
			lines = append(lines, string(line))
			if err != nil {
				break
			}
		}
		var want []string
		for _, l := range strings.SplitAfter(in, "\n") {
			if len(l) > MaxLineBytes+1 || len(l) > MaxLineBytes && !strings.HasSuffix(l, "\n") {
				l = "<long>\n"
			}
			want = append(want, l)
		}
		if strings.Join(lines, "|") != strings.Join(want, "|") {
			t.Fatalf("lines %q, want %q", lines, want)
		}
	})
}
