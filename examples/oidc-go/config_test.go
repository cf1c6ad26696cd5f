package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := configFromEnv(env(map[string]string{"OIDC_CLIENT_ID": "client", "OIDC_CLIENT_SECRET": "pbcs_x"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Issuer: "http://localhost:8080", ClientID: "client", ClientSecret: "pbcs_x",
		RedirectURL: "http://localhost:3001/callback", PostLogoutRedirectURL: "http://localhost:3001/",
		StepUpACR: "phr", Listen: "127.0.0.1:3001"}
	if fmt.Sprint(cfg.LogValue()) != fmt.Sprint(want.LogValue()) || cfg.ClientSecret != want.ClientSecret {
		t.Errorf("defaults: %v", cfg.LogValue())
	}

	// The post-logout URL follows the callback's origin.
	cfg, err = configFromEnv(env(map[string]string{"OIDC_CLIENT_ID": "client", "OIDC_CLIENT_SECRET": "pbcs_x",
		"PASSBRIDGE_ISSUER": "https://id.example.com", "OIDC_REDIRECT_URL": "https://shop.example.com/callback"}))
	if err != nil || cfg.PostLogoutRedirectURL != "https://shop.example.com/" {
		t.Errorf("post-logout URL %q (%v), want https://shop.example.com/", cfg.PostLogoutRedirectURL, err)
	}
}

// Every problem is reported at once, each naming its variable.
func TestConfigErrors(t *testing.T) {
	_, err := configFromEnv(env(map[string]string{
		"PASSBRIDGE_ISSUER":             "http://id.example.com",
		"OIDC_REDIRECT_URL":             "http://localhost:3001/auth",
		"OIDC_POST_LOGOUT_REDIRECT_URL": "https://elsewhere.example/",
		"STEP_UP_ACR":                   "mfa",
		"LISTEN":                        "3001",
	}))
	if err == nil {
		t.Fatal("a configuration with seven problems was accepted")
	}
	for _, want := range []string{
		`PASSBRIDGE_ISSUER: "http://id.example.com" must be https`,
		"OIDC_CLIENT_ID is required",
		"OIDC_CLIENT_SECRET (or OIDC_CLIENT_SECRET_FILE) is required",
		"OIDC_REDIRECT_URL \"http://localhost:3001/auth\" must end in /callback",
		"OIDC_POST_LOGOUT_REDIRECT_URL \"https://elsewhere.example/\" must be on this app's origin http://localhost:3001",
		`STEP_UP_ACR "mfa" is not one of phr, phrh`,
		`LISTEN "3001" is not host:port`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}

	_, err = configFromEnv(env(map[string]string{"PASSBRIDGE_ISSUER": "localhost:8080", "OIDC_CLIENT_ID": "c",
		"OIDC_CLIENT_SECRET": "s", "OIDC_REDIRECT_URL": "https://user:pw@shop.example.com/callback#x"}))
	for _, want := range []string{"PASSBRIDGE_ISSUER: \"localhost:8080\" is not an absolute http(s) URL",
		"OIDC_REDIRECT_URL: \"https://user:pw@shop.example.com/callback#x\" must not carry credentials"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

func TestConfigSecretFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "secret")
	if err := os.WriteFile(file, []byte("pbcs_from_file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	cfg, err := configFromEnv(env(map[string]string{"OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET_FILE": file}))
	if err != nil || cfg.ClientSecret != "pbcs_from_file" {
		t.Errorf("secret from a file: %q %v", cfg.ClientSecret, err)
	}
	for name, tc := range map[string]struct {
		vars map[string]string
		want string
	}{
		"both":       {map[string]string{"OIDC_CLIENT_SECRET": "x", "OIDC_CLIENT_SECRET_FILE": file}, "not both"},
		"no file":    {map[string]string{"OIDC_CLIENT_SECRET_FILE": filepath.Join(dir, "missing")}, "OIDC_CLIENT_SECRET_FILE: open"},
		"empty file": {map[string]string{"OIDC_CLIENT_SECRET_FILE": empty}, "is empty"},
	} {
		tc.vars["OIDC_CLIENT_ID"] = "c"
		_, err := configFromEnv(env(tc.vars))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
		// The file's problem is the one thing said about the secret.
		if err != nil && strings.Contains(err.Error(), "is required") {
			t.Errorf("%s: also says the secret is missing: %v", name, err)
		}
	}
}

// The configuration's log value leaves the secret out.
func TestConfigLogValue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("start", "config", Config{Issuer: "http://localhost:8080", ClientID: "client", ClientSecret: "pbcs_topsecret"})
	if strings.Contains(buf.String(), "topsecret") || !strings.Contains(buf.String(), "client_id=client") {
		t.Errorf("logged %s", buf.String())
	}
}

// TestConfigClientFile: the client's ID and secret from the JSON that
// `passbridge clients create --json` prints (or --output-file writes), and
// every way that file can be wrong.
func TestConfigClientFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// As the CLI prints it, with fields this app does not read.
	file := write("client.json", `{
  "client_id": "c0ffee",
  "client_secret": "pbcs_from_file",
  "app_id": "app1",
  "auth_method": "client_secret_basic",
  "redirect_uris": ["http://localhost:3000/callback"],
  "post_logout_redirect_uris": ["http://localhost:3000/"],
  "jwks": null,
  "require_uv": false
}
`)
	vars := map[string]string{"OIDC_CLIENT_FILE": file, "OIDC_REDIRECT_URL": "http://localhost:3000/callback"}
	cfg, err := configFromEnv(env(vars))
	if err != nil || cfg.ClientID != "c0ffee" || cfg.ClientSecret != "pbcs_from_file" {
		t.Fatalf("client from a file: %q %q %v", cfg.ClientID, cfg.ClientSecret, err)
	}
	// A file that says nothing of the URIs leaves them to passbridge.
	bare := write("bare.json", `{"client_id": "c0ffee", "client_secret": "pbcs_x"}`)
	if _, err := configFromEnv(env(map[string]string{"OIDC_CLIENT_FILE": bare})); err != nil {
		t.Errorf("a file with the ID and secret only: %v", err)
	}

	for name, tc := range map[string]struct {
		vars map[string]string
		want []string
	}{
		"and an ID":         {map[string]string{"OIDC_CLIENT_FILE": file, "OIDC_CLIENT_ID": "c"}, []string{"set OIDC_CLIENT_FILE, or OIDC_CLIENT_ID"}},
		"and a secret":      {map[string]string{"OIDC_CLIENT_FILE": file, "OIDC_CLIENT_SECRET": "s"}, []string{"not both"}},
		"and a secret file": {map[string]string{"OIDC_CLIENT_FILE": file, "OIDC_CLIENT_SECRET_FILE": file}, []string{"not both"}},
		"no file":           {map[string]string{"OIDC_CLIENT_FILE": filepath.Join(dir, "missing")}, []string{"OIDC_CLIENT_FILE: open"}},
		"not JSON":          {map[string]string{"OIDC_CLIENT_FILE": write("text", "pbcs_x\n")}, []string{"is not a client as passbridge clients create --json prints it"}},
		"no ID":             {map[string]string{"OIDC_CLIENT_FILE": write("noid.json", `{"client_secret": "s"}`)}, []string{"has no client_id"}},
		"public client": {map[string]string{"OIDC_CLIENT_FILE": write("public.json", `{"client_id": "c", "auth_method": "none"}`)},
			[]string{"has no client_secret: this app signs in as a confidential client"}},
		"other URLs": {map[string]string{"OIDC_CLIENT_FILE": file, "OIDC_REDIRECT_URL": "http://localhost:3001/callback"}, []string{
			`OIDC_REDIRECT_URL "http://localhost:3001/callback" is not among the client's redirect URIs in OIDC_CLIENT_FILE: http://localhost:3000/callback`,
			`OIDC_POST_LOGOUT_REDIRECT_URL "http://localhost:3001/" is not among the client's post-logout redirect URIs in OIDC_CLIENT_FILE: http://localhost:3000/`,
		}},
		"no post-logout URI": {map[string]string{"OIDC_REDIRECT_URL": "http://localhost:3000/callback",
			"OIDC_CLIENT_FILE": write("nologout.json", `{"client_id": "c", "client_secret": "s", "redirect_uris": ["http://localhost:3000/callback"], "post_logout_redirect_uris": []}`)},
			[]string{`OIDC_POST_LOGOUT_REDIRECT_URL "http://localhost:3000/" is not among the client's post-logout redirect URIs in OIDC_CLIENT_FILE: `}},
	} {
		_, err := configFromEnv(env(tc.vars))
		for _, want := range tc.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v, want %q", name, err, want)
			}
		}
		// The file's problem is the one thing said about the credentials.
		if err != nil && strings.Contains(err.Error(), "is required") {
			t.Errorf("%s: also says a credential is missing: %v", name, err)
		}
	}
}
