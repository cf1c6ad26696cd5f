//go:build e2e

package byonode

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// TestBYONodeFailures checks the site when its passkey service is wrong:
// an API key passbridge refuses is the site's fault (500
// server_misconfigured, the details in the log only, the key nowhere), an
// unreachable passbridge a passing one (502 passkeys_unavailable); and a
// configuration that cannot work stops the site at start, naming every
// problem.
func TestBYONodeFailures(t *testing.T) {
	e := start(t, sqlstoretest.SQLite)
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, extra map[string]string) (*env, *exampletest.Log) {
		port, site := exampletest.FreePort(t)
		vars := map[string]string{
			"PASSBRIDGE_URL": e.pb.Issuer, "PASSBRIDGE_APP_ID": e.app.ID, "PASSBRIDGE_API_KEY": e.apiKey,
			"PORT": port, "SITE_ORIGIN": site, "ACCOUNTS_FILE": filepath.Join(t.TempDir(), "accounts.json"),
		}
		for k, v := range extra {
			vars[k] = v
		}
		log := exampletest.StartNode(t, dir, "server.js", site, vars)
		return &env{pb: e.pb, app: e.app, site: site, rec: e.rec}, log
	}

	for _, tc := range []struct {
		name   string
		env    map[string]string
		status int
		code   string
		log    string
	}{
		{"a wrong API key", map[string]string{"PASSBRIDGE_API_KEY": "pbk_not_a_key_of_this_app"},
			http.StatusInternalServerError, "server_misconfigured", "passbridge refused this site's app ID or API key"},
		{"an unknown app", map[string]string{"PASSBRIDGE_APP_ID": "no_such_app"},
			http.StatusInternalServerError, "server_misconfigured", "passbridge refused this site's app ID or API key"},
		{"passbridge unreachable", map[string]string{"PASSBRIDGE_URL": "http://127.0.0.1:1"},
			http.StatusBadGateway, "passkeys_unavailable", "passbridge call failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site, log := run(t, tc.env)
			c := newClient(t, site)
			for _, r := range []request{
				{Method: http.MethodPost, Path: "/api/passkeys/authenticate/start", Body: map[string]any{}},
				{Method: http.MethodPost, Path: "/api/passkeys/register/start", Body: map[string]any{"username": "nina"}},
			} {
				a := c.do(r)
				if a.Status != tc.status || a.code() != tc.code {
					t.Errorf("%s: %d %s, want %d %s", r.Path, a.Status, a.Body, tc.status, tc.code)
				}
				if strings.Contains(string(a.Body), "pbk_") || strings.Contains(string(a.Body), "127.0.0.1:1") {
					t.Errorf("the answer tells the page too much: %s", a.Body)
				}
			}
			if !strings.Contains(log.String(), tc.log) {
				t.Errorf("the log does not say %q:\n%s", tc.log, log.String())
			}
			if strings.Contains(log.String(), e.apiKey) || strings.Contains(log.String(), "pbk_not_a_key") {
				t.Error("the log shows the API key")
			}
		})
	}

	t.Run("configuration", func(t *testing.T) {
		exampletest.NeedNode(t)
		cmd := exec.CommandContext(t.Context(), "node", "server.js")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PASSBRIDGE_URL=ftp://x", "PASSBRIDGE_APP_ID=", "PASSBRIDGE_API_KEY=",
			"PORT=70000", "SITE_ORIGIN=http://example.com", "ACCOUNTS_FILE="+filepath.Join(t.TempDir(), "a.json"))
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Fatalf("node server.js: %v, want exit status 2\n%s", err, out)
		}
		for _, want := range []string{"PASSBRIDGE_URL", "PASSBRIDGE_APP_ID: required", "PASSBRIDGE_API_KEY: required", "PORT", "SITE_ORIGIN: must be https://"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("the refusal does not name %s:\n%s", want, out)
			}
		}
	})
}
