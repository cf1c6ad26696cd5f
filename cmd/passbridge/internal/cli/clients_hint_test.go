package cli

import (
	"path/filepath"
	"testing"
)

// TestClientsEntra: the Entra shorthand fills the external authentication
// method's profile and redirect URI for its cloud; get and list show it;
// update changes a field of it, and can take it off again. No master key is
// needed (the client has no secret).
func TestClientsEntra(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		appID := createApp(t, db)
		env := map[string]string{"PASSBRIDGE_DATABASE_URL": db, "PASSBRIDGE_DATA_DIR": filepath.Join(t.TempDir(), "data")}
		var cl clientJSON
		mustJSON(t, &cl, env, "clients", "create", "--app", appID, "--name", "Entra",
			"--entra-tenant", "aaaabbbb-0000-cccc-1111-dddd2222eeee", "--entra-app-id", "00001111-aaaa-2222-bbbb-3333cccc4444",
			"--entra-cloud", "usgov", "--hint-enrol")
		want := clientJSON{
			ClientID: cl.ClientID, AppID: appID, Name: "Entra", AuthMethod: "none", Implicit: true,
			RedirectURIs:  []string{"https://login.microsoftonline.us/common/federation/externalauthprovider"},
			HintIssuer:    "https://login.microsoftonline.us/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0",
			HintJWKSURI:   "https://login.microsoftonline.us/aaaabbbb-0000-cccc-1111-dddd2222eeee/discovery/v2.0/keys",
			HintAudience:  "00001111-aaaa-2222-bbbb-3333cccc4444",
			HintTenant:    "aaaabbbb-0000-cccc-1111-dddd2222eeee",
			HintUserClaim: "oid", HintEnrol: true,
		}
		got := cl
		got.PostLogoutRedirectURIs, got.Scopes, got.AccessTokenType, got.CreatedAt, got.UpdatedAt = nil, nil, "", want.CreatedAt, want.UpdatedAt
		if got.ClientSecret != "" || got.Implicit != want.Implicit || got.AuthMethod != want.AuthMethod ||
			got.HintIssuer != want.HintIssuer || got.HintJWKSURI != want.HintJWKSURI || got.HintAudience != want.HintAudience ||
			got.HintTenant != want.HintTenant || got.HintUserClaim != want.HintUserClaim || !got.HintEnrol ||
			len(got.RedirectURIs) != 1 || got.RedirectURIs[0] != want.RedirectURIs[0] {
			t.Fatalf("created %+v\nwant %+v", cl, want)
		}
		var shown clientJSON
		mustJSON(t, &shown, env, "clients", "get", cl.ClientID)
		if shown.HintIssuer != want.HintIssuer || !shown.Implicit || !shown.HintEnrol {
			t.Fatalf("get shows %+v", shown)
		}
		var listed []clientJSON
		mustJSON(t, &listed, env, "clients", "list", "--app", appID)
		if len(listed) != 1 || listed[0].HintTenant != want.HintTenant {
			t.Fatalf("list shows %+v", listed)
		}
		mustJSON(t, &shown, env, "clients", "update", cl.ClientID, "--hint-enrol=false", "--hint-tenant", "")
		if shown.HintEnrol || shown.HintTenant != "" || shown.HintIssuer != want.HintIssuer {
			t.Fatalf("after update: %+v", shown)
		}
		mustJSON(t, &shown, env, "clients", "update", cl.ClientID, "--implicit=false", "--hint-issuer", "", "--hint-jwks-uri", "",
			"--hint-audience", "", "--hint-user-claim", "", "--redirect-uri", "https://rp.example.com/cb")
		if shown.Implicit || shown.HintIssuer != "" || shown.HintJWKSURI != "" || shown.HintAudience != "" {
			t.Fatalf("after taking the profile off: %+v", shown)
		}
	})
}

// TestClientsHintRefusal: every bad combination of the profile's flags is
// refused with all its problems at once, and nothing is stored.
func TestClientsHintRefusal(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		appID := createApp(t, db)
		env, _ := clientEnv(t, db)
		st := openDB(t, db)
		jwks := writeJWKS(t, publicJWK(t, "entra"))
		create := func(args ...string) []string {
			return append([]string{"clients", "create", "--app", appID}, args...)
		}
		entra := []string{"--entra-tenant", "tid", "--entra-app-id", "appid"}
		tests := []struct {
			name string
			args []string
			want []string
		}{
			{"implicit without its settings", create("--implicit", "--redirect-uri", "https://login.example/reply", "--auth-method", "client_secret_basic"),
				[]string{"an implicit client needs --hint-issuer", "needs its hint issuer's keys: give --hint-jwks-uri or --hint-jwks",
					"an implicit client needs --hint-audience", "its auth method must be none, not client_secret_basic"}},
			{"hint settings without implicit", create("--redirect-uri", "https://rp.example.com/cb", "--hint-issuer", "https://login.example/t/v2.0"),
				[]string{"are for an implicit client only: give --implicit too"}},
			{"bad issuer and keys", create("--implicit", "--redirect-uri", "https://login.example/reply", "--hint-issuer", "http://login.example/t?x=1",
				"--hint-jwks-uri", "http://login.example/keys", "--hint-audience", "app", "--hint-user-claim", "o id"),
				[]string{`--hint-issuer "http://login.example/t?x=1": want an https URL without query or fragment`,
					`--hint-jwks-uri "http://login.example/keys": must use https`, `--hint-user-claim "o id"`}},
			{"both key sources", create("--implicit", "--redirect-uri", "https://login.example/reply", "--hint-issuer", "https://login.example/t",
				"--hint-jwks-uri", "https://login.example/keys", "--hint-jwks", jwks, "--hint-audience", "app"),
				[]string{"give --hint-jwks or --hint-jwks-uri, not both"}},
			{"entra with hint flags", create(append(entra, "--hint-issuer", "https://login.example/t")...),
				[]string{"--entra-* fills --implicit and the --hint-* flags: give either, not both"}},
			{"entra half given", create("--entra-tenant", "tid"), []string{"--entra-tenant and --entra-app-id go together"}},
			{"entra bad cloud", create(append(entra, "--entra-cloud", "mars")...), []string{`cloud "mars": want global, usgov or china`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { refused(t, st, env, tt.args, tt.want...) })
		}
	})
}
