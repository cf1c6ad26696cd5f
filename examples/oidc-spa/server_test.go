//go:build e2e

package oidcspa

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
)

// get fetches url with the Host header host ("" keeps the URL's) and
// returns the answer and its body, without following a redirect.
func get(t *testing.T, method, url, host string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
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

// TestServer checks what the Node server answers: the pages under a
// Content-Security-Policy without inline script, the configuration made
// from the environment, the library from node_modules, and nothing else.
func TestServer(t *testing.T) {
	exampletest.NPMInstall(t, ".")
	port, site := exampletest.FreePort(t)
	exampletest.StartNode(t, ".", "server.js", site, map[string]string{
		"ISSUER": "https://id.example.com", "CLIENT_ID": "spa-client", "PORT": port,
	})

	wantCSP := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
		"connect-src 'self' https://id.example.com; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	for _, c := range []struct {
		path, typ, cache, body string
	}{
		{"/", "text/html; charset=utf-8", "no-store", `<script type="module" src="/app.js"></script>`},
		{"/callback.html", "text/html; charset=utf-8", "no-store", `<script type="module" src="/callback.js"></script>`},
		{"/config.js", "text/javascript; charset=utf-8", "no-store", `"redirectUri": "` + site + `/callback.html"`},
		{"/app.js", "text/javascript; charset=utf-8", "no-cache", "signinRedirect"},
		{"/auth.js", "text/javascript; charset=utf-8", "no-cache", "UserManager"},
		{"/app.css", "text/css; charset=utf-8", "no-cache", "[hidden]"},
		{"/vendor/oidc-client-ts.min.js", "text/javascript; charset=utf-8", "no-cache", "signinRedirectCallback"},
	} {
		res, body := get(t, http.MethodGet, site+c.path, "")
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", c.path, res.StatusCode)
			continue
		}
		for name, want := range map[string]string{
			"Content-Type": c.typ, "Cache-Control": c.cache, "Content-Security-Policy": wantCSP,
			"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
		} {
			if got := res.Header.Get(name); got != want {
				t.Errorf("GET %s: %s = %q, want %q", c.path, name, got, want)
			}
		}
		if !strings.Contains(body, c.body) {
			t.Errorf("GET %s: no %q in the body", c.path, c.body)
		}
	}
	_, config := get(t, http.MethodGet, site+"/config.js", "")
	for _, want := range []string{`"issuer": "https://id.example.com"`, `"clientId": "spa-client"`, `"postLogoutRedirectUri": "` + site + `/"`} {
		if !strings.Contains(config, want) {
			t.Errorf("config.js has no %s:\n%s", want, config)
		}
	}

	// Nothing beside the listed files: not the server, the package files,
	// node_modules or public/ by another name.
	for _, path := range []string{"/server.js", "/package.json", "/package-lock.json", "/node_modules/oidc-client-ts/package.json",
		"/public/app.js", "/%2e%2e/server.js", "/vendor/../server.js", "/index.html/", "/vendor/oidc-client-ts.js"} {
		if res, _ := get(t, http.MethodGet, site+path, ""); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
		}
	}
	if res, _ := get(t, http.MethodGet, site+"//", ""); res.StatusCode != http.StatusBadRequest {
		t.Errorf("GET //: %d, want 400", res.StatusCode)
	}
	if res, _ := get(t, http.MethodPost, site+"/", ""); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d, Allow %q; want 405, GET, HEAD", res.StatusCode, res.Header.Get("Allow"))
	}
	// Opened at another host name, the app goes to its own: only that one's
	// redirect URIs are registered.
	res, _ := get(t, http.MethodGet, site+"/callback.html?code=x", "127.0.0.1:"+port)
	if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != site+"/callback.html" {
		t.Errorf("GET at 127.0.0.1: %d to %q, want 308 to %s/callback.html", res.StatusCode, res.Header.Get("Location"), site)
	}
}

// TestConfigProblems starts the server with a bad environment: it reports
// every problem at once and does not start.
func TestConfigProblems(t *testing.T) {
	exampletest.NPMInstall(t, ".")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "server.js")
	cmd.Env = append(os.Environ(), "ISSUER=ftp://id.example.com/", "CLIENT_ID=", "PORT=99999",
		"APP_URL=http://app.example.com/spa")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("node server.js with a bad environment: %v, want exit status 2\n%s", err, out)
	}
	for _, want := range []string{
		`ISSUER "ftp://id.example.com/" must be https://`,
		`ISSUER "ftp://id.example.com/" must be passbridge's issuer exactly`,
		"CLIENT_ID is required",
		`PORT "99999" is not a port number`,
		`APP_URL "http://app.example.com/spa" must be https://`,
		`APP_URL "http://app.example.com/spa" must be an origin`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "open http") {
		t.Errorf("the server started:\n%s", out)
	}
}
