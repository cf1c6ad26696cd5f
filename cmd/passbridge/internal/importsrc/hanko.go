package importsrc

import (
	"context"
	"fmt"
	"strings"

	"github.com/passbridge/passbridge/ceremony/transfer"
)

// Hanko is the name of the reader of Hanko's passkey server.
const Hanko = "hanko"

// ReadHanko reads the users and passkeys of one tenant of a database of
// Hanko's passkey server (github.com/teamhanko/passkey-server,
// server/persistence/migrations: tables tenants, configs, webauthn_configs,
// relying_parties, webauthn_users, webauthn_credentials,
// webauthn_credential_transports). It runs on PostgreSQL (and CockroachDB,
// which speaks its protocol); its MySQL databases are not read.
//
// tenant is the tenant's ID; it may be "" when the database has one tenant.
//
// What the passkey server stores, and how it maps:
//   - webauthn_users.user_id is the ID the tenant's backend gave the user:
//     the external ID. Its UTF-8 bytes are the WebAuthn user handle (the
//     server's WebAuthnID is []byte(user_id)). display_name (else name) is
//     the display name.
//   - webauthn_credentials.id is the credential ID and public_key the
//     COSE_Key, both base64url without padding; aaguid, sign_count,
//     backup_eligible, backup_state, created_at and last_used_at as their
//     names say; name too, unless it is the server's "cred-<ID>", which
//     passbridge replaces with its own name of the authenticator; transports are rows of
//     webauthn_credential_transports. MFA credentials (is_mfa) are passkeys
//     of the same RP ID and come too.
//   - relying_parties.rp_id is the tenant's RP ID: it goes into the
//     header, and the import refuses an app of another RP ID.
func ReadHanko(ctx context.Context, databaseURL, tenant string) (*Source, error) {
	db, err := openSource(ctx, Hanko, databaseURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if db.dialect != dialectPostgres {
		return nil, errorf(Hanko, "the passkey server's database is PostgreSQL: give a postgres:// URL")
	}
	for table, need := range map[string][]string{
		"webauthn_users":                 {"id", "user_id", "name", "display_name", "tenant_id", "created_at"},
		"webauthn_credentials":           {"id", "public_key", "attestation_type", "aaguid", "sign_count", "name", "last_used_at", "backup_eligible", "backup_state", "webauthn_user_id", "created_at"},
		"webauthn_credential_transports": {"name", "webauthn_credential_id"},
		"relying_parties":                {"rp_id", "webauthn_config_id"},
	} {
		cols, err := db.columns(ctx, table)
		if err != nil {
			return nil, errorf(Hanko, "read the schema: %v", err)
		}
		if err := requireColumns(Hanko, table, cols, need...); err != nil {
			return nil, err
		}
	}
	tenantID, rpID, err := hankoTenant(ctx, db, tenant)
	if err != nil {
		return nil, err
	}
	devices, err := readHankoCredentials(ctx, db, tenantID)
	if err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT id::text, user_id, name, display_name, created_at FROM webauthn_users
		WHERE tenant_id = ? ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, errorf(Hanko, "read webauthn_users: %v", err)
	}
	defer rows.Close()
	src := &Source{RPID: rpID}
	for rows.Next() {
		var id, userID, name, display, created any
		if err := rows.Scan(&id, &userID, &name, &display, &created); err != nil {
			return nil, errorf(Hanko, "read webauthn_users: %v", err)
		}
		ext := toString(userID)
		dn := strings.TrimSpace(toString(display))
		if dn == "" {
			dn = toString(name)
		}
		src.add(transfer.User{
			ExternalID: ext, DisplayName: dn, Status: "active",
			UserHandle: transfer.Binary([]byte(ext)), CreatedAt: transfer.Time(toTime(created)),
			Devices: devices[toString(id)],
		}, fmt.Sprintf("Hanko webauthn_users %s (user_id %s)", toString(id), ext))
	}
	if err := rows.Err(); err != nil {
		return nil, errorf(Hanko, "read webauthn_users: %v", err)
	}
	return src, nil
}

// hankoTenant finds the tenant to read and its RP ID: the one named, or the
// only one.
func hankoTenant(ctx context.Context, db *sourceDB, tenant string) (id, rpID string, err error) {
	rows, err := db.query(ctx, `SELECT t.id::text, rp.rp_id FROM tenants t
		JOIN configs c ON c.tenant_id = t.id
		JOIN webauthn_configs w ON w.config_id = c.id
		JOIN relying_parties rp ON rp.webauthn_config_id = w.id
		ORDER BY t.created_at, t.id`)
	if err != nil {
		return "", "", errorf(Hanko, "read tenants: %v", err)
	}
	defer rows.Close()
	var all []string
	for rows.Next() {
		var tid, rp string
		if err := rows.Scan(&tid, &rp); err != nil {
			return "", "", errorf(Hanko, "read tenants: %v", err)
		}
		all = append(all, fmt.Sprintf("%s (RP ID %s)", tid, rp))
		if tenant == "" || strings.EqualFold(tenant, tid) {
			id, rpID = tid, rp
		}
	}
	if err := rows.Err(); err != nil {
		return "", "", errorf(Hanko, "read tenants: %v", err)
	}
	switch {
	case len(all) == 0:
		return "", "", errorf(Hanko, "the database has no tenant with a relying party")
	case tenant == "" && len(all) > 1:
		return "", "", errorf(Hanko, "the database has %d tenants; name one with --source-tenant: %s", len(all), strings.Join(all, ", "))
	case id == "":
		return "", "", errorf(Hanko, "no tenant %q; the database has %s", tenant, strings.Join(all, ", "))
	}
	return id, rpID, nil
}

// readHankoCredentials reads a tenant's passkeys, by webauthn_users.id.
func readHankoCredentials(ctx context.Context, db *sourceDB, tenantID string) (map[string][]transfer.Device, error) {
	transports := make(map[string][]string)
	trows, err := db.query(ctx, `SELECT t.webauthn_credential_id, t.name FROM webauthn_credential_transports t
		JOIN webauthn_credentials c ON c.id = t.webauthn_credential_id
		JOIN webauthn_users u ON u.id = c.webauthn_user_id
		WHERE u.tenant_id = ? ORDER BY t.webauthn_credential_id, t.name`, tenantID)
	if err != nil {
		return nil, errorf(Hanko, "read webauthn_credential_transports: %v", err)
	}
	defer trows.Close()
	for trows.Next() {
		var cred, name string
		if err := trows.Scan(&cred, &name); err != nil {
			return nil, errorf(Hanko, "read webauthn_credential_transports: %v", err)
		}
		transports[cred] = append(transports[cred], name)
	}
	if err := trows.Err(); err != nil {
		return nil, errorf(Hanko, "read webauthn_credential_transports: %v", err)
	}
	rows, err := db.query(ctx, `SELECT c.id, c.webauthn_user_id::text, c.public_key, c.attestation_type, c.aaguid::text,
		c.sign_count, c.name, c.last_used_at, c.backup_eligible, c.backup_state, c.created_at
		FROM webauthn_credentials c JOIN webauthn_users u ON u.id = c.webauthn_user_id
		WHERE u.tenant_id = ? ORDER BY c.created_at, c.id`, tenantID)
	if err != nil {
		return nil, errorf(Hanko, "read webauthn_credentials: %v", err)
	}
	defer rows.Close()
	out := make(map[string][]transfer.Device)
	for rows.Next() {
		var id, user, key, att, aaguid, name, lastUsed, eligible, state, created any
		var count int64
		if err := rows.Scan(&id, &user, &key, &att, &aaguid, &count, &name, &lastUsed, &eligible, &state, &created); err != nil {
			return nil, errorf(Hanko, "read webauthn_credentials: %v", err)
		}
		// The server names a passkey whose AAGUID it does not know
		// "cred-<credential ID>"; passbridge names those itself.
		if toString(name) == "cred-"+toString(id) {
			name = ""
		}
		out[toString(user)] = append(out[toString(user)], device(toString(id), toString(key), deviceFacts{
			signCount: uint32(min(max(count, 0), 1<<32-1)), aaguid: toString(aaguid),
			transports: transports[toString(id)], backupEligible: toBool(eligible), backedUp: toBool(state),
			attestationType: toString(att), name: toString(name), created: toTime(created), lastUse: toTime(lastUsed),
		}))
	}
	return out, rows.Err()
}
