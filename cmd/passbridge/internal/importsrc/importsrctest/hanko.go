package importsrctest

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// HankoDB is a database of Hanko's passkey server.
type HankoDB struct {
	URL         string
	Tenant      string // the tenant of the RP ID asked for
	OtherTenant string // a tenant of RP ID other.example
	Users       []User // the users of Tenant
}

// Hanko creates a database of Hanko's passkey server (PostgreSQL; the test
// is skipped without it) with two tenants: one of rpID with alice (a synced
// passkey), bob (a security key whose counter is at 7, with its
// transports) and carol (an MFA credential, is_mfa); and one of another RP
// ID with zed.
func Hanko(t testing.TB, rpID string) HankoDB {
	t.Helper()
	var users []User
	db := newDB(t, sqlstoretest.Postgres, "hanko_postgres.sql")
	created := time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)
	newTenant := func(rp string) string {
		id, config, wconfig := uuid.NewString(), uuid.NewString(), uuid.NewString()
		db.exec(t, `INSERT INTO tenants (id, display_name, created_at, updated_at) VALUES (?, ?, ?, ?)`, id, "Tenant of "+rp, created, created)
		db.exec(t, `INSERT INTO configs (id, tenant_id, created_at, updated_at) VALUES (?, ?, ?, ?)`, config, id, created, created)
		db.exec(t, `INSERT INTO webauthn_configs (id, config_id, created_at, updated_at) VALUES (?, ?, ?, ?)`, wconfig, config, created, created)
		db.exec(t, `INSERT INTO relying_parties (id, rp_id, display_name, webauthn_config_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, uuid.NewString(), rp, rp, wconfig, created, created)
		return id
	}
	tenant := newTenant(rpID)
	other := newTenant("other.example")
	type spec struct {
		tenant, userID, name, display string
		opts                          softauthn.Options
		mfa                           bool
	}
	specs := []spec{
		{tenant, "user-alice", "alice", "Alice", softauthn.Options{AAGUID: AAGUIDApple, BackupEligible: true, BackedUp: true}, false},
		{tenant, "user-bob", "bob", "", softauthn.Options{AAGUID: AAGUIDYubiKey5, Attachment: softauthn.AttachmentCrossPlatform,
			SignCount: 7, Transports: []string{"usb", "nfc"}}, false},
		{tenant, "user-carol", "carol", "Carol", softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform}, true},
		{other, "user-zed", "zed", "Zed", softauthn.Options{BackupEligible: true}, false},
	}
	b64 := base64.RawURLEncoding.EncodeToString
	for i, s := range specs {
		id := uuid.NewString()
		at := created.Add(time.Duration(i) * time.Hour)
		db.exec(t, `INSERT INTO webauthn_users (id, user_id, name, icon, display_name, tenant_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, s.userID, s.name, "", s.display, s.tenant, at, at)
		rp := rpID
		if s.tenant == other {
			rp = "other.example"
		}
		// The server's user handle is the user_id as text.
		p := NewPasskey(t, rp, []byte(s.userID), s.name, s.opts)
		credID := b64(p.CredentialID)
		used := at.Add(30 * time.Minute)
		db.exec(t, `INSERT INTO webauthn_credentials (id, user_id, public_key, attestation_type, aaguid, sign_count, name,
			last_used_at, backup_eligible, backup_state, webauthn_user_id, created_at, updated_at, is_mfa)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, credID, s.userID, b64(p.PublicKey), "none",
			uuid.UUID(p.AAGUID).String(), int(p.SignCount), "cred-"+credID, used, p.BackupEligible, p.BackedUp, id, at, at, s.mfa)
		for _, tr := range p.Transports {
			db.exec(t, `INSERT INTO webauthn_credential_transports (id, name, webauthn_credential_id) VALUES (?, ?, ?)`,
				uuid.NewString(), tr, credID)
		}
		if s.tenant != tenant {
			continue
		}
		display := s.display
		if display == "" {
			display = s.name
		}
		users = append(users, User{ID: id, ExternalID: s.userID, DisplayName: display, Created: at,
			Passkeys: []Passkey{p}, Names: []string{"cred-" + credID}})
	}
	return HankoDB{URL: db.URL, Tenant: tenant, OtherTenant: other, Users: users}
}
