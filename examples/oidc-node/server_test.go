//go:build e2e

package oidcnode_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
)

// TestStartRefusesBadConfig starts the app with a configuration that
// cannot work: it refuses to start, naming every problem at once, and
// shows no secret.
func TestStartRefusesBadConfig(t *testing.T) {
	dir := nodeDir(t)
	cases := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"nothing set", nil, []string{
			"CLIENT_ID is required",
			"CLIENT_SECRET (or CLIENT_SECRET_FILE) is required",
		}},
		{"everything wrong", map[string]string{
			"ISSUER":                   "http://id.example.com",
			"CLIENT_SECRET":            "pbcs_not-to-be-shown",
			"CLIENT_SECRET_FILE":       "/nonexistent",
			"PORT":                     "http",
			"REDIRECT_URI":             "http://localhost:3000/oidc",
			"POST_LOGOUT_REDIRECT_URI": "http://localhost:4000/",
			"STEP_UP_ACR":              "aal3",
		}, []string{
			`ISSUER: "http://id.example.com" must be https (http only on localhost)`,
			"CLIENT_ID is required",
			"set CLIENT_SECRET or CLIENT_SECRET_FILE, not both",
			`PORT "http" is not a port number`,
			`REDIRECT_URI "http://localhost:3000/oidc" must end in /callback`,
			`POST_LOGOUT_REDIRECT_URI "http://localhost:4000/" must be on this app's origin http://localhost:3000`,
			`STEP_UP_ACR "aal3" is not one of phr, phrh`,
		}},
		{"an empty secret file", map[string]string{
			"CLIENT_ID":          "c",
			"CLIENT_SECRET_FILE": emptyFile(t),
		}, []string{"CLIENT_SECRET_FILE: ", " is empty"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), exampletest.WaitLimit)
			defer cancel()
			cmd := exec.CommandContext(ctx, "node", "server.js")
			cmd.Dir = dir
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			for k, v := range tc.env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Fatalf("node server.js: %v, want exit status 2\n%s", err, out)
			}
			if !strings.HasPrefix(string(out), "oidc-node: invalid configuration:\n") {
				t.Errorf("output does not start with the refusal:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(string(out), "not-to-be-shown") {
				t.Errorf("output shows the secret:\n%s", out)
			}
		})
	}
}

// TestPassbridgeUnreachable runs the app with passbridge down: its pages
// still answer, with their security headers, and a sign-in says that the
// sign-in service cannot be reached.
func TestPassbridgeUnreachable(t *testing.T) {
	dir := nodeDir(t)
	_, issuer := exampletest.FreePort(t) // nothing listens there
	port, site := exampletest.FreePort(t)
	exampletest.StartNode(t, dir, "server.js", site, map[string]string{
		"ISSUER": issuer, "CLIENT_ID": "c", "CLIENT_SECRET": "s", "PORT": port, "BASE_URL": site,
	})
	client := &http.Client{
		Timeout:       exampletest.WaitLimit,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	res, body := get(t, client, site+"/")
	wantHeaders := map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' " + issuer +
			"; base-uri 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "same-origin",
		"Cross-Origin-Opener-Policy": "same-origin",
		"Cache-Control":              "no-store",
	}
	for k, v := range wantHeaders {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `id="sign-in"`) || strings.Contains(body, "<script") ||
		strings.Contains(body, "style=") {
		t.Errorf("GET /: %d\n%s", res.StatusCode, body)
	}

	res, body = get(t, client, site+"/login")
	if res.StatusCode != http.StatusBadGateway || !strings.Contains(body, `data-code="passbridge_unavailable"`) ||
		!strings.Contains(body, "The sign-in service cannot be reached right now. Try again in a moment.") {
		t.Errorf("GET /login: %d\n%s", res.StatusCode, body)
	}
	if c := res.Header.Values("Set-Cookie"); len(c) != 0 {
		t.Errorf("GET /login set cookies %q without a sign-in under way", c)
	}
}

// nodeDir is the example's directory, its packages installed.
func nodeDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	exampletest.NPMInstall(t, dir)
	return dir
}

func emptyFile(t *testing.T) string {
	name := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(name, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func get(t *testing.T, client *http.Client, url string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}
