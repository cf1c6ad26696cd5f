package cli

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// doctorRun runs doctor --json and decodes its report.
func doctorRun(t *testing.T, env map[string]string, args ...string) (doctorReport, error) {
	t.Helper()
	res := run(t, env, append([]string{"doctor", "--json"}, args...)...)
	var rep doctorReport
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("doctor output is not JSON: %v\n%s\nstderr: %s", err, res.stdout, res.stderr)
	}
	if rep.OK != (res.err == nil) {
		t.Errorf("report ok %v, but the command's error is %v", rep.OK, res.err)
	}
	return rep, res.err
}

// dump shows a report in a failure message.
func (r doctorReport) dump() string {
	var b strings.Builder
	for _, f := range r.Checks {
		b.WriteString("\n  " + f.Status + " " + f.Check + " " + f.Subject + ": " + f.Message)
	}
	return b.String()
}

// requireFinding fails unless the report has a finding of check (and
// subject, unless "") with status whose message says every one of wants.
func requireFinding(t *testing.T, rep doctorReport, status, check, subject string, wants ...string) {
	t.Helper()
	for _, f := range rep.Checks {
		if f.Status != status || f.Check != check || (subject != "" && f.Subject != subject) {
			continue
		}
		all := true
		for _, w := range wants {
			all = all && strings.Contains(f.Message, w)
		}
		if all {
			return
		}
	}
	t.Errorf("no %s %s %s finding saying %q in:%s", status, check, subject, wants, rep.dump())
}

// requireNoFinding fails if the report has a finding of check and subject
// with status.
func requireNoFinding(t *testing.T, rep doctorReport, status, check, subject string) {
	t.Helper()
	for _, f := range rep.Checks {
		if f.Status == status && f.Check == check && (subject == "" || f.Subject == subject) {
			t.Errorf("unexpected %s %s %s finding: %s", status, check, subject, f.Message)
		}
	}
}

// doctorStore is a migrated store whose master key check and signing keys
// a server set up, with the environment commands on it run in.
func doctorStore(t *testing.T, db string) (map[string]string, *sqlstore.Store, []byte) {
	t.Helper()
	env, mk := clientEnv(t, db)
	st := openDB(t, db)
	ctx := context.Background()
	if err := signing.CheckMasterKey(ctx, st, mk, time.Now()); err != nil {
		t.Fatal(err)
	}
	m, err := signing.New(signing.Config{Store: st, MasterKey: mk, Algorithm: signing.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	return env, st, mk
}

// A setup as serve leaves it, with a client added, passes every check.
func TestDoctorCleanSetup(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env, _ := clientEnv(t, db)
		srv := startServe(t, env)
		if err := srv.stop(); err != nil {
			t.Fatalf("serve: %v", err)
		}
		var apps []appJSON
		mustJSON(t, &apps, env, "apps", "list")
		if len(apps) != 1 {
			t.Fatalf("apps after a first start: %+v", apps)
		}
		var cl clientJSON
		mustJSON(t, &cl, env, "clients", "create", "--app", apps[0].ID, "--redirect-uri", "https://rp.example.com/cb",
			"--redirect-uri", "http://127.0.0.1:9000/cb", "--post-logout-redirect-uri", "https://rp.example.com/")

		rep, err := doctorRun(t, env)
		if err != nil || !rep.OK || rep.Failures != 0 || rep.Warnings != 0 {
			t.Fatalf("clean setup: %v, %d failures, %d warnings:%s", err, rep.Failures, rep.Warnings, rep.dump())
		}
		for _, f := range rep.Checks {
			if f.Status != checkOK {
				t.Errorf("%s %s: %s", f.Check, f.Status, f.Message)
			}
		}
		for _, check := range []string{"config", "deployment", "store", "migrations", "master_key", "signing_keys"} {
			requireFinding(t, rep, checkOK, check, "")
		}
		requireFinding(t, rep, checkOK, "signing_keys", "", "1 active, 1 next, 0 retired; each decrypts")
		requireFinding(t, rep, checkOK, "app", apps[0].ID, "fits the issuer")
		requireFinding(t, rep, checkOK, "client", cl.ClientID, "https://rp.example.com/cb")

		out := mustRun(t, env, "doctor")
		for _, want := range []string{"STATUS", "CHECK", "SUBJECT", "MESSAGE", "matches the store's key check value",
			apps[0].ID, cl.ClientID, "0 failed, 0 warned, "} {
			if !strings.Contains(out, want) {
				t.Errorf("table lacks %q:\n%s", want, out)
			}
		}
	})
}

// Apps that do not fit the issuer, and their clients, are reported with
// the value at fault and the fix; an app without clients only warns.
func TestDoctorMisfitApps(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env, _, _ := doctorStore(t, db)
		var fits, port, foreign appJSON
		mustJSON(t, &fits, env, "apps", "create", "--name", "Fits", "--rp-id", "localhost", "--origin", "http://localhost:8080")
		mustJSON(t, &port, env, "apps", "create", "--name", "Port", "--rp-id", "localhost", "--origin", "http://localhost:3000")
		mustJSON(t, &foreign, env, "apps", "create", "--name", "Foreign", "--rp-id", "example.com", "--origin", "https://shop.example.com")
		var cl clientJSON
		mustJSON(t, &cl, env, "clients", "create", "--app", port.ID, "--redirect-uri", "https://rp.example.com/cb")

		rep, err := doctorRun(t, env)
		if err == nil || rep.OK || rep.Failures != 2 {
			t.Fatalf("misfits: %v, %d failures:%s", err, rep.Failures, rep.dump())
		}
		requireFinding(t, rep, checkOK, "app", fits.ID, "fits the issuer")
		requireFinding(t, rep, checkFail, "app", port.ID, `"Port" does not fit the issuer http://localhost:8080`,
			"origin http://localhost:8080 is not among the app's origins", "its 1 OIDC client(s) cannot sign in",
			"passbridge apps update "+port.ID+" --origin http://localhost:3000 --origin http://localhost:8080")
		requireFinding(t, rep, checkFail, "client", cl.ClientID, "cannot sign in: its app "+port.ID+" does not fit the issuer")
		requireFinding(t, rep, checkWarn, "app", foreign.ID, "rp_id example.com is neither the issuer's host localhost",
			"origin http://localhost:8080 is not among", "fine for an app used only through the Flex", "strands its users' passkeys")
		requireNoFinding(t, rep, checkFail, "app", foreign.ID)

		// The issuer the apps were made for: Foreign fits, the others do not.
		rep, _ = doctorRun(t, env, "--issuer", "https://shop.example.com")
		requireFinding(t, rep, checkOK, "app", foreign.ID, "fits the issuer")
		requireFinding(t, rep, checkWarn, "app", fits.ID, "rp_id localhost is neither the issuer's host shop.example.com")
		requireFinding(t, rep, checkFail, "client", cl.ClientID, "cannot sign in")
	})
}

// A client whose redirect URIs are not https outside loopback is reported
// with every bad URI and the replacement list.
func TestDoctorClientRedirects(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env, st, mk := doctorStore(t, db)
		var app appJSON
		mustJSON(t, &app, env, "apps", "create", "--name", "Web", "--rp-id", "localhost", "--origin", "http://localhost:8080")
		// Stored as an older passbridge, or an edited row, may have left it:
		// the CLI refuses such URIs.
		now := time.Now().UTC().Truncate(time.Microsecond)
		sealed, err := signing.SealClientSecret(mk, "legacy", "s3cret")
		if err != nil {
			t.Fatal(err)
		}
		legacy := storage.Client{ID: "legacy", AppID: app.ID, Name: "Legacy", AuthMethod: storage.AuthMethodBasic,
			SecretHash: storage.HashSecret("s3cret"), SecretSealed: sealed, AccessTokenType: "bearer",
			RedirectURIs:           []string{"http://rp.example.com/cb", "https://ok.example.com/cb", "http://localhost:3000/cb", "https://rp.example.com/cb#x"},
			PostLogoutRedirectURIs: []string{"http://rp.example.com/"},
			CreatedAt:              now, UpdatedAt: now}
		if err := st.CreateClient(context.Background(), legacy); err != nil {
			t.Fatal(err)
		}
		var good clientJSON
		mustJSON(t, &good, env, "clients", "create", "--app", app.ID, "--redirect-uri", "https://rp.example.com/cb",
			"--redirect-uri", "http://[::1]:8000/cb")

		rep, err := doctorRun(t, env)
		if err == nil || rep.Failures != 2 {
			t.Fatalf("http redirects: %v, %d failures:%s", err, rep.Failures, rep.dump())
		}
		requireFinding(t, rep, checkFail, "client", "legacy",
			`redirect_uri "http://rp.example.com/cb": must use https`, `redirect_uri "https://rp.example.com/cb#x": must not have a fragment`,
			"passbridge clients update legacy --redirect-uri https://rp.example.com/cb --redirect-uri https://ok.example.com/cb "+
				"--redirect-uri http://localhost:3000/cb --redirect-uri URI")
		requireFinding(t, rep, checkFail, "client", "legacy", `post_logout_redirect_uri "http://rp.example.com/": must use https`,
			"--post-logout-redirect-uri https://rp.example.com/")
		for _, f := range rep.Checks {
			if f.Subject == "legacy" && strings.Contains(f.Message, `"http://localhost:3000/cb"`) {
				t.Errorf("a loopback http URI reported: %s", f.Message)
			}
		}
		requireFinding(t, rep, checkOK, "client", good.ClientID)
		requireFinding(t, rep, checkOK, "app", app.ID, "fits the issuer")
	})
}

// Another master key than the store's: the key check, every signing key
// and every sealed client secret fail, each named.
func TestDoctorWrongMasterKey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env, st, _ := doctorStore(t, db)
		var app appJSON
		mustJSON(t, &app, env, "apps", "create", "--name", "Web", "--rp-id", "localhost", "--origin", "http://localhost:8080")
		var cl clientJSON
		mustJSON(t, &cl, env, "clients", "create", "--app", app.ID, "--redirect-uri", "https://rp.example.com/cb")
		keys, err := st.ListSigningKeys(context.Background())
		if err != nil || len(keys) != 2 {
			t.Fatalf("keys %v, %v", keys, err)
		}

		env["PASSBRIDGE_MASTER_KEY"] = base64.StdEncoding.EncodeToString(storage.RandomBytes(signing.MasterKeySize))
		rep, err := doctorRun(t, env)
		if err == nil || rep.Failures != 4 {
			t.Fatalf("wrong master key: %v, %d failures:%s", err, rep.Failures, rep.dump())
		}
		requireFinding(t, rep, checkFail, "master_key", "", "this store was set up with another master key")
		for _, k := range keys {
			requireFinding(t, rep, checkFail, "signing_keys", k.ID, k.State+" key: signing key "+k.ID+" cannot be decrypted with this master key")
		}
		requireFinding(t, rep, checkFail, "client", cl.ClientID, "its sealed secret does not decrypt with this master key", "--rotate-secret")
		requireNoFinding(t, rep, checkOK, "signing_keys", "")
	})
}

// A store no server has started on has no key check value: doctor says so
// and records none.
func TestDoctorNoKeyCheckYet(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env, _ := clientEnv(t, db)
		st := openDB(t, db)
		rep, err := doctorRun(t, env)
		if err != nil {
			t.Fatalf("fresh store: %v:%s", err, rep.dump())
		}
		requireFinding(t, rep, checkWarn, "master_key", "", "no key check value yet", "doctor records nothing")
		requireFinding(t, rep, checkWarn, "signing_keys", "", "none yet: serve creates an active and a next RS256 key")
		requireFinding(t, rep, checkWarn, "apps", "", "none: serve creates a default app")
		if _, err := st.MasterKeyCheck(context.Background()); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("doctor recorded a key check value: %v", err)
		}
	})
}

// Without a configured master key: SQLite uses (and warns about) the
// generated one; PostgreSQL needs one configured; a store set up with a
// key that is now missing fails.
func TestDoctorMasterKeySource(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env, _, mk := doctorStore(t, db)
		delete(env, "PASSBRIDGE_MASTER_KEY")
		dataDir := env["PASSBRIDGE_DATA_DIR"]
		keyFile := filepath.Join(dataDir, "master.key")

		rep, _ := doctorRun(t, env)
		if strings.HasPrefix(db, "postgres") {
			requireFinding(t, rep, checkFail, "master_key", "", "none configured: a PostgreSQL store needs a master key", "new-master-key")
		} else {
			requireFinding(t, rep, checkWarn, "master_key", keyFile, "none configured and none generated yet")
			requireFinding(t, rep, checkFail, "master_key", keyFile, "the store was set up with a master key, but none is configured")
		}
		if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("doctor created %s: %v", keyFile, err)
		}

		// The key a first start generated, readable by others.
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(mk)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(keyFile, 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := doctorRun(t, env)
		if err != nil {
			t.Fatalf("generated key: %v:%s", err, rep.dump())
		}
		requireFinding(t, rep, checkWarn, "master_key", keyFile, "the file a first start generated: back it up")
		requireFinding(t, rep, checkWarn, "master_key", keyFile, "mode 0644", "chmod 600 "+keyFile)
		requireFinding(t, rep, checkOK, "master_key", "", "matches the store's key check value")

		// A configured key file is checked the same way.
		if err := os.Chmod(keyFile, 0o600); err != nil {
			t.Fatal(err)
		}
		env["PASSBRIDGE_MASTER_KEY_FILE"] = keyFile
		rep, _ = doctorRun(t, env)
		requireFinding(t, rep, checkOK, "master_key", "", "configured (master_key_file "+keyFile+")")
		requireNoFinding(t, rep, checkWarn, "master_key", "")
	})
}

// Pending migrations and a schema newer than the binary fail, and doctor
// migrates nothing.
func TestDoctorMigrations(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env, st, _ := doctorStore(t, db)
		ctx := context.Background()
		_, latest, err := st.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		raw := rawDB(t, db)
		// As if this binary carried one migration more than the database has.
		if _, err := raw.Exec(`DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)`); err != nil {
			t.Fatal(err)
		}
		rep, err := doctorRun(t, env)
		if err == nil {
			t.Fatalf("pending migration passed:%s", rep.dump())
		}
		requireFinding(t, rep, checkFail, "migrations", "", "1 migration(s) pending", "run passbridge migrate")
		requireFinding(t, rep, checkSkip, "apps", "", "the store is not usable")
		if current, _, _ := st.SchemaVersion(ctx); current != latest-1 {
			t.Fatalf("doctor migrated: version %d", current)
		}

		if _, err := raw.Exec(fmt.Sprintf(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (%d, true)`, latest+3)); err != nil {
			t.Fatal(err)
		}
		rep, _ = doctorRun(t, env)
		requireFinding(t, rep, checkFail, "migrations", "", "newer than this passbridge knows", "upgrade this binary")
	})
}

// rawDB opens the test's database with its driver, to change what the
// store's interface cannot.
func rawDB(t *testing.T, databaseURL string) *sql.DB {
	t.Helper()
	driver, dsn := "postgres", databaseURL
	if file := sqlstore.SQLiteFile(databaseURL); file != "" {
		driver, dsn = "sqlite", file
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// An unreachable database, or an SQLite file that does not exist, fails
// the store check; doctor creates nothing and still checks the rest.
func TestDoctorUnreachableStore(t *testing.T) {
	for name, db := range map[string]string{
		"postgres": "postgres://postgres@127.0.0.1:1/passbridge?sslmode=disable&connect_timeout=3",
		"sqlite":   "sqlite://" + filepath.Join(t.TempDir(), "missing", "passbridge.db"),
	} {
		t.Run(name, func(t *testing.T) {
			env, _ := clientEnv(t, db)
			rep, err := doctorRun(t, env)
			if err == nil {
				t.Fatalf("unreachable store passed:%s", rep.dump())
			}
			if name == "postgres" {
				requireFinding(t, rep, checkFail, "store", "", "unreachable", "127.0.0.1:1", "check that the database runs")
			} else {
				requireFinding(t, rep, checkFail, "store", "", "does not exist", "run passbridge migrate")
				if _, err := os.Stat(filepath.Dir(sqlstore.SQLiteFile(db))); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("doctor created the database's directory: %v", err)
				}
			}
			for _, check := range []string{"master_key", "signing_keys", "apps"} {
				requireFinding(t, rep, checkSkip, check, "", "the store is not usable")
			}
			requireFinding(t, rep, checkOK, "config", "")
			requireFinding(t, rep, checkOK, "master_key", "", "configured")
		})
	}
}

// Every configuration problem is reported at once, and the checks that do
// not need the bad settings still run.
func TestDoctorConfigProblems(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env, _, _ := doctorStore(t, db)
		mustJSON(t, &appJSON{}, env, "apps", "create", "--name", "Web", "--rp-id", "localhost", "--origin", "http://localhost:8080")
		env["PASSBRIDGE_LOG_LEVEL"] = "loud"
		rep, err := doctorRun(t, env, "--issuer", "ftp://id.example.com", "--listen", "nowhere", "--gc-interval", "0s")
		if err == nil {
			t.Fatalf("bad configuration passed:%s", rep.dump())
		}
		requireFinding(t, rep, checkFail, "config", "", `issuer "ftp://id.example.com"`, "serve refuses to start")
		requireFinding(t, rep, checkFail, "config", "", `listen "nowhere"`)
		requireFinding(t, rep, checkFail, "config", "", `log_level "loud"`)
		requireFinding(t, rep, checkFail, "config", "", "gc_interval 0s")
		requireFinding(t, rep, checkSkip, "deployment", "issuer", `"ftp://id.example.com"`)
		requireFinding(t, rep, checkSkip, "apps", "", "the issuer is not usable")
		requireFinding(t, rep, checkOK, "store", "")
		requireFinding(t, rep, checkOK, "master_key", "", "matches the store's key check value")
		requireFinding(t, rep, checkOK, "signing_keys", "")
	})
}

// Settings that are valid but keep sign-in from working, or that a server
// behind a proxy should not keep, warn.
func TestDoctorDeployment(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env, _, _ := doctorStore(t, db)
		rep, _ := doctorRun(t, env, "--issuer", "https://id.example.com", "--rate-limit", "0")
		requireFinding(t, rep, checkWarn, "deployment", "trusted_proxies", "set trusted_proxies")
		requireFinding(t, rep, checkWarn, "deployment", "metrics_listen", "/metrics is served on the public listener 127.0.0.1:8080")
		requireFinding(t, rep, checkWarn, "deployment", "rate_limit", "not rate-limited")
		requireFinding(t, rep, checkOK, "deployment", "issuer")

		rep, _ = doctorRun(t, env, "--issuer", "https://id.example.com", "--trusted-proxies", "10.0.0.1", "--metrics-listen", "127.0.0.1:9090")
		for _, s := range []string{"trusted_proxies", "metrics_listen", "rate_limit"} {
			requireNoFinding(t, rep, checkWarn, "deployment", s)
		}

		rep, _ = doctorRun(t, env, "--issuer", "http://id.example.com")
		requireFinding(t, rep, checkWarn, "deployment", "issuer", "uses http", "serve the issuer over https")
		rep, _ = doctorRun(t, env, "--issuer", "http://127.0.0.1:8080")
		requireFinding(t, rep, checkWarn, "deployment", "issuer", "127.0.0.1 is an IP address")
	})
}
