//go:build e2e

// Package compose_test runs the repository's docker-compose.yml without
// Docker: the services built from this repository (passbridge, its setup,
// oidc-go) run as local processes with the commands, environments, health
// check and start order the file gives them, on the test's PostgreSQL
// instead of the postgres service, and a browser signs in through them.
package compose_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// root is the repository, where docker-compose.yml and the Dockerfiles are.
const root = "../.."

// TestComposeSignIn brings the compose file's services up in compose's
// order (passbridge until healthy, the setup to completion, oidc-go), signs
// up through oidc-go in Chromium, and runs the setup again as a second
// `docker compose up` would: it must create nothing.
func TestComposeSignIn(t *testing.T) {
	if os.Getenv(sqlstoretest.EnvPostgresDSN) == "" {
		t.Skip(sqlstoretest.EnvPostgresDSN + " not set: the compose file's PostgreSQL setup is not tested")
	}
	// As `passbridge keys new-master-key` prints one.
	vars := map[string]string{"PASSBRIDGE_MASTER_KEY": base64.StdEncoding.EncodeToString(storage.RandomBytes(32))}
	if _, err := loadCompose(nil); err == nil || !strings.Contains(err.Error(), "PASSBRIDGE_MASTER_KEY") {
		t.Fatalf("the compose file loads without PASSBRIDGE_MASTER_KEY: %v", err)
	}
	file, err := loadCompose(vars)
	if err != nil {
		t.Fatal(err)
	}
	tab := exampletest.NewTab(t) // skips without Chromium, before the build

	h := newHost(t, file)
	// What the steps below rely on: compose starts passbridge, waits until
	// its health check passes, runs the setup to its end, then starts
	// oidc-go.
	if order := h.startOrder(); !slices.Equal(order, []string{"passbridge", "setup", "oidc-go"}) {
		t.Fatalf("compose starts %v, want passbridge, setup, oidc-go", order)
	}
	for _, dep := range []struct{ svc, on, condition string }{
		{"setup", "passbridge", "service_healthy"},
		{"oidc-go", "passbridge", "service_healthy"},
		{"oidc-go", "setup", "service_completed_successfully"},
	} {
		if got := h.file.Services[dep.svc].DependsOn[dep.on].Condition; got != dep.condition {
			t.Errorf("%s depends on %s with condition %q, want %s", dep.svc, dep.on, got, dep.condition)
		}
	}
	pb, setup, app := h.service("passbridge"), h.service("setup"), h.service("oidc-go")

	// The health check fails while nothing answers it.
	if out, err := h.healthcheck(pb); err == nil {
		t.Fatalf("the health check passed with nothing listening:\n%s", out)
	}
	exited := h.start(pb)
	h.waitHealthy(pb, exited)

	out, err := h.runOnce(setup)
	if err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	i := slices.Index(setup.Command, "--output-file")
	if i < 0 || i+1 == len(setup.Command) {
		t.Fatalf("the setup writes no client file: %q", setup.Command)
	}
	clientFile := h.hostPath(setup, setup.Command[i+1])
	saved := readClient(t, clientFile)
	if strings.Contains(out, saved.ClientSecret) {
		t.Errorf("the setup's output (compose's log) shows the client secret:\n%s", out)
	}
	keyFile := h.hostPath(pb, "/data/default-app-api-key")
	if _, err := os.Stat(keyFile); err != nil {
		t.Errorf("the default app's API key is not in passbridge's data volume: %v", err)
	}

	exited = h.start(app)
	site := origin(t, app.env["OIDC_REDIRECT_URL"])
	waitAnswers(t, site+"/", exited)

	tab.Navigate(site + "/")
	tab.Click("sign-up")
	tab.PasskeyUntilBack(site + "/")
	sub := tab.Eval(`document.querySelector('[data-claim="sub"]')?.textContent ?? ""`)
	if !strings.HasPrefix(sub, "pb_") {
		t.Fatalf("signed up as %q (at %s)", sub, tab.Href())
	}

	st, err := sqlstore.Open(t.Context(), h.databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.GetUserByExternalID(t.Context(), saved.AppID, sub); err != nil {
		t.Errorf("user %s of the default app in the database: %v", sub, err)
	}

	// A second `docker compose up` runs the setup again.
	before, _ := os.ReadFile(clientFile)
	if out, err := h.runOnce(setup); err != nil {
		t.Fatalf("setup, again: %v\n%s", err, out)
	}
	if after, _ := os.ReadFile(clientFile); string(after) != string(before) {
		t.Errorf("the second setup rewrote the client file:\n%s", after)
	}
	clients, err := st.ListClients(t.Context(), saved.AppID)
	if err != nil || len(clients) != 1 || clients[0].ID != saved.ClientID {
		t.Errorf("the default app's clients after two setups: %d (%v), want the one in the file", len(clients), err)
	}
	if out, err := h.healthcheck(pb); err != nil {
		t.Errorf("the health check of the running passbridge: %v\n%s", err, out)
	}
}

// savedClient is the client file the setup writes.
type savedClient struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	AppID        string `json:"app_id"`
}

func readClient(t *testing.T, path string) savedClient {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the setup's client file: %v", err)
	}
	var c savedClient
	if err := json.Unmarshal(raw, &c); err != nil || c.ClientID == "" || !strings.HasPrefix(c.ClientSecret, storage.PrefixClientSecret) {
		t.Fatalf("the setup's client file holds %s (%v)", raw, err)
	}
	return c
}

func origin(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Fatalf("%q is not an absolute URL", raw)
	}
	return u.Scheme + "://" + u.Host
}

// waitAnswers waits until u answers HTTP, unless its server exits.
func waitAnswers(t *testing.T, u string, exited <-chan struct{}) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(exampletest.WaitLimit)
	for {
		resp, err := client.Get(u)
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("the server of %s exited", u)
		default:
		}
		var opErr *net.OpError
		if time.Now().After(deadline) || !errors.As(err, &opErr) {
			t.Fatalf("%s does not answer: %v", u, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
