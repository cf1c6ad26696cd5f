package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

// clientEnv is the environment client commands run in: the database, a
// master key of their own, and a data directory no other test shares.
func clientEnv(t *testing.T, db string) (map[string]string, []byte) {
	t.Helper()
	key := storage.RandomBytes(signing.MasterKeySize)
	return map[string]string{
		"PASSBRIDGE_DATABASE_URL": db,
		"PASSBRIDGE_MASTER_KEY":   base64.StdEncoding.EncodeToString(key),
		"PASSBRIDGE_DATA_DIR":     filepath.Join(t.TempDir(), "data"),
	}, key
}

// publicJWK is a fresh P-256 verification key.
func publicJWK(t *testing.T, kid string) jose.JSONWebKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"}
}

// writeFile writes content to a new file and returns its path.
func writeFile(t *testing.T, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeJWKS writes a key set file.
func writeJWKS(t *testing.T, keys ...jose.JSONWebKey) string {
	t.Helper()
	data, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, data)
}

// comparable is a client as every command prints it: without the secret
// that only the issuing command shows, and with its key set in one form
// (nil for none, as JSON null decodes to "null").
func comparable(c clientJSON) clientJSON {
	c.ClientSecret = ""
	if string(c.JWKS) == "null" {
		c.JWKS = nil
	}
	if string(c.HintJWKS) == "null" {
		c.HintJWKS = nil
	}
	if c.JWKS != nil {
		var b bytes.Buffer
		if err := json.Compact(&b, c.JWKS); err == nil {
			c.JWKS = b.Bytes()
		}
	}
	return c
}

// storedClient reads a client straight from the store.
func storedClient(t *testing.T, st storage.Store, id string) storage.Client {
	t.Helper()
	cl, err := st.GetClient(context.Background(), id)
	if err != nil {
		t.Fatalf("get client %s: %v", id, err)
	}
	return cl
}

// checkSecret checks that secret authenticates the stored client and that
// its sealed copy opens, to the same secret, under the master key.
func checkSecret(t *testing.T, st storage.Store, id, secret string, masterKey []byte) storage.Client {
	t.Helper()
	cl := storedClient(t, st, id)
	if !strings.HasPrefix(secret, storage.PrefixClientSecret) || !storage.SecretMatches(secret, cl.SecretHash) {
		t.Fatalf("secret %q does not match the stored digest", secret)
	}
	opened, err := signing.OpenClientSecret(masterKey, id, cl.SecretSealed)
	if err != nil || opened != secret {
		t.Fatalf("sealed secret opens to %q, %v; want the secret shown", opened, err)
	}
	return cl
}

// checkNoSecretMaterial fails when out, a command's JSON output, shows a
// stored digest or sealed secret, in any encoding or under any key.
func checkNoSecretMaterial(t *testing.T, out string, stored ...storage.Client) {
	t.Helper()
	for _, cl := range stored {
		for _, b := range [][]byte{cl.SecretHash, cl.SecretSealed} {
			if len(b) == 0 {
				continue
			}
			for _, enc := range []string{hex.EncodeToString(b), base64.StdEncoding.EncodeToString(b),
				base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b)} {
				if strings.Contains(out, enc) {
					t.Fatalf("output shows stored secret material:\n%s", out)
				}
			}
		}
	}
	var objs []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &objs); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal([]byte(out), &one); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out)
		}
		objs = append(objs, one)
	}
	for _, o := range objs {
		for k := range o {
			if strings.Contains(k, "hash") || strings.Contains(k, "sealed") || strings.Contains(k, "digest") {
				t.Fatalf("output has a key %q:\n%s", k, out)
			}
		}
	}
}

// storeState is everything a refused command must leave as it was.
type storeState struct {
	Clients []storage.Client
	Events  int
}

func snapshot(t *testing.T, st storage.Store) storeState {
	t.Helper()
	ctx := context.Background()
	apps, err := st.ListApps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var s storeState
	for _, a := range apps {
		cls, err := st.ListClients(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.Clients = append(s.Clients, cls...)
	}
	events, err := st.ListAuditEvents(ctx, storage.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	s.Events = len(events)
	return s
}

// refused runs a command that must fail with an error naming each of want,
// print nothing, and leave the store as it was.
func refused(t *testing.T, st storage.Store, env map[string]string, args []string, want ...string) error {
	t.Helper()
	before := snapshot(t, st)
	res := run(t, env, args...)
	if res.err == nil {
		t.Fatalf("passbridge %q accepted:\n%s", args, res.stdout)
	}
	for _, w := range want {
		if !strings.Contains(res.err.Error(), w) {
			t.Errorf("passbridge %q: error %q does not name %q", args, res.err, w)
		}
	}
	if res.stdout != "" {
		t.Errorf("passbridge %q: a refusal printed %s", args, res.stdout)
	}
	if after := snapshot(t, st); !reflect.DeepEqual(before, after) {
		t.Fatalf("passbridge %q: a refusal changed the store:\nbefore %+v\n after %+v", args, before, after)
	}
	return res.err
}

// Every flag of create comes back from get and list; the secret is shown
// once, authenticates, and opens under the master key; no output shows the
// stored digest or sealed secret.
func TestClients(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		appID := createApp(t, db)
		env, masterKey := clientEnv(t, db)
		st := openDB(t, db)
		jwksFile := writeJWKS(t, publicJWK(t, "k1"), publicJWK(t, "k2"))

		out := mustRun(t, env, "clients", "create", "--app", appID, "--name", " web ",
			"--redirect-uri", "https://rp.example.com/callback", "--redirect-uri", "http://127.0.0.1:5555/cb",
			"--redirect-uri", "https://rp.example.com/callback", "--post-logout-redirect-uri", "https://rp.example.com/",
			"--auth-method", "client_secret_post", "--jwks-file", jwksFile, "--scope", "orders:read", "--scope", "orders:write",
			"--access-token-type", "jwt", "--id-token-lifetime", "10m", "--access-token-lifetime", "15m",
			"--refresh-token-lifetime", "720h", "--require-acr", "phrh", "--require-uv", "--json")
		var created clientJSON
		if err := json.Unmarshal([]byte(out), &created); err != nil {
			t.Fatalf("create: %v\n%s", err, out)
		}
		stored := checkSecret(t, st, created.ClientID, created.ClientSecret, masterKey)
		checkNoSecretMaterial(t, out, stored)
		want := clientJSON{
			ClientID: created.ClientID, AppID: appID, Name: "web", AuthMethod: "client_secret_post",
			RedirectURIs:           []string{"https://rp.example.com/callback", "http://127.0.0.1:5555/cb"},
			PostLogoutRedirectURIs: []string{"https://rp.example.com/"},
			JWKS:                   stored.JWKS, AccessTokenType: "jwt", Scopes: []string{"orders:read", "orders:write"},
			IDTokenLifetimeSeconds: 600, AccessTokenLifetimeSeconds: 900, RefreshTokenLifetimeSeconds: 30 * 24 * 3600,
			RequireACR: "phrh", RequireUV: true, CreatedAt: created.CreatedAt, UpdatedAt: created.UpdatedAt,
		}
		if created.ClientID == "" || created.CreatedAt.IsZero() || !reflect.DeepEqual(comparable(created), comparable(want)) {
			t.Fatalf("created:\n got %+v\nwant %+v", comparable(created), comparable(want))
		}
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(stored.JWKS, &set); err != nil || len(set.Keys) != 2 || set.Keys[0].KeyID != "k1" ||
			set.Keys[1].KeyID != "k2" || !set.Keys[0].IsPublic() {
			t.Fatalf("stored key set %s: %v", stored.JWKS, err)
		}
		if stored.AccessTokenType != "jwt" || stored.AuthMethod != storage.AuthMethodPost {
			t.Fatalf("stored %+v", stored)
		}

		// get and list show the same client, without the secret.
		out = mustRun(t, env, "clients", "get", created.ClientID, "--json")
		checkNoSecretMaterial(t, out, stored)
		var got clientJSON
		if err := json.Unmarshal([]byte(out), &got); err != nil || got.ClientSecret != "" ||
			!reflect.DeepEqual(comparable(got), comparable(created)) {
			t.Fatalf("get (%v):\n got %+v\nwant %+v", err, got, comparable(created))
		}

		// The defaults: client_secret_basic, opaque tokens, the provider's lifetimes.
		var plain clientJSON
		mustJSON(t, &plain, env, "clients", "create", "--app", appID, "--redirect-uri", "https://rp.example.com/cb")
		checkSecret(t, st, plain.ClientID, plain.ClientSecret, masterKey)
		if plain.AuthMethod != "client_secret_basic" || plain.AccessTokenType != "opaque" || comparable(plain).JWKS != nil ||
			plain.JWKSURI != "" || len(plain.Scopes) != 0 || plain.Scopes == nil || plain.IDTokenLifetimeSeconds != 0 ||
			plain.RefreshTokenLifetimeSeconds != 0 || plain.RequireACR != "" || plain.RequireUV || plain.Name != "" {
			t.Fatalf("defaults: %+v", plain)
		}

		// Public clients, and private_key_jwt ones, have no secret.
		out = mustRun(t, env, "clients", "create", "--app", appID, "--public", "--redirect-uri", "http://localhost:8000/callback", "--json")
		var pub clientJSON
		if err := json.Unmarshal([]byte(out), &pub); err != nil || strings.Contains(out, `"client_secret"`) || pub.AuthMethod != "none" {
			t.Fatalf("public client: %v\n%s", err, out)
		}
		var pkjwt clientJSON
		mustJSON(t, &pkjwt, env, "clients", "create", "--app", appID, "--auth-method", "private_key_jwt",
			"--jwks-uri", "https://rp.example.com/.well-known/jwks.json", "--redirect-uri", "http://[::1]:8000/cb")
		if pkjwt.ClientSecret != "" || pkjwt.JWKSURI != "https://rp.example.com/.well-known/jwks.json" || comparable(pkjwt).JWKS != nil {
			t.Fatalf("private_key_jwt client: %+v", pkjwt)
		}
		for _, id := range []string{pub.ClientID, pkjwt.ClientID} {
			if cl := storedClient(t, st, id); cl.SecretHash != nil || cl.SecretSealed != nil {
				t.Fatalf("secretless client %s has a stored secret: %+v", id, cl)
			}
		}

		out = mustRun(t, env, "clients", "list", "--app", appID, "--json")
		checkNoSecretMaterial(t, out, stored, storedClient(t, st, plain.ClientID))
		var list []clientJSON
		if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 4 {
			t.Fatalf("list (%v): %s", err, out)
		}
		if !reflect.DeepEqual(comparable(list[0]), comparable(created)) {
			t.Fatalf("listed:\n got %+v\nwant %+v", comparable(list[0]), comparable(created))
		}
		for _, c := range list {
			if c.ClientSecret != "" {
				t.Fatalf("list shows a secret: %+v", c)
			}
		}

		// People get aligned fields, and the secret once, with a warning.
		res := run(t, env, "clients", "create", "--app", appID, "--redirect-uri", "https://rp.example.com/cb")
		if res.err != nil || !strings.Contains(res.stdout, "client_secret:") || !strings.Contains(res.stdout, storage.PrefixClientSecret) ||
			!strings.Contains(res.stderr, "cannot be shown again") {
			t.Fatalf("human create: %v\n%s\n%s", res.err, res.stdout, res.stderr)
		}
		out = mustRun(t, env, "clients", "get", created.ClientID)
		for _, w := range []string{"require_acr:", "phrh", "jwks:", "2 key(s): k1,k2", "access_token_type:", "jwt",
			"refresh_token_lifetime:", "720h0m0s", "scopes:", "orders:read,orders:write"} {
			if !strings.Contains(out, w) {
				t.Errorf("human get lacks %q:\n%s", w, out)
			}
		}
		if strings.Contains(out, "client_secret:") || strings.Contains(out, created.ClientSecret) {
			t.Fatalf("human get shows the secret:\n%s", out)
		}
		if out := mustRun(t, env, "clients", "list", "--app", appID); !strings.Contains(out, "AUTH METHOD") || !strings.Contains(out, created.ClientID) {
			t.Fatalf("human list:\n%s", out)
		}

		mustRun(t, env, "clients", "delete", created.ClientID)
		if res := run(t, env, "clients", "get", created.ClientID); res.err == nil || !strings.Contains(res.err.Error(), `client "`+created.ClientID+`" not found`) {
			t.Fatalf("get after delete: %v", res.err)
		}
		refused(t, st, env, []string{"clients", "delete", created.ClientID}, `client "`+created.ClientID+`" not found`)
		mustJSON(t, &list, env, "clients", "list", "--app", appID)
		if len(list) != 4 {
			t.Fatalf("list after delete: %+v", list)
		}
		want2 := []string{"app.created", "client.created", "client.created", "client.created", "client.created", "client.created", "client.deleted"}
		if types := auditTypes(t, st); !reflect.DeepEqual(types, want2) {
			t.Fatalf("audit: %v, want %v", types, want2)
		}
	})
}

// Update changes what it is given, a list flag replaces the list, and the
// secret follows the auth method: issued once when one is needed, rotated
// on request, removed when the method has none.
func TestClientsUpdate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		ctx := context.Background()
		appID := createApp(t, db)
		env, masterKey := clientEnv(t, db)
		st := openDB(t, db)

		var created clientJSON
		mustJSON(t, &created, env, "clients", "create", "--app", appID, "--name", "web",
			"--redirect-uri", "https://rp.example.com/cb", "--post-logout-redirect-uri", "https://rp.example.com/",
			"--scope", "orders:read", "--access-token-type", "jwt", "--id-token-lifetime", "10m",
			"--require-acr", "phr", "--require-uv")
		id := created.ClientID
		first := checkSecret(t, st, id, created.ClientSecret, masterKey)

		// One flag: the rest, and the secret, stay.
		var named clientJSON
		mustJSON(t, &named, env, "clients", "update", id, "--name", "web 2")
		want := comparable(created)
		want.Name, want.UpdatedAt = "web 2", named.UpdatedAt
		if named.ClientSecret != "" || !reflect.DeepEqual(comparable(named), want) {
			t.Fatalf("renamed:\n got %+v\nwant %+v", comparable(named), want)
		}
		if cl := storedClient(t, st, id); !bytes.Equal(cl.SecretHash, first.SecretHash) || !bytes.Equal(cl.SecretSealed, first.SecretSealed) {
			t.Fatal("an update without --rotate-secret changed the secret")
		}

		// Every flag at once; empty values clear; private_key_jwt drops the secret.
		out := mustRun(t, env, "clients", "update", id, "--json", "--name", "api",
			"--redirect-uri", "https://rp.example.com/a", "--redirect-uri", "https://rp.example.com/b",
			"--post-logout-redirect-uri", "", "--auth-method", "private_key_jwt", "--jwks-uri", "https://rp.example.com/jwks.json",
			"--scope", "", "--access-token-type", "opaque", "--id-token-lifetime", "0", "--access-token-lifetime", "1h",
			"--refresh-token-lifetime", "8760h", "--require-acr", "", "--require-uv=false")
		var updated clientJSON
		if err := json.Unmarshal([]byte(out), &updated); err != nil {
			t.Fatal(err)
		}
		want = clientJSON{
			ClientID: id, AppID: appID, Name: "api", AuthMethod: "private_key_jwt",
			RedirectURIs: []string{"https://rp.example.com/a", "https://rp.example.com/b"}, PostLogoutRedirectURIs: []string{},
			JWKSURI: "https://rp.example.com/jwks.json", AccessTokenType: "opaque", Scopes: []string{},
			AccessTokenLifetimeSeconds: 3600, RefreshTokenLifetimeSeconds: 365 * 24 * 3600,
			CreatedAt: created.CreatedAt, UpdatedAt: updated.UpdatedAt,
		}
		if !reflect.DeepEqual(comparable(updated), want) {
			t.Fatalf("updated:\n got %+v\nwant %+v", updated, want)
		}
		var got clientJSON
		mustJSON(t, &got, env, "clients", "get", id)
		if !reflect.DeepEqual(comparable(got), comparable(updated)) {
			t.Fatalf("get after update:\n got %+v\nwant %+v", got, updated)
		}
		if cl := storedClient(t, st, id); cl.SecretHash != nil || cl.SecretSealed != nil {
			t.Fatalf("private_key_jwt client kept its secret: %+v", cl)
		}

		// A key file replaces the key set URL.
		jwksFile := writeJWKS(t, publicJWK(t, "k1"))
		mustJSON(t, &got, env, "clients", "update", id, "--jwks-file", jwksFile)
		if got.JWKSURI != "" || comparable(got).JWKS == nil || got.AuthMethod != "private_key_jwt" {
			t.Fatalf("jwks file: %+v", got)
		}

		// Back to a secret: one is issued, shown once.
		var basic clientJSON
		mustJSON(t, &basic, env, "clients", "update", id, "--auth-method", "client_secret_basic")
		second := checkSecret(t, st, id, basic.ClientSecret, masterKey)
		if basic.ClientSecret == created.ClientSecret || storage.SecretMatches(created.ClientSecret, second.SecretHash) {
			t.Fatal("the old secret came back")
		}

		// --rotate-secret: a new digest and a new sealed copy; the old secret stops working.
		out = mustRun(t, env, "clients", "update", id, "--rotate-secret", "--json")
		var rotated clientJSON
		if err := json.Unmarshal([]byte(out), &rotated); err != nil {
			t.Fatal(err)
		}
		third := checkSecret(t, st, id, rotated.ClientSecret, masterKey)
		checkNoSecretMaterial(t, out, second, third)
		if rotated.ClientSecret == basic.ClientSecret || bytes.Equal(third.SecretHash, second.SecretHash) ||
			bytes.Equal(third.SecretSealed, second.SecretSealed) || storage.SecretMatches(basic.ClientSecret, third.SecretHash) {
			t.Fatal("--rotate-secret did not replace both the digest and the sealed secret")
		}
		if rotated.AuthMethod != "client_secret_basic" || rotated.Name != "api" {
			t.Fatalf("rotation changed more than the secret: %+v", rotated)
		}
		res := run(t, env, "clients", "update", id, "--rotate-secret")
		if res.err != nil || !strings.Contains(res.stdout, "client_secret:") || !strings.Contains(res.stderr, "cannot be shown again") {
			t.Fatalf("human rotation: %v\n%s\n%s", res.err, res.stdout, res.stderr)
		}
		third = storedClient(t, st, id)

		// basic to post keeps the secret.
		var post clientJSON
		mustJSON(t, &post, env, "clients", "update", id, "--auth-method", "client_secret_post")
		if cl := storedClient(t, st, id); post.ClientSecret != "" || !bytes.Equal(cl.SecretHash, third.SecretHash) || cl.AuthMethod != storage.AuthMethodPost {
			t.Fatalf("post: %+v", post)
		}
		// --public drops it; --public=false makes a confidential client with a new one.
		var pub clientJSON
		mustJSON(t, &pub, env, "clients", "update", id, "--public")
		if cl := storedClient(t, st, id); pub.AuthMethod != "none" || pub.ClientSecret != "" || cl.SecretHash != nil || cl.SecretSealed != nil {
			t.Fatalf("public: %+v %+v", pub, cl)
		}
		var conf clientJSON
		mustJSON(t, &conf, env, "clients", "update", id, "--public=false")
		checkSecret(t, st, id, conf.ClientSecret, masterKey)
		if conf.AuthMethod != "client_secret_basic" {
			t.Fatalf("--public=false: %+v", conf)
		}

		events, err := st.ListAuditEvents(ctx, storage.AuditQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var issued []string
		for i := len(events) - 1; i >= 0; i-- {
			if e := events[i]; e.Type == "client.updated" {
				if e.Actor != "cli" || e.Detail["client_id"] != id {
					t.Fatalf("event %+v", e)
				}
				issued = append(issued, e.Detail["changed"]+"="+e.Detail["secret_issued"])
			}
		}
		wantIssued := []string{"name=", strings.Join([]string{"name", "redirect-uri", "post-logout-redirect-uri", "auth-method", "jwks-uri",
			"scope", "access-token-type", "id-token-lifetime", "access-token-lifetime", "refresh-token-lifetime", "require-acr", "require-uv"}, ",") + "=",
			"jwks-file=", "auth-method=true", "rotate-secret=true", "rotate-secret=true", "auth-method=", "public=", "public=true"}
		if !reflect.DeepEqual(issued, wantIssued) {
			t.Fatalf("update events:\n got %q\nwant %q", issued, wantIssued)
		}
	})
}

// Refusals name every bad value at once and write nothing.
func TestClientsRefusal(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		appID := createApp(t, db)
		env, _ := clientEnv(t, db)
		st := openDB(t, db)
		var conf, pub clientJSON
		mustJSON(t, &conf, env, "clients", "create", "--app", appID, "--redirect-uri", "https://rp.example.com/cb")
		mustJSON(t, &pub, env, "clients", "create", "--app", appID, "--public", "--redirect-uri", "https://rp.example.com/cb")
		good := writeJWKS(t, publicJWK(t, "good"))

		create := func(args ...string) []string {
			return append([]string{"clients", "create", "--app", appID}, args...)
		}
		update := func(id string, args ...string) []string {
			return append([]string{"clients", "update", id}, args...)
		}
		tests := []struct {
			name string
			args []string
			want []string
		}{
			{"every value bad", create("--name", "bad\x01name",
				"--redirect-uri", "http://rp.example.com/cb", "--redirect-uri", "https://rp.example.com/cb#f", "--redirect-uri", "/relative",
				"--post-logout-redirect-uri", "ftp://x.example.com/", "--auth-method", "magic", "--scope", "bad scope", "--scope", `q"`,
				"--access-token-type", "refresh", "--id-token-lifetime", "30s", "--access-token-lifetime", "25h",
				"--refresh-token-lifetime", "59m", "--require-acr", "loa3", "--jwks-uri", "http://rp.example.com/jwks"),
				[]string{`--name "bad\x01name" contains a control character`, `--redirect-uri "http://rp.example.com/cb": must use https`,
					`"https://rp.example.com/cb#f": must not have a fragment`, `"/relative": must be an absolute URL`,
					`--post-logout-redirect-uri "ftp://x.example.com/"`, `--auth-method "magic"`, `--scope "bad scope"`, `--scope "q\""`,
					`--access-token-type "refresh": want opaque or jwt`, `--id-token-lifetime 30s: want between 1m and 24h`,
					`--access-token-lifetime 25h0m0s`, `--refresh-token-lifetime 59m0s: want between 1h and 8760h`,
					`--require-acr "loa3"`, `--jwks-uri "http://rp.example.com/jwks": must use https`}},
			{"no redirect uri", create(), []string{"at least one --redirect-uri is required"}},
			{"unknown app", []string{"clients", "create", "--app", "nosuchapp", "--redirect-uri", "https://rp.example.com/cb"}, []string{`app "nosuchapp" not found`}},
			{"private_key_jwt without keys", create("--redirect-uri", "https://rp.example.com/cb", "--auth-method", "private_key_jwt"),
				[]string{"private_key_jwt needs the client's public keys"}},
			{"public with a secret method", create("--redirect-uri", "https://rp.example.com/cb", "--public", "--auth-method", "client_secret_basic"),
				[]string{`--public=true contradicts --auth-method "client_secret_basic"`}},
			{"both key sources", create("--redirect-uri", "https://rp.example.com/cb", "--jwks-file", good, "--jwks-uri", "https://rp.example.com/jwks"),
				[]string{"--jwks-file or --jwks-uri, not both"}},
			{"lifetimes", create("--redirect-uri", "https://rp.example.com/cb", "--id-token-lifetime", "1m30.5s", "--access-token-lifetime", "-5m"),
				[]string{"--id-token-lifetime 1m30.5s: want whole seconds", "--access-token-lifetime -5m0s: want between"}},
			{"lifetime not a duration", create("--redirect-uri", "https://rp.example.com/cb", "--refresh-token-lifetime", "forever"),
				[]string{`"forever"`, "--refresh-token-lifetime"}},
			{"rotate on create", create("--redirect-uri", "https://rp.example.com/cb", "--rotate-secret"), []string{"unknown flag: --rotate-secret"}},

			{"update: bad values", update(conf.ClientID, "--redirect-uri", "http://x.example.com/cb", "--scope", "a b", "--require-acr", "x", "--name", "changed"),
				[]string{`--redirect-uri "http://x.example.com/cb"`, `--scope "a b"`, `--require-acr "x"`}},
			{"update: empty redirect", update(conf.ClientID, "--redirect-uri", ""), []string{`--redirect-uri "": must be an absolute URL`}},
			{"update: rotate without a secret", update(pub.ClientID, "--rotate-secret"), []string{"--rotate-secret: a client with auth method none has no secret"}},
			{"update: private_key_jwt without keys", update(conf.ClientID, "--auth-method", "private_key_jwt"), []string{"private_key_jwt needs"}},
			{"update: remove the keys of private_key_jwt", update(conf.ClientID, "--auth-method", "private_key_jwt", "--jwks-file", good, "--jwks-file", ""),
				[]string{"private_key_jwt needs"}},
			{"update: nothing", update(conf.ClientID, "--json"), []string{"nothing to update"}},
			{"update: unknown client", update("nosuchclient", "--name", "x"), []string{`client "nosuchclient" not found`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { refused(t, st, env, tt.args, tt.want...) })
		}

		// A master key other than the store's issues no secret.
		other := map[string]string{}
		for k, v := range env {
			other[k] = v
		}
		other["PASSBRIDGE_MASTER_KEY"] = base64.StdEncoding.EncodeToString(storage.RandomBytes(signing.MasterKeySize))
		for _, args := range [][]string{create("--redirect-uri", "https://rp.example.com/cb"), update(conf.ClientID, "--rotate-secret"),
			update(pub.ClientID, "--auth-method", "client_secret_post")} {
			if err := refused(t, st, other, args); !errors.Is(err, signing.ErrMasterKeyMismatch) {
				t.Errorf("%q with another master key: %v", args, err)
			}
		}
	})
}

// A client's key set holds public signing keys only; each bad key is named.
func TestClientsJWKSFile(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		appID := createApp(t, db)
		env, _ := clientEnv(t, db)
		st := openDB(t, db)

		ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		small, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			t.Fatal(err)
		}
		enc := publicJWK(t, "enc")
		enc.Use = "enc"
		mixed := writeJWKS(t,
			publicJWK(t, "good"),
			jose.JSONWebKey{Key: ec, KeyID: "private", Algorithm: "ES256", Use: "sig"},
			jose.JSONWebKey{Key: []byte("a shared secret of thirty-two b."), KeyID: "hmac", Algorithm: "HS256"},
			jose.JSONWebKey{Key: &small.PublicKey, KeyID: "small", Algorithm: "RS256"},
			enc,
			publicJWK(t, "good"),
		)
		args := func(file string) []string {
			return []string{"clients", "create", "--app", appID, "--redirect-uri", "https://rp.example.com/cb",
				"--auth-method", "private_key_jwt", "--jwks-file", file}
		}
		refused(t, st, env, args(mixed), `key "private" is a private key`, `key "hmac" is a symmetric key`,
			`key "small" is an RSA key of 1024 bits`, `key "enc" has use "enc"`, `key "good": another key has the same kid`)

		// A private key alone, as a key set: refused, and never stored.
		privateOnly := writeJWKS(t, jose.JSONWebKey{Key: ec, KeyID: "only"})
		refused(t, st, env, args(privateOnly), `key "only" is a private key`)

		for name, tt := range map[string]struct {
			file string
			want string
		}{
			"not json":   {writeFile(t, []byte("-----BEGIN PUBLIC KEY-----")), "not a JSON Web Key Set"},
			"single jwk": {writeFile(t, []byte(`{"kty":"EC","crv":"P-256"}`)), "has no keys"},
			"bad key":    {writeFile(t, []byte(`{"keys":[{"kty":"nope"}]}`)), "key 1:"},
			"missing":    {filepath.Join(t.TempDir(), "absent.json"), "no such file"},
			"too large":  {writeFile(t, bytes.Repeat([]byte(" "), maxJWKSBytes+1)), "is larger than 64 KiB"},
		} {
			t.Run(name, func(t *testing.T) { refused(t, st, env, args(tt.file), `--jwks-file "`+tt.file+`"`, tt.want) })
		}

		// Public keys are kept, and nothing private is in what was stored.
		var cl clientJSON
		mustJSON(t, &cl, env, args(writeJWKS(t, publicJWK(t, "a"), publicJWK(t, "b")))...)
		stored := storedClient(t, st, cl.ClientID)
		if bytes.Contains(stored.JWKS, []byte(`"d"`)) || cl.ClientSecret != "" || stored.SecretHash != nil {
			t.Fatalf("stored %s", stored.JWKS)
		}
	})
}

// A public client needs no master key: none is looked for, none is made.
func TestClientsPublicWithoutMasterKey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		appID := createApp(t, db)
		dataDir := filepath.Join(t.TempDir(), "data")
		env := map[string]string{"PASSBRIDGE_DATABASE_URL": db, "PASSBRIDGE_DATA_DIR": dataDir}
		var pub clientJSON
		mustJSON(t, &pub, env, "clients", "create", "--app", appID, "--public", "--redirect-uri", "http://localhost:8000/cb")
		mustJSON(t, &pub, env, "clients", "update", pub.ClientID, "--name", "spa", "--scope", "orders:read")
		if pub.AuthMethod != "none" || pub.Name != "spa" {
			t.Fatalf("public client: %+v", pub)
		}
		if _, err := os.Stat(filepath.Join(dataDir, "master.key")); !os.IsNotExist(err) {
			t.Fatalf("a master key was made for a public client: %v", err)
		}
	})
}
