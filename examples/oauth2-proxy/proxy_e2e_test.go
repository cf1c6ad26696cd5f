//go:build e2e

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// proxyModule is the oauth2-proxy the recipe pins.
const proxyModule = "github.com/oauth2-proxy/oauth2-proxy/v7@v7.15.6"

// upstreamSecret is the proxy's --basic-auth-password and the upstream's
// UPSTREAM_SECRET.
const upstreamSecret = "upstream-secret-0123456789abcdef"

// TestBrowserOAuth2Proxy drives the recipe in headless Chromium with a
// virtual authenticator: oauth2-proxy, built from its pinned module, with
// passbridge as its OpenID Connect provider, in front of the example's
// app. A person enrols a passkey, goes to the proxy, signs in with the
// passkey on passbridge's login page and reaches the app, which shows
// their external ID; the proxy sends anyone without its cookie to sign in,
// the app refuses anyone who bypasses the proxy, and signing out through
// /oauth2/sign_out ends both the proxy's and passbridge's sessions.
func TestBrowserOAuth2Proxy(t *testing.T) {
	for _, engine := range []string{sqlstoretest.SQLite, sqlstoretest.Postgres} {
		t.Run(engine, func(t *testing.T) { testBrowserOAuth2Proxy(t, engine) })
	}
}

func testBrowserOAuth2Proxy(t *testing.T, engine string) {
	bin := proxyBinary(t)
	pb := exampletest.Start(t, exampletest.Options{Engine: engine})
	app := pb.DefaultApp()
	port, proxy := exampletest.FreePort(t)
	// passbridge clients create --app-name "Default app" --redirect-uri
	// PROXY/oauth2/callback --redirect-uri PROXY/ --post-logout-redirect-uri
	// PROXY/ (the second redirect URI is the sign-up link's).
	client, secret := pb.CreateClient(storage.Client{
		AppID: app.ID, Name: "oauth2-proxy", AuthMethod: storage.AuthMethodBasic,
		RedirectURIs:           []string{proxy + "/oauth2/callback", proxy + "/"},
		PostLogoutRedirectURIs: []string{proxy + "/"},
	})

	endSession := pb.Issuer + "/end_session?" + url.Values{
		"client_id": {client.ID}, "post_logout_redirect_uri": {proxy + "/"},
	}.Encode()
	ln, upstream := exampletest.Listen(t)
	exampletest.Serve(t, ln, newHandler(upstreamSecret, endSession))
	issuer, _ := url.Parse(pb.Issuer)
	// The secrets in files and the environment, as the README has them.
	secrets := t.TempDir()
	writeSecret(t, filepath.Join(secrets, "client-secret"), secret)
	writeSecret(t, filepath.Join(secrets, "cookie-secret"), "0123456789abcdef0123456789abcdef")
	startProxy(t, bin, proxy, "127.0.0.1:"+port,
		[]string{"OAUTH2_PROXY_BASIC_AUTH_PASSWORD=" + upstreamSecret},
		"--provider=oidc",
		"--oidc-issuer-url="+pb.Issuer,
		"--client-id="+client.ID,
		"--client-secret-file="+filepath.Join(secrets, "client-secret"),
		"--redirect-url="+proxy+"/oauth2/callback",
		"--upstream="+upstream+"/",
		"--cookie-secret-file="+filepath.Join(secrets, "cookie-secret"),
		// One CSRF cookie per sign-in: two sign-ins under way at once
		// (the post-logout redirect and a typed URL, two tabs) otherwise
		// overwrite each other's PKCE verifier.
		"--cookie-csrf-per-request",
		// The browser's own favicon request would start a second sign-in
		// beside the page's, competing for passbridge's browser cookie on
		// a first visit.
		`--api-route=^/favicon\.ico$`,
		"--email-domain=*",
		"--code-challenge-method=S256",
		"--scope=openid profile",
		// passbridge's ID token has no email; oauth2-proxy refuses a
		// session without one, so sub (the external ID) stands in.
		"--oidc-email-claim=sub",
		"--skip-provider-button",
		"--whitelist-domain="+issuer.Host,
	)

	tab := exampletest.NewTab(t)

	// Sign-up: the recipe's link, a prompt=create request of the proxy's
	// client back to the proxy's front page. The proxy, with no cookie yet,
	// starts its own sign-in, which passbridge's new session answers at
	// once.
	tab.Navigate(pb.Issuer + "/authorize?" + url.Values{
		"client_id": {client.ID}, "redirect_uri": {proxy + "/"},
		"response_type": {"code"}, "scope": {"openid"}, "prompt": {"create"},
	}.Encode())
	tab.PasskeyUntilBack(proxy + "/")
	tab.Until("the upstream's page after the sign-up", `document.getElementById("user")`)
	users, _, err := pb.Store.ListUsers(t.Context(), app.ID, storage.UserQuery{})
	if err != nil || len(users) != 1 {
		t.Fatalf("after the sign-up passbridge has users %v (%v), want one", users, err)
	}
	sub := users[0].ExternalID
	if got := tab.Text("user"); got != sub {
		t.Fatalf("after the sign-up the upstream shows user %q, want the external ID %q", got, sub)
	}

	// Another day: no cookie at either site, so the proxy's sign-in runs
	// the passkey ceremony on passbridge's login page (the page's autofill
	// may answer before the button is pressed: the virtual authenticator
	// consents at once). Only a ceremony makes a new passbridge session.
	clearCookies(t, tab)
	before := sessionIDs(pb, app.ID, sub)
	tab.Navigate(proxy + "/")
	tab.PasskeyUntilBack(proxy + "/")
	tab.Until("the upstream's page", `document.getElementById("user")`)
	if got := tab.Text("user"); got != sub {
		t.Fatalf("the upstream shows user %q, want the external ID %q", got, sub)
	}
	if got := tab.Text("email"); got != sub {
		t.Errorf("the upstream shows email %q, want the external ID %q (--oidc-email-claim=sub)", got, sub)
	}
	signedIn := newSession(t, before, sessionIDs(pb, app.ID, sub))
	if !hasCookie(t, tab, proxy, "_oauth2_proxy") {
		t.Fatal("signed in, but the browser holds no _oauth2_proxy cookie")
	}

	checkRefusals(t, proxy, upstream, pb.Issuer)

	// Sign-out: the proxy clears its cookie and sends the browser to
	// passbridge's end_session, which asks first (no id_token_hint), then
	// ends its session and returns to the proxy, which starts a sign-in:
	// with no session left at either, that takes a new ceremony.
	tab.Click("sign-out")
	tab.Arrive(pb.Issuer + "/end_session")
	if hasCookie(t, tab, proxy, "_oauth2_proxy") {
		t.Error("the proxy's sign-out left its cookie")
	}
	before = sessionIDs(pb, app.ID, sub)
	tab.Click("confirm-sign-out")
	tab.PasskeyUntilBack(proxy + "/")
	tab.Until("the upstream's page after signing in again", `document.getElementById("user")`)
	after := sessionIDs(pb, app.ID, sub)
	if after[signedIn] {
		t.Errorf("passbridge kept the session %s after the sign-out", signedIn)
	}
	newSession(t, before, after)
}

// sessionIDs is the set of passbridge's sessions of app's user externalID.
func sessionIDs(pb *exampletest.Passbridge, appID, externalID string) map[string]bool {
	ids := map[string]bool{}
	for _, s := range pb.Sessions(appID, externalID) {
		ids[s.ID] = true
	}
	return ids
}

// newSession is the one session in after that is not in before: the
// session a passkey ceremony started (a sign-in answered by an existing
// session starts none).
func newSession(t *testing.T, before, after map[string]bool) string {
	t.Helper()
	var fresh []string
	for id := range after {
		if !before[id] {
			fresh = append(fresh, id)
		}
	}
	if len(fresh) != 1 {
		t.Fatalf("passbridge started sessions %v, want one (by a passkey ceremony)", fresh)
	}
	return fresh[0]
}

// checkRefusals checks, outside the browser, that the proxy lets nobody
// through to the upstream without its cookie, and that the upstream
// refuses whoever goes around the proxy.
func checkRefusals(t *testing.T, proxy, upstream, issuer string) {
	t.Helper()
	noRedirect := &http.Client{
		Timeout:       exampletest.WaitLimit,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	get := func(u string, set func(*http.Request)) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		set(req)
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for name, set := range map[string]func(*http.Request){
		"no cookie":     func(*http.Request) {},
		"forged cookie": func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "_oauth2_proxy", Value: "forged"}) },
		"spoofed headers": func(r *http.Request) {
			r.Header.Set("X-Forwarded-User", "someone")
			r.SetBasicAuth("someone", upstreamSecret)
		},
	} {
		res := get(proxy+"/", set)
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, issuer+"/authorize?") {
			t.Errorf("%s: the proxy answered %s, Location %q; want a redirect to passbridge's /authorize", name, res.Status, loc)
		}
	}
	for name, set := range map[string]func(*http.Request){
		"no secret":    func(r *http.Request) { r.Header.Set("X-Forwarded-User", "someone") },
		"wrong secret": func(r *http.Request) { r.Header.Set("X-Forwarded-User", "someone"); r.SetBasicAuth("someone", "guess") },
	} {
		if res := get(upstream+"/", set); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: the upstream answered %s, want 403 Forbidden", name, res.Status)
		}
	}
}

// proxyBinary is oauth2-proxy built from its pinned module, kept under the
// user's cache directory so that only a test run on a fresh machine pays
// for the build (about a minute).
func proxyBinary(t *testing.T) string {
	t.Helper()
	proxyBuild.once.Do(func() { proxyBuild.path, proxyBuild.err = buildProxy() })
	if proxyBuild.err != nil {
		t.Fatalf("build %s: %v", proxyModule, proxyBuild.err)
	}
	return proxyBuild.path
}

// proxyBuild holds the one build of a test run, shared by its subtests.
var proxyBuild struct {
	once sync.Once
	path string
	err  error
}

func buildProxy() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "passbridge-e2e", "oauth2-proxy-v7.15.6")
	bin := filepath.Join(dir, "oauth2-proxy")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Installed into a directory of its own, then moved in whole, so that
	// another package's test run never finds half a binary.
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "install", proxyModule)
	// Module mode outside this repository: oauth2-proxy's own go.mod
	// decides its dependencies, and passbridge's go.mod stays untouched.
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w\n%s", err, out)
	}
	if err := os.Rename(filepath.Join(tmp, "oauth2-proxy"), bin); err != nil {
		return "", err
	}
	return bin, nil
}

// startProxy runs oauth2-proxy listening on addr, with env added to the
// test's environment, logs its output to the test log, waits until it
// answers at origin, and stops it when the test ends.
func startProxy(t *testing.T, bin, origin, addr string, env []string, flags ...string) {
	t.Helper()
	log := exampletest.LogWriter(t, "oauth2-proxy")
	cmd := exec.Command(bin, append([]string{"--http-address=" + addr}, flags...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start oauth2-proxy: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	deadline := time.Now().Add(exampletest.WaitLimit)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case err := <-exited:
			t.Fatalf("oauth2-proxy exited before it answered: %v", err)
		default:
		}
		res, err := client.Get(origin + "/ping")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("oauth2-proxy did not answer at %s/ping: %v", origin, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeSecret writes a secret file as the README makes it: owner-only,
// no trailing newline (oauth2-proxy takes the cookie secret's file byte
// for byte).
func writeSecret(t *testing.T, path, secret string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
}

// clearCookies drops every cookie of the browser's, as a new browser
// session would.
func clearCookies(t *testing.T, tab *exampletest.Tab) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, exampletest.WaitLimit)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatalf("clear cookies: %v", err)
	}
}

// hasCookie reports whether the browser holds a cookie called name for
// site, whatever page the tab shows.
func hasCookie(t *testing.T, tab *exampletest.Tab, site, name string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, exampletest.WaitLimit)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{site}})
	if err != nil {
		t.Fatalf("read cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return true
		}
	}
	return false
}
