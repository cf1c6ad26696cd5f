package cli

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/storage"
)

// An admin key made by the command line opens the admin API of a server
// on the same store, lists without its secret, and, once revoked, opens
// nothing; every change is audited with actor cli.
func TestAdminKeys(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env := map[string]string{"PASSBRIDGE_DATABASE_URL": db}
		var created adminKeyJSON
		mustJSON(t, &created, env, "adminkeys", "create", "--name", " ops team ")
		if !strings.HasPrefix(created.Key, storage.PrefixAdminKey) || created.ID == "" || created.Name != "ops team" ||
			!strings.HasPrefix(created.Key, created.Prefix) || len(created.Prefix) >= len(created.Key) ||
			created.LastUsedAt != nil || created.RevokedAt != nil {
			t.Fatalf("created %+v", created)
		}
		st := openDB(t, db)
		ctx := context.Background()
		stored, err := st.GetAdminKeyByHash(ctx, storage.HashSecret(created.Key))
		if err != nil || stored.ID != created.ID {
			t.Fatalf("stored %+v, %v", stored, err)
		}

		srv := providertest.Start(t, st, providertest.Options{})
		call := func() int {
			req, err := http.NewRequestWithContext(ctx, "GET", srv.HTTP.URL+"/admin/v1/apps", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+created.Key)
			res, err := srv.HTTP.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		if got := call(); got != http.StatusOK {
			t.Fatalf("the admin API answered %d to a new key", got)
		}

		table := mustRun(t, env, "adminkeys", "list")
		if !strings.Contains(table, created.ID) || !strings.Contains(table, "ops team") || strings.Contains(table, created.Key) {
			t.Fatalf("list:\n%s", table)
		}
		var list []adminKeyJSON
		mustJSON(t, &list, env, "adminkeys", "list")
		if len(list) != 1 || list[0].ID != created.ID || list[0].Key != "" || list[0].LastUsedAt == nil || list[0].RevokedAt != nil {
			t.Fatalf("list %+v", list)
		}

		out := mustRun(t, env, "adminkeys", "revoke", created.ID)
		if !strings.Contains(out, "revoked admin key "+created.ID) {
			t.Fatalf("revoke printed %q", out)
		}
		if got := call(); got != http.StatusUnauthorized {
			t.Fatalf("the admin API answered %d to a revoked key", got)
		}
		var again map[string]any
		mustJSON(t, &again, env, "adminkeys", "revoke", created.ID)
		if again["already_revoked"] != true || again["revoked"] != true {
			t.Fatalf("revoking twice: %v", again)
		}
		mustJSON(t, &list, env, "adminkeys", "list")
		if len(list) != 1 || list[0].RevokedAt == nil {
			t.Fatalf("a revoked key is listed as %+v", list)
		}
		if types := auditTypes(t, st); !slices.Equal(types, []string{"adminkey.created", "adminkey.revoked"}) {
			t.Fatalf("audit %q", types)
		}

		// Refusals name the bad value and write nothing.
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"adminkeys", "create"}, `"name" not set`},
			{[]string{"adminkeys", "create", "--name", " "}, "--name is required"},
			{[]string{"adminkeys", "create", "--name", strings.Repeat("n", 101)}, "longer than 100"},
			{[]string{"adminkeys", "create", "--name", "a\x01b"}, "control character"},
			{[]string{"adminkeys", "revoke", "nope"}, `admin key "nope" not found`},
			{[]string{"adminkeys", "revoke"}, "accepts 1 arg"},
		} {
			res := run(t, env, tc.args...)
			if res.err == nil || !strings.Contains(res.err.Error(), tc.want) {
				t.Errorf("%v: error %v, want %q", tc.args, res.err, tc.want)
			}
		}
		if keys, err := st.ListAdminKeys(ctx); err != nil || len(keys) != 1 {
			t.Fatalf("refusals left %d keys (%v)", len(keys), err)
		}
		if types := auditTypes(t, st); len(types) != 2 {
			t.Fatalf("refusals were audited: %q", types)
		}
	})
}
