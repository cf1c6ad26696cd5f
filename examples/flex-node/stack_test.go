//go:build e2e

// Package flexnode holds the tests of the flex-node example: a real
// passbridge in the test process, the example's real Node.js process in
// front of it, and Chromium or a software authenticator driving both.
package flexnode

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// engines are the store engines every test runs on; PostgreSQL skips its
// subtest unless PASSBRIDGE_TEST_POSTGRES_DSN is set.
var engines = []string{sqlstoretest.SQLite, sqlstoretest.Postgres}

// forEachEngine runs test as one subtest per store engine.
func forEachEngine(t *testing.T, test func(t *testing.T, engine string)) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { test(t, engine) })
	}
}

// stack is a real passbridge and the example's Node.js process in front of
// it, as a person runs them: passbridge serve, an app and an API key from
// the CLI, then `node server.js` with the app ID and key.
type stack struct {
	p *exampletest.Passbridge
	// site is the example's origin, http://localhost:PORT: the origin the
	// browser opens and the passbridge app's one origin.
	site         string
	appID        string
	apiKey       string
	accountsFile string
	log          *exampletest.Log
}

// startStack starts passbridge on a fresh store of engine, creates an app
// whose one origin is the example's, and starts the example against it.
func startStack(t *testing.T, engine string) *stack {
	t.Helper()
	exampletest.NeedNode(t)
	p := exampletest.Start(t, exampletest.Options{Engine: engine})
	port, site := exampletest.FreePort(t)
	app, key := p.CreateApp(storage.App{Name: "flex-node example", RPID: "localhost", Origins: []string{site}})
	accounts := filepath.Join(t.TempDir(), "accounts.json")
	log := exampletest.StartNode(t, exampleDir(t), "server.js", site, map[string]string{
		"PASSBRIDGE_URL":     p.Issuer,
		"PASSBRIDGE_APP_ID":  app.ID,
		"PASSBRIDGE_API_KEY": key,
		"LISTEN":             "127.0.0.1:" + port,
		"ACCOUNTS_FILE":      accounts,
	})
	return &stack{p: p, site: site, appID: app.ID, apiKey: key, accountsFile: accounts, log: log}
}

// deviceIDs lists the IDs of the passkeys passbridge holds for username,
// read from its store; none when it does not know the user.
func (s *stack) deviceIDs(t *testing.T, username string) []string {
	t.Helper()
	if _, err := s.p.Store.GetUserByExternalID(t.Context(), s.appID, username); err != nil {
		return nil
	}
	var ids []string
	for _, d := range s.p.Devices(s.appID, username) {
		ids = append(ids, d.ID)
	}
	return ids
}

// accepted reports whether the example's accounts file lists deviceID as a
// passkey username's account accepted.
func (s *stack) accepted(t *testing.T, username, deviceID string) bool {
	t.Helper()
	raw, err := os.ReadFile(s.accountsFile)
	if err != nil {
		t.Fatal(err)
	}
	var accounts map[string]struct {
		Devices []string `json:"devices"`
	}
	if err := json.Unmarshal(raw, &accounts); err != nil {
		t.Fatal(err)
	}
	return slices.Contains(accounts[username].Devices, deviceID)
}

// revoke removes one of username's passkeys through passbridge's management
// API, as an administrator or another part of the app would.
func (s *stack) revoke(t *testing.T, username, deviceID string) {
	t.Helper()
	path := s.p.Issuer + "/v1/apps/" + s.appID + "/users/" + url.PathEscape(s.p.User(s.appID, username).ID) +
		"/devices/" + url.PathEscape(deviceID)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.apiKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("revoke %s: %d %s", deviceID, res.StatusCode, body)
	}
}

// exampleDir is the example's directory, where its package.json is.
func exampleDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
