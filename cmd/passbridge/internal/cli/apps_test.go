package cli

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestApps(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env := map[string]string{"PASSBRIDGE_DATABASE_URL": db}

		var app appJSON
		mustJSON(t, &app, env, "apps", "create", "--name", "Shop", "--rp-id", "example.com",
			"--origin", "https://shop.example.com", "--origin", "https://www.example.com:443",
			"--allow-signup", "--user-verification", "preferred", "--transaction-ttl", "10m")
		want := appJSON{
			ID: app.ID, Name: "Shop", RPID: "example.com", RPName: "Shop",
			Origins:          []string{"https://shop.example.com", "https://www.example.com"},
			UserVerification: "preferred", ResidentKey: "required", Attestation: "none", AllowSignup: true,
			SignCountPolicy: "reject", TransactionTTLSeconds: 600, CeremonyTimeoutSeconds: 120, NonceTTLSeconds: 300,
			CreatedAt: app.CreatedAt, UpdatedAt: app.UpdatedAt,
		}
		if app.ID == "" || app.CreatedAt.IsZero() || !reflect.DeepEqual(app, want) {
			t.Fatalf("created:\n got %+v\nwant %+v", app, want)
		}

		var got appJSON
		mustJSON(t, &got, env, "apps", "get", app.ID)
		if !reflect.DeepEqual(got, app) {
			t.Fatalf("get:\n got %+v\nwant %+v", got, app)
		}

		var list []appJSON
		mustJSON(t, &list, env, "apps", "list")
		if len(list) != 1 || list[0].ID != app.ID {
			t.Fatalf("list: %+v", list)
		}

		// Update changes only what was given.
		var updated appJSON
		mustJSON(t, &updated, env, "apps", "update", app.ID, "--name", "Shop 2", "--allow-signup=false", "--nonce-ttl", "1m")
		if updated.Name != "Shop 2" || updated.AllowSignup || updated.NonceTTLSeconds != 60 ||
			updated.RPID != "example.com" || updated.UserVerification != "preferred" || updated.TransactionTTLSeconds != 600 ||
			!reflect.DeepEqual(updated.Origins, app.Origins) || updated.RPName != "Shop" || !updated.CreatedAt.Equal(app.CreatedAt) {
			t.Fatalf("updated: %+v", updated)
		}

		// A refused update names the bad values and changes nothing.
		res := run(t, env, "apps", "update", app.ID, "--name", "Shop 3", "--origin", "http://evil.example.com", "--attestation", "maybe")
		if res.err == nil {
			t.Fatalf("bad update accepted: %s", res.stdout)
		}
		for _, w := range []string{`"http://evil.example.com"`, `attestation "maybe"`} {
			if !strings.Contains(res.err.Error(), w) {
				t.Errorf("error %q does not name %s", res.err, w)
			}
		}
		mustJSON(t, &got, env, "apps", "get", app.ID)
		if !reflect.DeepEqual(got, updated) {
			t.Fatalf("refused update wrote:\n got %+v\nwant %+v", got, updated)
		}
		if res := run(t, env, "apps", "update", app.ID); res.err == nil || !strings.Contains(res.err.Error(), "nothing to update") {
			t.Fatalf("update without flags: %v", res.err)
		}
		if res := run(t, env, "apps", "update", "nosuchapp", "--name", "x"); res.err == nil || !strings.Contains(res.err.Error(), `app "nosuchapp" not found`) {
			t.Fatalf("update of an unknown app: %v", res.err)
		}

		// Human output is an aligned table.
		out := mustRun(t, env, "apps", "list")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[1], app.ID) ||
			strings.Index(lines[0], "NAME") != strings.Index(lines[1], "Shop 2") {
			t.Fatalf("table:\n%s", out)
		}
		if out := mustRun(t, env, "apps", "get", app.ID); !strings.Contains(out, "rp_id:") || !strings.Contains(out, "example.com") {
			t.Fatalf("get, human:\n%s", out)
		}

		mustRun(t, env, "apps", "delete", app.ID)
		if res := run(t, env, "apps", "get", app.ID); res.err == nil || !strings.Contains(res.err.Error(), `app "`+app.ID+`" not found`) {
			t.Fatalf("get after delete: %v", res.err)
		}
		if res := run(t, env, "apps", "delete", app.ID); res.err == nil || !strings.Contains(res.err.Error(), "not found") {
			t.Fatalf("second delete: %v", res.err)
		}
		mustJSON(t, &list, env, "apps", "list")
		if len(list) != 0 {
			t.Fatalf("list after delete: %+v", list)
		}

		st := openDB(t, db)
		// The app's own events went with it; the deletion is recorded server-wide.
		if types := auditTypes(t, st); !reflect.DeepEqual(types, []string{"app.deleted"}) {
			t.Fatalf("audit: %v", types)
		}
	})
}

// The pages' logo and accent color are set, shown, cleared, and refused
// unless they are an https URL and a #rrggbb color.
func TestAppsBranding(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env := map[string]string{"PASSBRIDGE_DATABASE_URL": db}
		var app appJSON
		mustJSON(t, &app, env, "apps", "create", "--name", "Shop", "--rp-id", "localhost", "--origin", "http://localhost:8080",
			"--logo-url", "https://cdn.example.com/logo.svg?v=2", "--accent-color", "#0A7CFF")
		if app.LogoURL != "https://cdn.example.com/logo.svg?v=2" || app.AccentColor != "#0a7cff" {
			t.Fatalf("created: %+v", app)
		}
		var got appJSON
		mustJSON(t, &got, env, "apps", "get", app.ID)
		if !reflect.DeepEqual(got, app) {
			t.Fatalf("get:\n got %+v\nwant %+v", got, app)
		}
		var list []appJSON
		mustJSON(t, &list, env, "apps", "list")
		if len(list) != 1 || !reflect.DeepEqual(list[0], app) {
			t.Fatalf("list: %+v", list)
		}
		for _, args := range [][]string{{"get", app.ID}, {"list"}} {
			out := mustRun(t, env, append([]string{"apps"}, args...)...)
			if !strings.Contains(out, "https://cdn.example.com/logo.svg?v=2") || !strings.Contains(out, "#0a7cff") {
				t.Errorf("apps %v, human, lacks the branding:\n%s", args, out)
			}
		}

		// A refused change names both values and writes nothing.
		res := run(t, env, "apps", "update", app.ID, "--logo-url", "javascript:alert(1)", "--accent-color", "#0a7cff; color: red")
		for _, w := range []string{`logo_url "javascript:alert(1)"`, `accent_color "#0a7cff; color: red"`} {
			if res.err == nil || !strings.Contains(res.err.Error(), w) {
				t.Errorf("error %v does not name %s", res.err, w)
			}
		}
		mustJSON(t, &got, env, "apps", "get", app.ID)
		if !reflect.DeepEqual(got, app) {
			t.Fatalf("refused update wrote:\n got %+v\nwant %+v", got, app)
		}

		// Only the flag given changes; "" clears.
		mustJSON(t, &got, env, "apps", "update", app.ID, "--accent-color", "#112233")
		if got.AccentColor != "#112233" || got.LogoURL != app.LogoURL {
			t.Fatalf("accent changed: %+v", got)
		}
		mustJSON(t, &got, env, "apps", "update", app.ID, "--logo-url", "", "--accent-color", "")
		if got.AccentColor != "" || got.LogoURL != "" || got.Name != "Shop" {
			t.Fatalf("cleared: %+v", got)
		}
		mustJSON(t, &got, env, "apps", "get", app.ID)
		if got.AccentColor != "" || got.LogoURL != "" {
			t.Fatalf("get after clearing: %+v", got)
		}
		types := auditTypes(t, openDB(t, db))
		if want := []string{"app.created", "app.updated", "app.updated"}; !reflect.DeepEqual(types, want) {
			t.Fatalf("audit: %v, want %v", types, want)
		}
	})
}

func TestAppsCreateRefusal(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		tests := []struct {
			name string
			args []string
			want []string
		}{
			{"no name", []string{"--rp-id", "example.com", "--origin", "https://example.com"}, []string{"name is required"}},
			{"no origin", []string{"--name", "x", "--rp-id", "example.com"}, []string{"at least one origin is required"}},
			{"bad values", []string{"--name", "x", "--rp-id", "com", "--origin", "ftp://example.com", "--user-verification", "always", "--sign-count-policy", "ignore"},
				[]string{`rp_id "com"`, `origin "ftp://example.com"`, `user_verification "always"`, `sign_count_policy "ignore"`}},
			{"origin outside rp id", []string{"--name", "x", "--rp-id", "example.com", "--origin", "https://example.org"}, []string{`origin "https://example.org": rp_id "example.com"`}},
			{"ttl out of range", []string{"--name", "x", "--rp-id", "example.com", "--origin", "https://example.com", "--nonce-ttl", "1s"}, []string{"nonce_ttl 1s"}},
			{"ttl not a duration", []string{"--name", "x", "--nonce-ttl", "soon"}, []string{`"soon"`, "--nonce-ttl"}},
			{"stray argument", []string{"extra", "--name", "x"}, []string{`unknown command "extra"`}},
			{"branding", []string{"--name", "x", "--rp-id", "example.com", "--origin", "https://example.com",
				"--logo-url", "http://cdn.example.com/logo.svg", "--accent-color", "blue"},
				[]string{`logo_url "http://cdn.example.com/logo.svg": must use https`, `accent_color "blue": want #rrggbb`}},
			{"branding and app together", []string{"--name", "x", "--rp-id", "com", "--origin", "https://example.com",
				"--logo-url", "https://user@cdn.example.com/logo.svg", "--accent-color", "#12345"},
				[]string{`rp_id "com"`, `logo_url "https://user@cdn.example.com/logo.svg": must not carry user information`, `accent_color "#12345"`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := run(t, nil, append([]string{"apps", "create", "--database-url", db}, tt.args...)...)
				if res.err == nil {
					t.Fatalf("accepted: %s", res.stdout)
				}
				for _, w := range tt.want {
					if !strings.Contains(res.err.Error(), w) {
						t.Errorf("error %q does not contain %q", res.err, w)
					}
				}
				if res.stdout != "" {
					t.Errorf("refusal printed output: %s", res.stdout)
				}
			})
		}
		apps, err := openDB(t, db).ListApps(context.Background())
		if err != nil || len(apps) != 0 {
			t.Fatalf("refusals wrote apps: %v %v", apps, err)
		}
	})
}

func TestBadDatabaseURL(t *testing.T) {
	for _, tt := range []struct {
		url, want string
	}{
		{"mysql://u@h/db", `database_url "mysql://u@h/db": scheme "mysql"`},
		{"data.db", `database_url "data.db"`},
	} {
		res := run(t, nil, "apps", "list", "--database-url", tt.url)
		if res.err == nil || !strings.Contains(res.err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.url, res.err, tt.want)
		}
	}
}

func TestVersion(t *testing.T) {
	if out := mustRun(t, nil, "version"); !strings.HasPrefix(out, "passbridge v9.9.9-test (go1.") {
		t.Fatalf("version: %q", out)
	}
	var v map[string]string
	mustJSON(t, &v, nil, "version")
	if v["version"] != "v9.9.9-test" || !strings.HasPrefix(v["go"], "go1.") {
		t.Fatalf("version --json: %v", v)
	}
}

func TestMigrate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		var first, second struct {
			Applied int    `json:"applied"`
			Version int64  `json:"version"`
			Latest  int64  `json:"latest"`
			Dialect string `json:"dialect"`
		}
		mustJSON(t, &first, nil, "migrate", "--database-url", db)
		if first.Applied == 0 || first.Version != first.Latest || first.Version == 0 {
			t.Fatalf("first migrate: %+v", first)
		}
		mustJSON(t, &second, nil, "migrate", "--database-url", db)
		if second.Applied != 0 || second.Version != first.Version {
			t.Fatalf("second migrate: %+v", second)
		}
		if out := mustRun(t, nil, "migrate", "--database-url", db); !strings.Contains(out, "applied 0 migration(s)") {
			t.Fatalf("human: %q", out)
		}
	})
}
