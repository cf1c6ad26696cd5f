package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage"
)

// stack is a real passbridge and the example app in front of it, each on
// its own loopback port, as a person runs them: passbridge serve, then the
// app configured with an app ID and API key of passbridge's. passbridge's
// Issuer (its base URL, http://localhost:PORT) is another origin than the
// site's.
type stack struct {
	*exampletest.Passbridge
	// site is the example app's origin, http://localhost:PORT: the origin
	// the browser opens, and the passbridge app's one origin.
	site   string
	appID  string
	apiKey string
	// accountsFile is where the example keeps its accounts.
	accountsFile string
}

// startStack starts passbridge on a real SQLite store, creates an app (RP ID
// localhost, origin the site's) and an API key in the store as
// `passbridge apps create` and `passbridge apikeys create` do, and starts the
// example app against it.
func startStack(t *testing.T) *stack {
	t.Helper()
	return startStackWith(t, stackOptions{})
}

// stackOptions change what startStackWith starts.
type stackOptions struct {
	// now is the example app's clock (nil: time.Now).
	now func() time.Time
	// transactionTTL is how long the passbridge app's transactions last
	// (0: passbridge's default).
	transactionTTL time.Duration
	// userVerification is the passbridge app's user-verification
	// requirement ("": passbridge's default, required).
	userVerification string
	// engine is passbridge's store ("": SQLite).
	engine string
	// wrap, when set, wraps passbridge's handler (to record its calls).
	wrap func(http.Handler) http.Handler
}

// startStackWith is startStack with options.
func startStackWith(t *testing.T, opts stackOptions) *stack {
	t.Helper()
	s := &stack{Passbridge: exampletest.Start(t, exampletest.Options{Engine: opts.engine, Wrap: opts.wrap})}
	ln, site := exampletest.Listen(t)
	app, secret := s.CreateApp(storage.App{
		Name: "flex-go example", RPID: "localhost", Origins: []string{site},
		TransactionTTL: opts.transactionTTL, UserVerification: opts.userVerification,
	})
	s.site, s.appID, s.apiKey = site, app.ID, secret
	s.accountsFile = filepath.Join(t.TempDir(), "accounts.json")
	log := slog.New(slog.NewTextHandler(exampletest.LogWriter(t, "flex-go"), &slog.HandlerOptions{Level: slog.LevelWarn}))
	h, err := newHandler(Config{PassbridgeURL: s.Issuer, AppID: app.ID, APIKey: secret, Logger: log,
		AccountsFile: s.accountsFile, Now: opts.now})
	if err != nil {
		t.Fatal(err)
	}
	exampletest.Serve(t, ln, h)
	return s
}

// appAccepts reports whether the example's accounts file lists deviceID as
// a passkey username's account accepted.
func (s *stack) appAccepts(t *testing.T, username, deviceID string) bool {
	t.Helper()
	raw, err := os.ReadFile(s.accountsFile)
	if err != nil {
		t.Fatal(err)
	}
	var accts map[string]account
	if err := json.Unmarshal(raw, &accts); err != nil {
		t.Fatal(err)
	}
	return slices.Contains(accts[username].Devices, deviceID)
}

// devices lists username's devices straight from passbridge's management
// API, to compare with what the example shows.
func (s *stack) devices(t *testing.T, username string) []map[string]any {
	t.Helper()
	var users struct {
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	}
	s.get(t, "/users?identifier="+url.QueryEscape(username), &users)
	if len(users.Users) != 1 {
		t.Fatalf("passbridge knows %d users %q, want 1", len(users.Users), username)
	}
	var out struct {
		Devices []map[string]any `json:"devices"`
	}
	s.get(t, "/users/"+users.Users[0].ID+"/devices", &out)
	return out.Devices
}

// revoke removes one of username's devices through passbridge's management
// API, as an admin or another part of the app would.
func (s *stack) revoke(t *testing.T, username, deviceID string) {
	t.Helper()
	var users struct {
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	}
	s.get(t, "/users?identifier="+url.QueryEscape(username), &users)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete,
		s.Issuer+"/v1/apps/"+s.appID+"/users/"+users.Users[0].ID+"/devices/"+deviceID, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.apiKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
}

func (s *stack) get(t *testing.T, path string, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.Issuer+"/v1/apps/"+s.appID+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.apiKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}
