package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClientsCreateByAppName: --app-name finds the one app of that name,
// and refuses a name no app or several apps have.
func TestClientsCreateByAppName(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env, _ := clientEnv(t, db)
		var shop, twin appJSON
		mustJSON(t, &shop, env, "apps", "create", "--name", "Shop", "--rp-id", "localhost", "--origin", "http://localhost:3000")
		for range 2 {
			mustJSON(t, &twin, env, "apps", "create", "--name", "Twin", "--rp-id", "localhost", "--origin", "http://localhost:3000")
		}
		create := []string{"clients", "create", "--redirect-uri", "http://localhost:3000/callback"}

		var cl clientJSON
		mustJSON(t, &cl, env, append(create, "--app-name", "Shop")...)
		if cl.AppID != shop.ID || cl.ClientSecret == "" {
			t.Fatalf("client of --app-name Shop: %+v, want one of app %s with its secret", cl, shop.ID)
		}
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"--app-name", "Blog"}, `no app is named "Blog"`},
			{[]string{"--app-name", "Twin"}, `2 apps are named "Twin"; give --app APP_ID instead`},
			{[]string{"--app-name", "shop"}, `no app is named "shop"`},
			{[]string{"--app-name", "Shop", "--app", shop.ID}, "none of the others can be"},
			{nil, "at least one of the flags in the group [app app-name] is required"},
		} {
			res := run(t, env, append(create, tt.args...)...)
			if res.err == nil || !strings.Contains(res.err.Error(), tt.want) {
				t.Errorf("clients create %v: %v, want an error saying %q", tt.args, res.err, tt.want)
			}
		}
		clients, err := openDB(t, db).ListClients(context.Background(), twin.ID)
		if err != nil || len(clients) != 0 {
			t.Errorf("clients of an ambiguous name's apps: %d, %v", len(clients), err)
		}
	})
}

// TestClientsCreateOutputFile: --output-file receives the client with its
// secret, stdout and stderr never see the secret, and a second run with the
// file in place creates nothing, as a setup script run at every start needs.
func TestClientsCreateOutputFile(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env, masterKey := clientEnv(t, db)
		var app, other appJSON
		mustJSON(t, &app, env, "apps", "create", "--name", "Default app", "--rp-id", "localhost", "--origin", "http://localhost:8080")
		mustJSON(t, &other, env, "apps", "create", "--name", "Other", "--rp-id", "localhost", "--origin", "http://localhost:8080")
		dir := t.TempDir()
		file := filepath.Join(dir, "client.json")
		create := []string{"clients", "create", "--app-name", "Default app", "--name", "oidc-go",
			"--redirect-uri", "http://localhost:3000/callback", "--output-file", file, "--json"}

		first := run(t, env, create...)
		if first.err != nil {
			t.Fatalf("clients create --output-file: %v\n%s", first.err, first.stderr)
		}
		var printed, saved clientJSON
		if err := json.Unmarshal([]byte(first.stdout), &printed); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, first.stdout)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &saved); err != nil {
			t.Fatalf("the file is not JSON: %v\n%s", err, data)
		}
		if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("file mode: %v %v, want 0600", fi.Mode(), err)
		}
		st := openDB(t, db)
		checkSecret(t, st, saved.ClientID, saved.ClientSecret, masterKey)
		if saved.AppID != app.ID || printed.ClientID != saved.ClientID || printed.ClientSecret != "" {
			t.Fatalf("file %+v, stdout %+v", saved, printed)
		}
		if strings.Contains(first.stdout+first.stderr, saved.ClientSecret) || !strings.Contains(first.stderr, "Wrote the client and its secret to "+file) {
			t.Fatalf("output:\n%s\n%s", first.stdout, first.stderr)
		}

		// Again: nothing created, the file as it was, the same client printed.
		again := run(t, env, create...)
		if again.err != nil || !strings.Contains(again.stderr, file+" holds client "+saved.ClientID+" already: nothing created") {
			t.Fatalf("second run: %v\n%s", again.err, again.stderr)
		}
		if err := json.Unmarshal([]byte(again.stdout), &printed); err != nil || printed.ClientID != saved.ClientID || printed.ClientSecret != "" {
			t.Fatalf("second run printed %s (%v)", again.stdout, err)
		}
		if now, _ := os.ReadFile(file); !bytes.Equal(now, data) {
			t.Fatalf("the file changed:\n%s", now)
		}
		clients, err := st.ListClients(context.Background(), app.ID)
		if err != nil || len(clients) != 1 {
			t.Fatalf("the app has %d clients (%v), want 1", len(clients), err)
		}

		// A file that names another app's client, or none, or a client
		// the database does not have, is an error, and nothing is created.
		garbage := filepath.Join(dir, "garbage.json")
		if err := os.WriteFile(garbage, []byte("not json\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			args []string
			want string
		}{
			{"another app", []string{"--app", other.ID, "--output-file", file},
				"names client " + saved.ClientID + " of app " + app.ID + ", not of app " + other.ID},
			{"no client", []string{"--app", app.ID, "--output-file", garbage}, "exists but holds no client"},
		} {
			res := run(t, env, "clients", "create", "--redirect-uri", "http://localhost:3000/callback", tt.args[0], tt.args[1], tt.args[2], tt.args[3])
			if res.err == nil || !strings.Contains(res.err.Error(), tt.want) {
				t.Errorf("%s: %v, want an error saying %q", tt.name, res.err, tt.want)
			}
		}
		mustRun(t, env, "clients", "delete", saved.ClientID)
		res := run(t, env, create...)
		if res.err == nil || !strings.Contains(res.err.Error(), "names client "+saved.ClientID+", which this database does not have") {
			t.Errorf("file of a deleted client: %v", res.err)
		}
		for _, id := range []string{app.ID, other.ID} {
			if clients, _ := st.ListClients(context.Background(), id); len(clients) != 0 {
				t.Errorf("app %s has %d clients after the refusals", id, len(clients))
			}
		}

		// A create that fails leaves no file behind.
		missing := filepath.Join(dir, "missing-app.json")
		res = run(t, env, "clients", "create", "--app", "no-such-app", "--redirect-uri", "http://localhost:3000/callback", "--output-file", missing)
		if res.err == nil || !strings.Contains(res.err.Error(), `app "no-such-app" not found`) {
			t.Errorf("create for a missing app: %v", res.err)
		}
		if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a failed create left %s: %v", missing, err)
		}
	})
}
