package importsrc

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/passbridge/passbridge/ceremony/transfer"
)

// PocketID is the name of Pocket ID's reader.
const PocketID = "pocket-id"

// ReadPocketID reads the users and passkeys of a Pocket ID database
// (github.com/pocket-id/pocket-id, backend/resources/migrations/{sqlite,
// postgres}: tables users and webauthn_credentials).
//
// What Pocket ID stores, and how it maps:
//   - users.id (a UUID) is the subject of its ID tokens: it becomes the
//     external ID, so relying parties moving to passbridge's OIDC keep
//     their sub. Its UTF-8 bytes are the WebAuthn user handle (Pocket ID's
//     WebAuthnID is []byte(user.ID)).
//   - display_name (first_name and last_name before it existed, then the
//     username) is the display name; disabled makes the user inactive.
//   - webauthn_credentials.public_key is go-webauthn's credential public
//     key, a COSE_Key; credential_id the raw credential ID; transport a
//     JSON list; backup_eligible and backup_state the BE and BS flags; name
//     the passkey's name.
//   - Pocket ID keeps no signature counter, AAGUID, user-verified flag or
//     last use: sign count 0 ("no counter"), the AAGUID unknown.
//
// Pocket ID's RP ID is the host of its APP_URL, which it does not store:
// the caller sets Source.RPID to it.
func ReadPocketID(ctx context.Context, databaseURL string) (*Source, error) {
	db, err := openSource(ctx, PocketID, databaseURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	ucols, err := db.columns(ctx, "users")
	if err != nil {
		return nil, errorf(PocketID, "read the schema: %v", err)
	}
	if err := requireColumns(PocketID, "users", ucols, "id", "username", "created_at"); err != nil {
		return nil, err
	}
	ccols, err := db.columns(ctx, "webauthn_credentials")
	if err != nil {
		return nil, errorf(PocketID, "read the schema: %v", err)
	}
	if err := requireColumns(PocketID, "webauthn_credentials", ccols, "id", "user_id", "credential_id",
		"public_key", "attestation_type", "transport", "name", "created_at"); err != nil {
		return nil, err
	}
	devices, err := readPocketIDCredentials(ctx, db, ccols)
	if err != nil {
		return nil, err
	}
	// Columns added by later versions are read where they exist.
	optional := func(col, fallback string) string {
		if ucols[col] {
			return col
		}
		return fallback
	}
	q := fmt.Sprintf(`SELECT id, username, %s, %s, %s, %s, created_at FROM users ORDER BY created_at, id`,
		optional("display_name", "''"), optional("first_name", "''"), optional("last_name", "''"), optional("disabled", "NULL"))
	rows, err := db.query(ctx, q)
	if err != nil {
		return nil, errorf(PocketID, "read users: %v", err)
	}
	defer rows.Close()
	src := &Source{}
	for rows.Next() {
		var id, username, display, first, last, disabled, created any
		if err := rows.Scan(&id, &username, &display, &first, &last, &disabled, &created); err != nil {
			return nil, errorf(PocketID, "read users: %v", err)
		}
		uid := toString(id)
		name := strings.TrimSpace(toString(display))
		if name == "" {
			name = strings.TrimSpace(toString(first) + " " + toString(last))
		}
		if name == "" {
			name = toString(username)
		}
		status := "active"
		if toBool(disabled) {
			status = "inactive"
		}
		src.add(transfer.User{
			ExternalID:  uid,
			DisplayName: name,
			Status:      status,
			UserHandle:  transfer.Binary([]byte(uid)),
			CreatedAt:   transfer.Time(toTime(created)),
			Devices:     devices[uid],
		}, fmt.Sprintf("Pocket ID user %s (%s)", uid, toString(username)))
	}
	if err := rows.Err(); err != nil {
		return nil, errorf(PocketID, "read users: %v", err)
	}
	return src, nil
}

// readPocketIDCredentials reads every passkey, by user ID.
func readPocketIDCredentials(ctx context.Context, db *sourceDB, cols map[string]bool) (map[string][]transfer.Device, error) {
	be, bs := "backup_eligible", "backup_state"
	if !cols[be] { // before Pocket ID recorded the flags
		be, bs = "NULL", "NULL"
	}
	q := fmt.Sprintf(`SELECT user_id, credential_id, public_key, attestation_type, transport, %s, %s, name, created_at
		FROM webauthn_credentials ORDER BY created_at, id`, be, bs)
	rows, err := db.query(ctx, q)
	if err != nil {
		return nil, errorf(PocketID, "read webauthn_credentials: %v", err)
	}
	defer rows.Close()
	out := make(map[string][]transfer.Device)
	for rows.Next() {
		var userID, credID, key, att, transport, eligible, state, name, created any
		if err := rows.Scan(&userID, &credID, &key, &att, &transport, &eligible, &state, &name, &created); err != nil {
			return nil, errorf(PocketID, "read webauthn_credentials: %v", err)
		}
		uid := toString(userID)
		out[uid] = append(out[uid], device(transfer.Binary(toBytes(credID)), transfer.Binary(toBytes(key)), deviceFacts{
			transports: toStrings(transport), backupEligible: toBool(eligible), backedUp: toBool(state),
			attestationType: toString(att), name: toString(name), created: toTime(created),
		}))
	}
	return out, rows.Err()
}

// deviceFacts are what a source knows of a passkey besides its ID and key.
type deviceFacts struct {
	signCount        uint32
	aaguid           string
	transports       []string
	backupEligible   bool
	backedUp         bool
	userVerified     bool
	attestationType  string
	name             string
	created, lastUse time.Time
	usage            int64
}

// device builds a device line of a credential ID and public key given in
// base64url. A key that is not a COSE_Key is converted when it is a
// SubjectPublicKeyInfo; values that do not decode or convert go as they
// are, and the import refuses their line, saying why.
func device(credID, key string, f deviceFacts) transfer.Device {
	if raw, err := base64.RawURLEncoding.DecodeString(key); err == nil {
		if cose, err := coseKey(raw); err == nil {
			key = transfer.Binary(cose)
		}
	}
	return transfer.Device{
		CredID: credID, PublicKey: key, SignCount: f.signCount,
		AAGUID: f.aaguid, Transports: f.transports, BackupEligible: f.backupEligible,
		// A source that says BS without BE contradicts WebAuthn L3
		// §6.1.3; the import refuses the line rather than guess.
		BackedUp: f.backedUp, UserVerified: f.userVerified, AttestationType: f.attestationType,
		FriendlyName: friendlyName(f.name), CreatedAt: transfer.Time(f.created), LastLoginAt: transfer.OptionalTime(f.lastUse),
		UsageCount: f.usage,
	}
}

// friendlyName fits a source's passkey name to passbridge's bound of 100
// characters, which sources do not have.
func friendlyName(name string) string {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) <= 100 {
		return name
	}
	return strings.TrimSpace(string([]rune(name)[:99])) + "…"
}
