package importsrc_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/cmd/passbridge/internal/importsrc"
	"github.com/passbridge/passbridge/cmd/passbridge/internal/importsrc/importsrctest"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// spki is a passkey's public key as a SubjectPublicKeyInfo, as
// PublicKeyCredential.getPublicKey() gives it.
func spki(t *testing.T, p importsrctest.Passkey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(p.Auth.Credentials()[0].PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestCSV reads a credential export in CSV with a column mapping and
// public keys in every form it takes (COSE, SubjectPublicKeyInfo in DER
// and in PEM, of EC, RSA and Ed25519 keys), imports it and signs in.
func TestCSV(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		handle := func() []byte { return storage.RandomBytes(16) }
		h1, h2, h3, h4, h5 := handle(), handle(), handle(), handle(), handle()
		p1 := importsrctest.NewPasskey(t, "localhost", h1, "u1", softauthn.Options{BackupEligible: true, BackedUp: true})
		p2 := importsrctest.NewPasskey(t, "localhost", h2, "u2", softauthn.Options{Algorithm: softauthn.AlgRS256, Attachment: softauthn.AttachmentCrossPlatform, SignCount: 9})
		p3a := importsrctest.NewPasskey(t, "localhost", h3, "u3", softauthn.Options{Algorithm: softauthn.AlgEdDSA})
		p3b := importsrctest.NewPasskey(t, "localhost", h3, "u3", softauthn.Options{BackupEligible: true})
		p4 := importsrctest.NewPasskey(t, "localhost", h4, "u4", softauthn.Options{})
		p5 := importsrctest.NewPasskey(t, "localhost", h5, "u5", softauthn.Options{})
		std := base64.StdEncoding.EncodeToString
		pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki(t, p2)}))
		rows := [][]string{
			{"user_id", "handle", "credential", "pk", "counter", "be", "bs", "transports", "created", "name"},
			{"u1", hex.EncodeToString(h1), std(p1.CredentialID), std(spki(t, p1)), "0", "true", "true", "internal,hybrid", "2025-01-02T03:04:05Z", "Phone"},
			{"u3", hex.EncodeToString(h3), b64(p3a.CredentialID), std(spki(t, p3a)), "", "no", "no", `["internal"]`, "2025-01-02 03:04:05", "Laptop"},
			{"u3", hex.EncodeToString(h3), b64(p3b.CredentialID), b64(p3b.PublicKey), "", "yes", "no", "", "", ""},
			{"u4", hex.EncodeToString(h4), b64(p4.CredentialID), b64(p4.PublicKey), "", "maybe", "", "", "", ""},
			{"u5", hex.EncodeToString(h5), b64(p5.CredentialID), b64([]byte("not a key")), "", "", "", "", "", ""},
			// Last: its PEM cell spans lines, and rows are numbered by
			// the file's lines.
			{"u2", hex.EncodeToString(h2), b64(p2.CredentialID), pemKey, "9", "0", "0", "usb", "1735787045", ""},
		}
		var b strings.Builder
		w := csv.NewWriter(&b)
		_ = w.WriteAll(rows)
		m, err := importsrc.ParseCSVMapping([]string{"external_id=user_id,user_handle=handle:hex", "cred_id=credential",
			"public_key=pk", "sign_count=counter", "backup_eligible=be,backed_up=bs", "created_at=created", "friendly_name=name"})
		if err != nil {
			t.Fatal(err)
		}
		src, err := importsrc.ReadCSV(strings.NewReader(b.String()), m)
		if err != nil {
			t.Fatal(err)
		}
		if len(src.Users) != 4 || len(src.Users[1].Devices) != 2 || src.Origins[1] != "CSV lines 3, 4" {
			t.Fatalf("users %d, origins %v", len(src.Users), src.Origins)
		}
		if len(src.Rejected) != 1 || src.Rejected[0].ExternalID != "u4" ||
			src.Rejected[0].Reason != `line 5: backup_eligible "maybe" is not true or false` || src.Rejected[0].Origin != "CSV line 5" {
			t.Fatalf("rejected %+v", src.Rejected)
		}
		if d := src.Users[3].Devices[0]; d.SignCount != 9 || d.CreatedAt != "2025-01-02T03:04:05Z" || d.Transports[0] != "usb" {
			t.Fatalf("u2's device %+v", d)
		}
		src.RPID = "localhost"
		tg, sum := importSource(t, open, src)
		if sum.Users.Created != 3 || sum.Users.Refused != 1 || sum.Devices.Created != 4 {
			t.Fatalf("summary %+v", sum)
		}
		if r := sum.Refusals[0]; r.ExternalID != "u5" || !strings.Contains(r.Reason, "devices[0].public_key is not a COSE public key") ||
			src.Origin(r.Line) != "CSV line 6" {
			t.Fatalf("refusal %+v (origin %q)", r, src.Origin(r.Line))
		}
		for _, c := range []struct {
			ext string
			p   importsrctest.Passkey
		}{{"u1", p1}, {"u2", p2}, {"u3", p3a}, {"u3", p3b}} {
			for _, bound := range []string{c.ext, ""} {
				if got := tg.SignIn(t, c.p.Auth, bound); got != c.ext {
					t.Fatalf("signed in as %q, want %q", got, c.ext)
				}
			}
		}
	})
}

// TestCSVRefusals: a mapping or a file the reader cannot use is refused
// before anything is imported, every problem named.
func TestCSVRefusals(t *testing.T) {
	_, err := importsrc.ParseCSVMapping([]string{"shoe=size", "cred_id", "public_key=pk:rot13", "external_id=a,external_id=b"})
	for _, want := range []string{`no field "shoe"`, `"cred_id": want FIELD=COLUMN[:ENCODING]`,
		`encoding "rot13" is not base64, hex or text`, "field external_id is mapped twice"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("mapping error %v lacks %q", err, want)
		}
	}
	m, err := importsrc.ParseCSVMapping([]string{"cred_id=credential"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, file, want string }{
		{"MissingColumns", "external_id,public_key\nu,k\n", `no column for cred_id (column "credential")`},
		{"MissingRequired", "credential,x\nc,1\n", `external_id (column "external_id"), public_key (column "public_key")`},
		{"ShortRow", "external_id,credential,public_key\nu,c\n", "line 2 has 2 cells, the header row 3"},
		{"Empty", "", "read the header row"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := importsrc.ReadCSV(strings.NewReader(tc.file), m); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
