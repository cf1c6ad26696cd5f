package importsrc_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/ceremony/transfer"
	"github.com/passbridge/passbridge/cmd/passbridge/internal/importsrc"
	"github.com/passbridge/passbridge/cmd/passbridge/internal/importsrc/importsrctest"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	// The OpenID provider logs its routes to the default logger.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	m.Run()
}

// sorted is a sorted copy of a list, for comparing lists whose order a
// source does not keep.
func sorted(l []string) string {
	l = slices.Clone(l)
	slices.Sort(l)
	return strings.Join(l, ",")
}

var b64 = base64.RawURLEncoding.EncodeToString

// importSource imports what a reader found into a fresh passbridge of the
// same engine and returns it with the summary.
func importSource(t *testing.T, open func(testing.TB) *sqlstore.Store, src *importsrc.Source) (*importsrctest.Target, transfer.Summary) {
	t.Helper()
	tg := importsrctest.NewTarget(t, open(t))
	in := src.NDJSON(time.Now())
	defer in.Close()
	sum, err := transfer.Import(context.Background(), tg.Server.Store, tg.App, in, transfer.Options{Actor: "cli"})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return tg, sum
}

// checkUsers compares what a reader made of the fixture's users with them.
func checkUsers(t *testing.T, src *importsrc.Source, want []importsrctest.User, signCounts bool) {
	t.Helper()
	if len(src.Users) != len(want) {
		t.Fatalf("%d users read, want %d", len(src.Users), len(want))
	}
	for i, w := range want {
		u := src.Users[i]
		status := "active"
		if w.Disabled {
			status = "inactive"
		}
		if u.ExternalID != w.ExternalID || u.DisplayName != w.DisplayName || u.Status != status ||
			u.UserHandle != b64([]byte(w.ExternalID)) || u.CreatedAt != transfer.Time(w.Created) {
			t.Errorf("user %d: %+v, want %+v", i, u, w)
		}
		if len(u.Devices) != len(w.Passkeys) {
			t.Fatalf("user %s: %d devices, want %d", w.ExternalID, len(u.Devices), len(w.Passkeys))
		}
		for k, p := range w.Passkeys {
			d := u.Devices[k]
			if d.CredID != b64(p.CredentialID) || d.PublicKey != b64(p.PublicKey) ||
				d.BackupEligible != p.BackupEligible || d.BackedUp != p.BackedUp ||
				sorted(d.Transports) != sorted(p.Transports) {
				t.Errorf("user %s device %d: %+v, want %+v", w.ExternalID, k, d, p)
			}
			if want := p.SignCount; signCounts && d.SignCount != want || !signCounts && d.SignCount != 0 {
				t.Errorf("user %s device %d: sign count %d", w.ExternalID, k, d.SignCount)
			}
		}
		if !strings.Contains(src.Origins[i], w.ID) {
			t.Errorf("origin %q does not name the source's user %s", src.Origins[i], w.ID)
		}
	}
}

// TestPocketID reads a Pocket ID database of each engine, imports it, and
// signs every user in with the passkeys they had, bound and discoverable.
func TestPocketID(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		engine := sqlstoretest.SQLite
		if strings.HasSuffix(t.Name(), sqlstoretest.Postgres) {
			engine = sqlstoretest.Postgres
		}
		url, users := importsrctest.PocketID(t, engine, "localhost")
		src, err := importsrc.ReadPocketID(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		if src.RPID != "" {
			t.Fatalf("RP ID %q: Pocket ID does not store it", src.RPID)
		}
		checkUsers(t, src, users, false)
		for k, name := range users[1].Names {
			if got := src.Users[1].Devices[k].FriendlyName; got != name {
				t.Errorf("passkey name %q, want %q", got, name)
			}
		}
		src.RPID = "localhost"
		tg, sum := importSource(t, open, src)
		if sum.Users.Created != 4 || sum.Devices.Created != 4 || len(sum.Refusals) != 0 {
			t.Fatalf("summary %+v", sum)
		}
		for _, u := range users[:2] {
			for _, p := range u.Passkeys {
				for _, bound := range []string{u.ExternalID, ""} {
					if got := tg.SignIn(t, p.Auth, bound); got != u.ExternalID {
						t.Fatalf("signed in as %q, want %q", got, u.ExternalID)
					}
				}
			}
		}
		// Relying parties of Pocket ID's OpenID provider keep their sub.
		if sub := tg.OIDCSignIn(t, users[0].Passkeys[0].Auth); sub != users[0].ID {
			t.Fatalf("OIDC sub %q, want Pocket ID's %q", sub, users[0].ID)
		}
		// A disabled user of Pocket ID is an inactive one here.
		if status, body := tg.TrySignIn(t, users[2].Passkeys[0].Auth); status != http.StatusForbidden || !strings.Contains(body, "user_inactive") {
			t.Fatalf("disabled carol signs in: %d %s", status, body)
		}
	})
}

// TestHanko reads a tenant of a database of Hanko's passkey server,
// imports it and signs its users in; the other tenant is of another RP ID.
func TestHanko(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		if !strings.HasSuffix(t.Name(), sqlstoretest.Postgres) {
			t.Skip("Hanko's passkey server runs on PostgreSQL")
		}
		h := importsrctest.Hanko(t, "localhost")
		url, tenant, users := h.URL, h.Tenant, h.Users
		_, err := importsrc.ReadHanko(t.Context(), url, "")
		if err == nil || !strings.Contains(err.Error(), "2 tenants") || !strings.Contains(err.Error(), "RP ID other.example") {
			t.Fatalf("two tenants, none named: %v", err)
		}
		if _, err := importsrc.ReadHanko(t.Context(), url, uuid.NewString()); err == nil || !strings.Contains(err.Error(), "no tenant") {
			t.Fatalf("an unknown tenant: %v", err)
		}
		src, err := importsrc.ReadHanko(t.Context(), url, tenant)
		if err != nil {
			t.Fatal(err)
		}
		if src.RPID != "localhost" {
			t.Fatalf("RP ID %q, want the tenant's", src.RPID)
		}
		checkUsers(t, src, users, true)
		for _, u := range src.Users {
			if n := u.Devices[0].FriendlyName; strings.HasPrefix(n, "cred-") {
				t.Errorf("the server's generic name %q came along", n)
			}
			if u.Devices[0].LastLoginAt == nil {
				t.Errorf("last_used_at was not read")
			}
		}
		tg, sum := importSource(t, open, src)
		if sum.Users.Created != 3 || sum.Devices.Created != 3 || len(sum.Refusals) != 0 {
			t.Fatalf("summary %+v", sum)
		}
		for _, u := range users {
			for _, bound := range []string{u.ExternalID, ""} {
				if got := tg.SignIn(t, u.Passkeys[0].Auth, bound); got != u.ExternalID {
					t.Fatalf("signed in as %q, want %q", got, u.ExternalID)
				}
			}
		}
		// The other tenant's passkeys are of another RP ID: refused whole.
		other, err := importsrc.ReadHanko(t.Context(), url, h.OtherTenant)
		if err != nil {
			t.Fatal(err)
		}
		in := other.NDJSON(time.Now())
		defer in.Close()
		_, err = transfer.Import(t.Context(), tg.Server.Store, tg.App, in, transfer.Options{})
		if err == nil || !strings.Contains(err.Error(), `made for RP ID "other.example"`) {
			t.Fatalf("importing the other tenant: %v", err)
		}
	})
}

// TestReaderRefusals: a database of another kind, or a URL of no known
// kind, is refused with the reason.
func TestReaderRefusals(t *testing.T) {
	empty := sqlstoretest.URL(t, sqlstoretest.SQLite)
	for _, tc := range []struct {
		name, url, want string
	}{
		{"NoFile", "sqlite:///nonexistent/pocket-id.db", "no such file"},
		{"OtherScheme", "mysql://db/pocket", "must start with postgres://"},
		{"NotPocketID", empty, `no table "users": is it a pocket-id database?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "NotPocketID" {
				// An SQLite file without Pocket ID's tables.
				if err := writeEmptySQLite(strings.TrimPrefix(tc.url, "sqlite://")); err != nil {
					t.Fatal(err)
				}
			}
			_, err := importsrc.ReadPocketID(t.Context(), tc.url)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func writeEmptySQLite(path string) error {
	st, err := sqlstore.Open(context.Background(), "sqlite://"+path)
	if err != nil {
		return err
	}
	return st.Close()
}

// TestPocketIDOldSchema reads a database of Pocket ID's first schema
// (backend/resources/migrations/sqlite/20240731203656_init.up.sql): no
// display_name, no disabled, no backup flags, credential IDs as TEXT and
// times as text.
func TestPocketIDOldSchema(t *testing.T) {
	path := strings.TrimPrefix(sqlstoretest.URL(t, sqlstoretest.SQLite), "sqlite://")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id := uuid.NewString()
	p := importsrctest.NewPasskey(t, "localhost", []byte(id), "old", softauthn.Options{})
	_, err = db.Exec(`CREATE TABLE users (id TEXT NOT NULL PRIMARY KEY, created_at DATETIME, username TEXT NOT NULL UNIQUE,
			email TEXT NOT NULL UNIQUE, first_name TEXT, last_name TEXT, is_admin NUMERIC DEFAULT FALSE NOT NULL);
		CREATE TABLE webauthn_credentials (id TEXT NOT NULL PRIMARY KEY, created_at DATETIME, name TEXT NOT NULL,
			credential_id TEXT NOT NULL UNIQUE, public_key BLOB NOT NULL, attestation_type TEXT NOT NULL,
			transport BLOB NOT NULL, user_id TEXT REFERENCES users);`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO users VALUES (?, '2024-08-01 10:00:00', 'old', 'old@example.com', 'Olga', 'Old', 0)`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO webauthn_credentials VALUES ('c1', '2024-08-01 10:05:00', 'Key', ?, ?, 'none', '["internal"]', ?)`,
		string(p.CredentialID), p.PublicKey, id); err != nil {
		t.Fatal(err)
	}
	src, err := importsrc.ReadPocketID(t.Context(), "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	u := src.Users[0]
	if u.DisplayName != "Olga Old" || u.Status != "active" || u.CreatedAt != "2024-08-01T10:00:00Z" ||
		u.Devices[0].CredID != b64(p.CredentialID) || u.Devices[0].BackupEligible || u.Devices[0].CreatedAt != "2024-08-01T10:05:00Z" {
		t.Fatalf("user %+v", u)
	}
	src.RPID = "localhost"
	tg, sum := importSource(t, func(t testing.TB) *sqlstore.Store { return sqlstoretest.Open(t, sqlstoretest.SQLite) }, src)
	if sum.Users.Created != 1 || sum.Devices.Created != 1 {
		t.Fatalf("summary %+v", sum)
	}
	if got := tg.SignIn(t, p.Auth, ""); got != id {
		t.Fatalf("signed in as %q", got)
	}
}
