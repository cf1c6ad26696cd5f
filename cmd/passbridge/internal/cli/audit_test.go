package cli

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// audit list reads what the commands recorded, newest first, with the
// admin API's filters and pages.
func TestAuditList(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env := map[string]string{"PASSBRIDGE_DATABASE_URL": db}
		clock := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		at := func(args ...string) {
			t.Helper()
			res := runAt(t, clock, env, args...)
			if res.err != nil {
				t.Fatalf("%v: %v", args, res.err)
			}
			clock = clock.Add(time.Minute)
		}
		at("apps", "create", "--name", "Shop", "--rp-id", "localhost", "--origin", "http://localhost:3000")
		var apps []appJSON
		mustJSON(t, &apps, env, "apps", "list")
		app := apps[0]
		at("apikeys", "create", "--app", app.ID, "--name", "backend")
		at("adminkeys", "create", "--name", "ops")
		at("apps", "update", app.ID, "--allow-signup")

		var page auditPage
		mustJSON(t, &page, env, "audit", "list")
		var types []string
		for _, ev := range page.Items {
			types = append(types, ev.Type)
		}
		if want := []string{"app.updated", "adminkey.created", "apikey.created", "app.created"}; !slices.Equal(types, want) || page.NextCursor != nil {
			t.Fatalf("audit list: %q (next %v), want %q", types, page.NextCursor, want)
		}
		if ev := page.Items[1]; ev.AppID != nil || ev.Actor.Type != "cli" || ev.Actor.ID != nil || ev.Details["name"] != "ops" {
			t.Fatalf("adminkey.created %+v", ev)
		}

		filtered := func(args ...string) []string {
			t.Helper()
			var p auditPage
			mustJSON(t, &p, env, append([]string{"audit", "list"}, args...)...)
			var out []string
			for _, ev := range p.Items {
				out = append(out, ev.Type)
			}
			return out
		}
		for _, tc := range []struct {
			args []string
			want []string
		}{
			{[]string{"--app", app.ID}, []string{"app.updated", "apikey.created", "app.created"}},
			{[]string{"--type", "apikey.created"}, []string{"apikey.created"}},
			{[]string{"--actor", "cli", "--since", "2030-01-02T03:05:05Z", "--until", "2030-01-02T03:07:05Z"}, []string{"adminkey.created", "apikey.created"}},
			{[]string{"--actor", "admin_key"}, nil},
			{[]string{"--user", "nobody"}, nil},
		} {
			if got := filtered(tc.args...); !slices.Equal(got, tc.want) {
				t.Errorf("%v: %q, want %q", tc.args, got, tc.want)
			}
		}

		// Page by page.
		var got []string
		args := []string{"audit", "list", "--limit", "3"}
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			var p auditPage
			mustJSON(t, &p, env, args...)
			for _, ev := range p.Items {
				got = append(got, ev.Type)
			}
			if p.NextCursor == nil {
				break
			}
			args = []string{"audit", "list", "--limit", "3", "--cursor", *p.NextCursor}
		}
		if !slices.Equal(got, types) {
			t.Fatalf("pages: %q, want %q", got, types)
		}
		res := run(t, env, "audit", "list", "--limit", "2")
		if res.err != nil || !strings.Contains(res.stdout, "app.updated") || !strings.Contains(res.stderr, "--cursor ") {
			t.Fatalf("table: %v\n%s\n%s", res.err, res.stdout, res.stderr)
		}

		// Every bad value is named, at once.
		res = run(t, env, "audit", "list", "--actor", "root", "--since", "yesterday", "--limit", "0", "--cursor", "zz")
		if res.err == nil {
			t.Fatal("bad filters accepted")
		}
		for _, w := range []string{`--actor "root"`, `--since "yesterday"`, "--limit 0", `--cursor "zz"`} {
			if !strings.Contains(res.err.Error(), w) {
				t.Errorf("error %q does not name %s", res.err, w)
			}
		}
	})
}

// runAt is run with the CLI's clock at now.
func runAt(t *testing.T, now time.Time, env map[string]string, args ...string) result {
	t.Helper()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	root := NewRoot(Env{
		Stdout: stdout, Stderr: stderr, Version: "v9.9.9-test", Now: func() time.Time { return now },
		LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
	})
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}
