package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/ceremony/transfer"
	"github.com/passbridge/passbridge/cmd/passbridge/internal/importsrc/importsrctest"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// forEachEngineTwice runs fn with two fresh databases of each engine.
func forEachEngineTwice(t *testing.T, fn func(t *testing.T, engine, db1, db2 string)) {
	for _, engine := range []string{sqlstoretest.SQLite, sqlstoretest.Postgres} {
		t.Run(engine, func(t *testing.T) { fn(t, engine, databaseURL(t, engine), databaseURL(t, engine)) })
	}
}

// registered is a user of a source app and the authenticator of its passkey.
type registered struct {
	externalID string
	auth       *softauthn.Authenticator
}

// sourceApp creates an app of RP ID localhost through the CLI and gives
// its users passkeys through the start/finish API, as an app's backend
// would.
func sourceApp(t *testing.T, env map[string]string, db string) (string, []registered) {
	t.Helper()
	var app appJSON
	mustJSON(t, &app, env, "apps", "create", "--name", "Old", "--rp-id", "localhost", "--origin", "http://localhost:8080")
	st := openDB(t, db)
	stored, err := st.GetApp(t.Context(), app.ID)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := ceremony.New(ceremony.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	users := []registered{
		{"alice", softauthn.New(softauthn.Options{BackupEligible: true, BackedUp: true})},
		{"bob", softauthn.New(softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform, SignCount: 3})},
	}
	for _, u := range users {
		hs, err := svc.StartRegistration(t.Context(), stored, ceremony.RegistrationStart{ExternalID: u.externalID, UserName: u.externalID})
		if err != nil {
			t.Fatal(err)
		}
		resp, _, err := u.auth.Register(hs.Options, "http://localhost:8080")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.FinishRegistration(t.Context(), stored, u.externalID, resp); err != nil {
			t.Fatal(err)
		}
	}
	return app.ID, users
}

// TestExportImport: passbridge export, then passbridge import into another
// passbridge (a dry run first, then twice), and every user signs in there
// with the passkey it had: over the Flex API, bound and discoverable, and
// through the OpenID provider.
func TestExportImport(t *testing.T) {
	forEachEngineTwice(t, func(t *testing.T, _, srcDB, dstDB string) {
		srcEnv := map[string]string{"PASSBRIDGE_DATABASE_URL": srcDB}
		srcApp, users := sourceApp(t, srcEnv, srcDB)
		file := filepath.Join(t.TempDir(), "export.ndjson")

		var exported map[string]any
		mustJSON(t, &exported, srcEnv, "export", "--app", srcApp, "--output", file)
		if exported["users"] != 2.0 || exported["rp_id"] != "localhost" || exported["output"] != file {
			t.Fatalf("export said %v", exported)
		}
		if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("export file: %v, %v", fi, err)
		}
		if res := run(t, srcEnv, "export", "--app", srcApp, "--output", file); res.err == nil || !strings.Contains(res.err.Error(), "exists already") {
			t.Fatalf("export over an existing file: %v", res.err)
		}
		// To standard output: the export, and on stderr what it was.
		res := run(t, srcEnv, "export", "--app", srcApp)
		if res.err != nil || !strings.HasPrefix(res.stdout, `{"format":"passbridge-export","version":1,"rp_id":"localhost"`) ||
			strings.Count(res.stdout, "\n") != 3 || !strings.Contains(res.stderr, "exported 2 users") {
			t.Fatalf("export to stdout: %v\n%s\n%s", res.err, res.stdout, res.stderr)
		}
		if n := countEvents(t, openDB(t, srcDB), "", eventAppExported); n != 2 {
			t.Fatalf("%d app.exported events by the CLI, want 2", n)
		}

		st := openDB(t, dstDB)
		tg := importsrctest.NewTarget(t, st)
		dstEnv := map[string]string{"PASSBRIDGE_DATABASE_URL": dstDB}
		var sum importJSON
		mustJSON(t, &sum, dstEnv, "import", "--app", tg.App.ID, file, "--dry-run")
		if !sum.DryRun || sum.Users.Created != 2 || sum.Devices.Created != 2 || sum.Lines != 3 {
			t.Fatalf("dry run: %+v", sum)
		}
		if n := countUsers(t, st, tg.App.ID); n != 0 {
			t.Fatalf("a dry run wrote %d users", n)
		}
		res = run(t, dstEnv, "import", "--app", tg.App.ID, file)
		if res.err != nil || res.stdout != "users:   2 created, 0 unchanged, 0 refused\ndevices: 2 created, 0 unchanged, 0 refused\n" ||
			!strings.Contains(res.stderr, "import: 3 lines read") {
			t.Fatalf("import: %v\n%s\n%s", res.err, res.stdout, res.stderr)
		}
		mustJSON(t, &sum, dstEnv, "import", "--app", tg.App.ID, file)
		if sum.Users.Unchanged != 2 || sum.Devices.Unchanged != 2 || sum.Users.Created+sum.Devices.Created != 0 {
			t.Fatalf("import again: %+v", sum)
		}

		for _, u := range users {
			for _, bound := range []string{u.externalID, ""} {
				if got := tg.SignIn(t, u.auth, bound); got != u.externalID {
					t.Fatalf("signed in as %q, want %q", got, u.externalID)
				}
			}
			if sub := tg.OIDCSignIn(t, u.auth); sub != u.externalID {
				t.Fatalf("OIDC sub %q, want %q", sub, u.externalID)
			}
		}
		// Bob's counter went on from the exported one: 3 at registration,
		// then three sign-ins.
		bob, err := st.GetUserByExternalID(t.Context(), tg.App.ID, "bob")
		if err != nil {
			t.Fatal(err)
		}
		ds, err := st.ListDevices(t.Context(), tg.App.ID, bob.ID)
		if err != nil || len(ds) != 1 || ds[0].SignCount != 6 || ds[0].CloneWarning {
			t.Fatalf("bob's device: %+v, %v", ds, err)
		}
		if n := countEvents(t, st, tg.App.ID, transfer.EventUserImported); n != 2 {
			t.Fatalf("%d user.imported events by the CLI, want 2", n)
		}
	})
}

// countEvents counts an app's audit events of type typ by the CLI.
func countEvents(t *testing.T, st storage.Store, appID, typ string) int {
	t.Helper()
	events, err := st.ListAuditEvents(t.Context(), storage.AuditQuery{AppID: appID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Type == typ && e.Actor == actorCLI {
			n++
		}
	}
	return n
}

func countUsers(t *testing.T, st storage.Store, appID string) int {
	t.Helper()
	_, n, err := st.ListUsers(context.Background(), appID, storage.UserQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportRefusals: an export of another RP ID is refused whole; bad
// lines are listed with their numbers and the command fails; flags that do
// not fit the source are named, all at once, before anything is read.
func TestImportRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env := map[string]string{"PASSBRIDGE_DATABASE_URL": db}
		var app appJSON
		mustJSON(t, &app, env, "apps", "create", "--name", "New", "--rp-id", "example.com", "--origin", "https://example.com")
		st := openDB(t, db)
		dir := t.TempDir()
		write := func(name string, lines ...string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		good := `{"external_id":"ok","display_name":"","status":"active","user_handle":"","created_at":"","devices":[]}`

		other := write("other.ndjson", `{"format":"passbridge-export","version":1,"rp_id":"other.example"}`, good)
		res := run(t, env, "import", "--app", app.ID, other)
		if res.err == nil || !strings.Contains(res.err.Error(), `made for RP ID "other.example" and this app's RP ID is "example.com"`) {
			t.Fatalf("another RP ID: %v", res.err)
		}
		if countUsers(t, st, app.ID) != 0 {
			t.Fatal("a refused import wrote users")
		}

		bad := write("bad.ndjson", `{"format":"passbridge-export","version":1,"rp_id":"example.com"}`, good,
			`{"external_id":"x","status":"gone"}`, `not json`)
		res = run(t, env, "import", "--app", app.ID, bad)
		if res.err == nil || res.err.Error() != "2 of 3 users refused; the others were imported" ||
			!strings.Contains(res.stdout, `line 3 (external_id "x"): status "gone" is neither active nor inactive`) ||
			!strings.Contains(res.stdout, "line 4: the line is not JSON") {
			t.Fatalf("bad lines: %v\n%s", res.err, res.stdout)
		}
		var sum importJSON
		res = run(t, env, "import", "--app", app.ID, bad, "--json", "--dry-run")
		if err := json.Unmarshal([]byte(res.stdout), &sum); err != nil || res.err == nil ||
			len(sum.Refusals) != 2 || sum.Refusals[0].Line != 3 || sum.Refusals[1].Line != 4 || sum.Users.Unchanged != 1 {
			t.Fatalf("--json: %v %+v", res.err, sum)
		}

		for _, tc := range []struct {
			args []string
			want []string
		}{
			{[]string{"import", "--app", app.ID}, []string{"--from passbridge reads a FILE"}},
			{[]string{"import", "--app", app.ID, "--from", "pocket-id", "--csv-map", "x=y", "--source-tenant", "t"},
				[]string{"--from pocket-id needs --source-database-url", "needs --source-rp-id", "--csv-map is for --from csv",
					"--source-tenant is for --from hanko", `no field "x"`}},
			{[]string{"import", "--app", app.ID, "f", "--from", "ldap", "--batch-size", "0"}, []string{`--from "ldap"`, "--batch-size 0"}},
			{[]string{"import", "--app", app.ID, "f", "--source-rp-id", "x"}, []string{"--source-rp-id is not for --from passbridge"}},
			{[]string{"import", "--app", "nope", other}, []string{`app "nope" not found`}},
			{[]string{"export", "--app", "nope"}, []string{`app "nope" not found`}},
		} {
			res := run(t, env, tc.args...)
			for _, w := range tc.want {
				if res.err == nil || !strings.Contains(res.err.Error(), w) {
					t.Errorf("%v: error %v lacks %q", tc.args, res.err, w)
				}
			}
		}
		if n := countUsers(t, st, app.ID); n != 1 {
			t.Fatalf("%d users, want the one good line's", n)
		}
	})
}

// TestImportFromSources runs passbridge import --from pocket-id, hanko and
// csv on fixture databases and files, and signs in with an imported
// passkey.
func TestImportFromSources(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		engine := sqlstoretest.SQLite
		if strings.HasPrefix(db, "postgres") {
			engine = sqlstoretest.Postgres
		}
		st := openDB(t, db)
		tg := importsrctest.NewTarget(t, st)
		env := map[string]string{"PASSBRIDGE_DATABASE_URL": db}

		pocketURL, pocketUsers := importsrctest.PocketID(t, engine, "localhost")
		var sum importJSON
		mustJSON(t, &sum, env, "import", "--app", tg.App.ID, "--from", "pocket-id", "--source-database-url", pocketURL, "--source-rp-id", "localhost")
		if sum.Users.Created != 4 || sum.Devices.Created != 4 || sum.From != "pocket-id" {
			t.Fatalf("pocket-id: %+v", sum)
		}
		if got := tg.SignIn(t, pocketUsers[1].Passkeys[0].Auth, ""); got != pocketUsers[1].ID {
			t.Fatalf("signed in as %q", got)
		}
		res := run(t, env, "import", "--app", tg.App.ID, "--from", "pocket-id", "--source-database-url", pocketURL, "--source-rp-id", "example.com")
		if res.err == nil || !strings.Contains(res.err.Error(), `RP ID "example.com"`) {
			t.Fatalf("pocket-id with another RP ID: %v", res.err)
		}

		// A CSV file, one user refused by the reader, one by the import.
		p := importsrctest.NewPasskey(t, "localhost", []byte("csv-user"), "c", softauthn.Options{})
		file := filepath.Join(t.TempDir(), "passage.csv")
		rows := "id,cred,key,bs\n" +
			"csv-user," + b64url(p.CredentialID) + "," + b64url(p.PublicKey) + ",false\n" +
			"csv-bad," + b64url([]byte("c2")) + "," + b64url(p.PublicKey) + ",perhaps\n" +
			"csv-nokey," + b64url([]byte("c3")) + "," + b64url([]byte("no key")) + ",false\n"
		if err := os.WriteFile(file, []byte(rows), 0o600); err != nil {
			t.Fatal(err)
		}
		res = run(t, env, "import", "--app", tg.App.ID, file, "--from", "csv", "--source-rp-id", "localhost",
			"--csv-map", "external_id=id,user_handle=id:text,cred_id=cred,public_key=key,backed_up=bs", "--json")
		// Refusals name the CSV lines: the reader's, and the import's.
		if err := json.Unmarshal([]byte(res.stdout), &sum); err != nil || res.err == nil || sum.Users.Created != 1 ||
			len(sum.Refusals) != 2 || sum.Refusals[0].Source != "CSV line 3" || sum.Refusals[0].Line != 0 ||
			!strings.Contains(sum.Refusals[0].Reason, `backed_up "perhaps" is not true or false`) ||
			sum.Refusals[1].Source != "CSV line 4" || sum.Refusals[1].Line != 0 || sum.Refusals[1].ExternalID != "csv-nokey" ||
			!strings.Contains(sum.Refusals[1].Reason, "public_key is not a COSE public key") {
			t.Fatalf("csv: %v %s", res.err, res.stdout)
		}
		if got := tg.SignIn(t, p.Auth, "csv-user"); got != "csv-user" {
			t.Fatalf("signed in as %q", got)
		}

		if engine == sqlstoretest.Postgres {
			h := importsrctest.Hanko(t, "localhost")
			mustJSON(t, &sum, env, "import", "--app", tg.App.ID, "--from", "hanko", "--source-database-url", h.URL, "--source-tenant", h.Tenant)
			if sum.Users.Created != 3 || sum.Devices.Created != 3 {
				t.Fatalf("hanko: %+v", sum)
			}
			if got := tg.SignIn(t, h.Users[1].Passkeys[0].Auth, h.Users[1].ExternalID); got != h.Users[1].ExternalID {
				t.Fatalf("signed in as %q", got)
			}
			res := run(t, env, "import", "--app", tg.App.ID, "--from", "hanko", "--source-database-url", h.URL)
			if res.err == nil || !strings.Contains(res.err.Error(), "name one with --source-tenant") {
				t.Fatalf("hanko without a tenant: %v", res.err)
			}
		}
	})
}

func b64url(b []byte) string { return transfer.Binary(b) }
