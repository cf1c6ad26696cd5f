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

// testSecret is a client secret of the length passbridge issues.
const testSecret = "pbs_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// usersFileWith writes a users file of one user (password "password1")
// and returns its path.
func usersFileWith(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.json")
	if err := addUser(path, user{ID: "u-1", Username: "dana", PasswordHash: hashForTest(t, "password1")}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigDefaults(t *testing.T) {
	users := usersFileWith(t)
	cfg, err := configFromEnv(env(map[string]string{"OIDC_CLIENT_ID": "client", "OIDC_CLIENT_SECRET": testSecret,
		"USERS_FILE": users}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Issuer: "http://localhost:8080", ClientID: "client", ClientSecret: testSecret,
		RedirectURL: "http://localhost:3002/callback", PostLogoutRedirectURL: "http://localhost:3002/",
		UsersFile: users, Listen: "127.0.0.1:3002"}
	if fmt.Sprint(cfg.LogValue()) != fmt.Sprint(want.LogValue()) || cfg.ClientSecret != want.ClientSecret {
		t.Errorf("defaults: %v", cfg.LogValue())
	}

	// The post-logout URL follows the callback's origin.
	cfg, err = configFromEnv(env(map[string]string{"OIDC_CLIENT_ID": "client", "OIDC_CLIENT_SECRET": testSecret,
		"USERS_FILE": users, "PASSBRIDGE_ISSUER": "https://id.example.com", "OIDC_REDIRECT_URL": "https://intranet.example.com/callback"}))
	if err != nil || cfg.PostLogoutRedirectURL != "https://intranet.example.com/" {
		t.Errorf("post-logout URL %q (%v), want https://intranet.example.com/", cfg.PostLogoutRedirectURL, err)
	}
}

// Every problem is reported at once, each naming its variable.
func TestConfigErrors(t *testing.T) {
	_, err := configFromEnv(env(map[string]string{
		"PASSBRIDGE_ISSUER":             "http://id.example.com",
		"OIDC_REDIRECT_URL":             "http://localhost:3002/auth",
		"OIDC_POST_LOGOUT_REDIRECT_URL": "https://elsewhere.example/",
		"USERS_FILE":                    filepath.Join(t.TempDir(), "missing.json"),
		"LISTEN":                        "3002",
	}))
	if err == nil {
		t.Fatal("a configuration with seven problems was accepted")
	}
	for _, want := range []string{
		`PASSBRIDGE_ISSUER: "http://id.example.com" must be https`,
		"OIDC_CLIENT_ID is required",
		"OIDC_CLIENT_SECRET (or OIDC_CLIENT_SECRET_FILE) is required",
		`OIDC_REDIRECT_URL "http://localhost:3002/auth" must end in /callback`,
		`OIDC_POST_LOGOUT_REDIRECT_URL "https://elsewhere.example/" must be on this app's origin http://localhost:3002`,
		"USERS_FILE: ", "missing.json does not exist: add a user with `go run ./examples/sso-mfa add-user USERNAME`",
		`LISTEN "3002" is not host:port`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}

	_, err = configFromEnv(env(map[string]string{"PASSBRIDGE_ISSUER": "localhost:8080", "OIDC_CLIENT_ID": "c",
		"OIDC_CLIENT_SECRET": "short", "USERS_FILE": usersFileWith(t),
		"OIDC_REDIRECT_URL": "https://user:pw@intranet.example.com/callback#x"}))
	for _, want := range []string{`PASSBRIDGE_ISSUER: "localhost:8080" is not an absolute http(s) URL`,
		`OIDC_REDIRECT_URL: "https://user:pw@intranet.example.com/callback#x" must not carry credentials`,
		"the client secret is shorter than 32 bytes"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

func TestConfigSecretFile(t *testing.T) {
	dir := t.TempDir()
	users := usersFileWith(t)
	file := filepath.Join(dir, "secret")
	if err := os.WriteFile(file, []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	cfg, err := configFromEnv(env(map[string]string{"OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET_FILE": file, "USERS_FILE": users}))
	if err != nil || cfg.ClientSecret != testSecret {
		t.Errorf("secret from a file: %v", err)
	}
	for name, tc := range map[string]struct {
		vars map[string]string
		want string
	}{
		"both":       {map[string]string{"OIDC_CLIENT_SECRET": testSecret, "OIDC_CLIENT_SECRET_FILE": file}, "not both"},
		"no file":    {map[string]string{"OIDC_CLIENT_SECRET_FILE": filepath.Join(dir, "missing")}, "OIDC_CLIENT_SECRET_FILE: open"},
		"empty file": {map[string]string{"OIDC_CLIENT_SECRET_FILE": empty}, "is empty"},
	} {
		tc.vars["OIDC_CLIENT_ID"] = "c"
		tc.vars["USERS_FILE"] = users
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
	log.Info("start", "config", Config{Issuer: "http://localhost:8080", ClientID: "client", ClientSecret: "pbs_topsecret"})
	if strings.Contains(buf.String(), "topsecret") || !strings.Contains(buf.String(), "client_id=client") {
		t.Errorf("logged %s", buf.String())
	}
}
