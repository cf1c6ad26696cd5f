package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// TestUsersEnrolLink issues links by passbridge ID and by external ID, with
// the default and a given lifetime, under the configured issuer; every
// refusal names its bad values and writes nothing.
func TestUsersEnrolLink(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		now := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
		env := map[string]string{"PASSBRIDGE_DATABASE_URL": db, "PASSBRIDGE_ISSUER": "https://id.example.com"}
		var app appJSON
		mustJSON(t, &app, env, "apps", "create", "--name", "Shop", "--rp-id", "example.com", "--origin", "https://id.example.com")
		st := openDB(t, db)
		ctx := context.Background()
		newUser := func(externalID, status string) storage.User {
			u := storage.User{ID: storage.NewID(), AppID: app.ID, ExternalID: externalID, Handle: storage.RandomBytes(32),
				DisplayName: externalID, Status: status, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			return u
		}
		alice := newUser("alice", storage.UserActive)
		newUser("bob", storage.UserInactive)

		linkOf := func(u string) storage.EnrolmentLink {
			t.Helper()
			token, ok := strings.CutPrefix(u, "https://id.example.com/enrol?token=")
			if !ok || !strings.HasPrefix(token, storage.PrefixEnrolmentLink) {
				t.Fatalf("url %q, want the issuer's enrolment page with a pbe_ token", u)
			}
			l, err := st.GetEnrolmentLinkByHash(ctx, storage.HashSecret(token))
			if err != nil {
				t.Fatalf("the link is not stored under its token's digest: %v", err)
			}
			return l
		}

		var byID enrolLinkJSON
		mustJSON(t, &byID, env, "users", "enrol-link", "--app", app.ID, "--user", alice.ID)
		l := linkOf(byID.URL)
		if l.UserID != alice.ID || !l.ExpiresAt.Equal(byID.ExpiresAt) || l.ExpiresAt.Sub(l.CreatedAt) != 24*time.Hour {
			t.Errorf("link %+v, printed expiry %s", l, byID.ExpiresAt)
		}

		var byExternal enrolLinkJSON
		mustJSON(t, &byExternal, env, "users", "enrol-link", "--app", app.ID, "--external-id", "alice", "--ttl", "2h",
			"--issuer", "https://id.example.com/")
		if l := linkOf(byExternal.URL); l.UserID != alice.ID || l.ExpiresAt.Sub(l.CreatedAt) != 2*time.Hour {
			t.Errorf("link by external ID %+v", l)
		}
		if byExternal.URL == byID.URL {
			t.Error("two links share a token")
		}

		res := run(t, env, "users", "enrol-link", "--app", app.ID, "--user", alice.ID, "--ttl", "30m")
		if res.err != nil || !strings.Contains(res.stdout, "url:") || !strings.Contains(res.stdout, "expires_at:") ||
			!strings.Contains(res.stderr, "works once") {
			t.Fatalf("human output: %v\n%s\n%s", res.err, res.stdout, res.stderr)
		}
		if got := auditTypes(t, st); strings.Join(got, " ") != "app.created enrolment_link.created enrolment_link.created enrolment_link.created" {
			t.Errorf("audit %q", got)
		}

		for _, tc := range []struct {
			name string
			args []string
			want []string
		}{
			{"both", []string{"--app", app.ID, "--user", alice.ID, "--external-id", "alice"}, []string{"not both"}},
			{"neither", []string{"--app", app.ID}, []string{"--user or --external-id"}},
			{"bad ttl and no user", []string{"--app", app.ID, "--ttl", "1m"}, []string{"--ttl 1m0s", "--user or --external-id"}},
			{"ttl too long", []string{"--app", app.ID, "--user", alice.ID, "--ttl", "169h"}, []string{"--ttl 169h0m0s"}},
			{"bad issuer", []string{"--app", app.ID, "--user", alice.ID, "--issuer", "id.example.com"}, []string{`issuer "id.example.com"`}},
			{"unknown app", []string{"--app", "nosuchapp", "--user", alice.ID}, []string{`app "nosuchapp" not found`}},
			{"unknown user", []string{"--app", app.ID, "--user", "nosuchuser"}, []string{`user "nosuchuser" not found`}},
			{"unknown external ID", []string{"--app", app.ID, "--external-id", "carol"}, []string{`external ID "carol"`}},
			{"inactive user", []string{"--app", app.ID, "--external-id", "bob"}, []string{"inactive"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := run(t, env, append([]string{"users", "enrol-link"}, tc.args...)...)
				if res.err == nil {
					t.Fatalf("accepted: %s", res.stdout)
				}
				for _, w := range tc.want {
					if !strings.Contains(res.err.Error(), w) {
						t.Errorf("error %q does not name %s", res.err, w)
					}
				}
				if res.stdout != "" {
					t.Errorf("printed %q", res.stdout)
				}
			})
		}
		if got := auditTypes(t, st); len(got) != 4 {
			t.Errorf("refusals wrote audit events: %q", got)
		}
	})
}
