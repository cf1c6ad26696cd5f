package cli

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/storage"
)

func createApp(t *testing.T, db string) string {
	t.Helper()
	var app appJSON
	mustJSON(t, &app, nil, "apps", "create", "--database-url", db, "--name", "App", "--rp-id", "localhost", "--origin", "http://localhost:3000")
	return app.ID
}

func TestAPIKeys(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		appID := createApp(t, db)
		ctx := context.Background()

		var created apiKeyJSON
		mustJSON(t, &created, nil, "apikeys", "create", "--database-url", db, "--app", appID, "--name", "backend")
		if !strings.HasPrefix(created.Key, storage.PrefixAPIKey) || created.ID == "" || created.Name != "backend" ||
			created.AppID != appID || !strings.HasPrefix(created.Key, created.Prefix) || len(created.Prefix) >= len(created.Key) {
			t.Fatalf("created: %+v", created)
		}

		// Only the digest is stored, and it is the key's.
		st := openDB(t, db)
		stored, err := st.GetAPIKeyByHash(ctx, storage.HashSecret(created.Key))
		if err != nil || stored.ID != created.ID || !storage.SecretMatches(created.Key, stored.Hash) {
			t.Fatalf("stored key: %+v, %v", stored, err)
		}
		if bytes.Contains(stored.Hash, []byte(created.Key)) || stored.Prefix != created.Prefix {
			t.Fatalf("stored %+v", stored)
		}

		// Listings never show the key.
		for _, args := range [][]string{{"--json"}, {}} {
			out := mustRun(t, nil, append([]string{"apikeys", "list", "--database-url", db, "--app", appID}, args...)...)
			if strings.Contains(out, created.Key) || !strings.Contains(out, created.ID) || !strings.Contains(out, created.Prefix) {
				t.Fatalf("list %v:\n%s", args, out)
			}
		}
		// Human creation shows the key once and says so on stderr.
		res := run(t, nil, "apikeys", "create", "--database-url", db, "--app", appID, "--name", "second")
		if res.err != nil || !strings.Contains(res.stdout, "key:") || !strings.Contains(res.stderr, "cannot be shown again") {
			t.Fatalf("human create: %v\n%s\n%s", res.err, res.stdout, res.stderr)
		}
		var keys []apiKeyJSON
		mustJSON(t, &keys, nil, "apikeys", "list", "--database-url", db, "--app", appID)
		if len(keys) != 2 || keys[0].ID != created.ID || keys[0].LastUsedAt != nil {
			t.Fatalf("list: %+v", keys)
		}

		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"create", "--app", "nosuchapp", "--name", "x"}, `app "nosuchapp" not found`},
			{[]string{"create", "--app", appID}, `"name" not set`},
			{[]string{"create", "--app", appID, "--name", " "}, "--name is required"},
			{[]string{"list", "--app", "nosuchapp"}, `app "nosuchapp" not found`},
			{[]string{"revoke", "--app", appID, "nosuchkey"}, `api key "nosuchkey" not found in app "` + appID + `"`},
			{[]string{"revoke", "--app", "otherapp", created.ID}, `api key "` + created.ID + `" not found in app "otherapp"`},
		} {
			res := run(t, nil, append(append([]string{"apikeys"}, tt.args...), "--database-url", db)...)
			if res.err == nil || !strings.Contains(res.err.Error(), tt.want) {
				t.Errorf("apikeys %v: error %v, want %q", tt.args, res.err, tt.want)
			}
		}

		mustRun(t, nil, "apikeys", "revoke", "--database-url", db, "--app", appID, created.ID)
		if _, err := st.GetAPIKeyByHash(ctx, storage.HashSecret(created.Key)); err == nil {
			t.Fatalf("revoked key still found")
		}
		want := []string{"app.created", "apikey.created", "apikey.created", "apikey.revoked"}
		if types := auditTypes(t, st); !reflect.DeepEqual(types, want) {
			t.Fatalf("audit: %v, want %v", types, want)
		}
	})
}
