package importsrctest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// User is a user of a fixture database with its passkeys.
type User struct {
	ID          string // the source's user ID
	ExternalID  string // what the import makes its external ID
	DisplayName string // what the import makes its display name
	Disabled    bool
	Created     time.Time
	Passkeys    []Passkey
	Names       []string // the source's names of the passkeys
}

// PocketID creates a Pocket ID database of engine whose passkeys are of
// rpID and returns its URL and users: alice (a synced passkey), bob (a
// security key with a counter and a device-bound Ed25519 platform passkey;
// his display_name is empty, as rows from before Pocket ID had one are
// not), carol (disabled) and dave (no passkey).
func PocketID(t testing.TB, engine, rpID string) (string, []User) {
	t.Helper()
	db := newDB(t, engine, "pocketid_"+engine+".sql")
	created := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	type spec struct {
		username, first, last, display string
		disabled                       bool
		keys                           []softauthn.Options
		names                          []string
	}
	specs := []spec{
		{"alice", "Alice", "Liddell", "Alice Liddell", false,
			[]softauthn.Options{{AAGUID: AAGUIDApple, BackupEligible: true, BackedUp: true}}, []string{"iCloud Keychain"}},
		{"bob", "Bob", "Builder", "", false, []softauthn.Options{
			{AAGUID: AAGUIDYubiKey5, Attachment: softauthn.AttachmentCrossPlatform, SignCount: 5, Transports: []string{"usb", "nfc"}},
			{Algorithm: softauthn.AlgEdDSA, Transports: []string{"internal"}},
		}, []string{"YubiKey 5", "Windows Hello"}},
		{"carol", "Carol", "", "Carol", true,
			[]softauthn.Options{{BackupEligible: true}}, []string{"New Passkey"}},
		{"dave", "Dave", "", "Dave", false, nil, nil},
	}
	var users []User
	for i, s := range specs {
		id := uuid.NewString()
		at := created.Add(time.Duration(i) * time.Hour)
		u := User{ID: id, ExternalID: id, DisplayName: s.display, Disabled: s.disabled, Created: at, Names: s.names}
		if u.DisplayName == "" {
			u.DisplayName = s.first + " " + s.last
		}
		db.exec(t, `INSERT INTO users (id, created_at, username, email, first_name, last_name, display_name, is_admin, disabled)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, pocketIDTime(engine, at), s.username, s.username+"@example.com",
			s.first, s.last, s.display, false, s.disabled)
		for k, opts := range s.keys {
			// Pocket ID's user handle is its user ID as text.
			p := NewPasskey(t, rpID, []byte(id), s.username, opts)
			transport, _ := json.Marshal(p.Transports)
			db.exec(t, `INSERT INTO webauthn_credentials (id, created_at, name, credential_id, public_key,
				attestation_type, transport, user_id, backup_eligible, backup_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				uuid.NewString(), pocketIDTime(engine, at.Add(time.Duration(k)*time.Minute)), s.names[k], p.CredentialID,
				p.PublicKey, "none", transport, id, p.BackupEligible, p.BackedUp)
			u.Passkeys = append(u.Passkeys, p)
		}
		users = append(users, u)
	}
	return db.URL, users
}

// pocketIDTime is a time as Pocket ID writes it: Unix seconds on SQLite
// (backend/internal/model/types/date_time.go), a timestamptz on PostgreSQL.
func pocketIDTime(engine string, t time.Time) any {
	if engine == sqlstoretest.SQLite {
		return t.Unix()
	}
	return t
}
