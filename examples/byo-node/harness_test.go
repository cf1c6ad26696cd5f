//go:build e2e

package byonode

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage"
)

// env is one run of the example as its README sets it up: passbridge (in
// the test process, on a fresh store), an app whose origin is the site's
// with an API key, and the Node.js app (`node server.js`) on a port of its
// own, configured through its environment.
type env struct {
	pb       *exampletest.Passbridge
	app      storage.App
	apiKey   string
	site     string // the Node.js app's origin, http://localhost:PORT
	accounts string // the app's accounts file
	rec      *recorder
	log      *exampletest.Log // the Node.js app's output
}

// start starts passbridge on engine and the example against it.
func start(t *testing.T, engine string) *env {
	t.Helper()
	rec := &recorder{}
	pb := exampletest.Start(t, exampletest.Options{Engine: engine, Wrap: rec.wrap})
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	exampletest.NPMInstall(t, dir)
	port, site := exampletest.FreePort(t)
	app, key := pb.CreateApp(storage.App{Name: "byo", RPID: "localhost", Origins: []string{site}})
	accounts := filepath.Join(t.TempDir(), "accounts.json")
	log := exampletest.StartNode(t, dir, "server.js", site, map[string]string{
		"PASSBRIDGE_URL":     pb.Issuer,
		"PASSBRIDGE_APP_ID":  app.ID,
		"PASSBRIDGE_API_KEY": key,
		"HOST":               "127.0.0.1",
		"PORT":               port,
		"SITE_ORIGIN":        site,
		"ACCOUNTS_FILE":      accounts,
	})
	return &env{pb: pb, app: app, apiKey: key, site: site, accounts: accounts, rec: rec, log: log}
}

// account is one record of the app's accounts file.
type account struct {
	UserID      string   `json:"userId"`
	Active      bool     `json:"active"`
	Credentials []string `json:"credentials"`
}

// accountsFile reads the app's accounts, by username.
func (e *env) accountsFile(t *testing.T) map[string]account {
	t.Helper()
	raw, err := os.ReadFile(e.accounts)
	if os.IsNotExist(err) {
		return map[string]account{}
	}
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]account
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("accounts file: %v\n%s", err, raw)
	}
	return out
}

// userID is the ID passbridge knows name by: the app's account, active or
// reserved.
func (e *env) userID(t *testing.T, name string) string {
	t.Helper()
	acc, ok := e.accountsFile(t)[name]
	if !ok {
		t.Fatalf("no account or reservation %q in the accounts file", name)
	}
	return acc.UserID
}

// credentialIDs lists the credential IDs (base64url) passbridge holds for
// the user externalID; none for a user passbridge has not seen.
func (e *env) credentialIDs(t *testing.T, externalID string) []string {
	t.Helper()
	if _, err := e.pb.Store.GetUserByExternalID(t.Context(), e.app.ID, externalID); err != nil {
		return nil
	}
	var ids []string
	for _, d := range e.pb.Devices(e.app.ID, externalID) {
		ids = append(ids, b64url(d.CredentialID))
	}
	return ids
}

// recorded is one call passbridge's API key routes saw, and its answer.
type recorded struct {
	Path    string // after /v1/apps/{app_id}/, e.g. "passkeys/register/start"
	Command string // run-command's command
	Origin  string // the request's Origin header: a browser's call has one
	Body    []byte
	Status  int
	Code    string // an error answer's code (REST) or type (command form)
	Error   string // an error answer's message
}

// recorder keeps the calls passbridge's /v1 routes saw, so a test can
// check who made them (this backend: no Origin) and what they carried.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

func (r *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rest, ok := strings.CutPrefix(req.URL.Path, "/v1/apps/")
		if !ok {
			next.ServeHTTP(w, req)
			return
		}
		_, path, _ := strings.Cut(rest, "/")
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		req.Body = io.NopCloser(bytes.NewReader(body))
		cw := &capture{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(cw, req)

		rec := recorded{Path: path, Origin: req.Header.Get("Origin"), Body: body, Status: cw.status}
		var cmd struct{ Command string }
		if path == "run-command" && json.Unmarshal(body, &cmd) == nil {
			rec.Command = cmd.Command
		}
		var answer struct {
			Code, Error, Type string
			Details           struct{ Message string }
		}
		if cw.status >= 400 && json.Unmarshal(cw.body.Bytes(), &answer) == nil {
			rec.Code, rec.Error = answer.Code+answer.Type, answer.Error+answer.Details.Message
		}
		r.mu.Lock()
		r.reqs = append(r.reqs, rec)
		r.mu.Unlock()
	})
}

// take returns the calls recorded since the last take.
func (r *recorder) take() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

// name is how a call reads in a failure: its path, or run-command's
// command.
func (c recorded) name() string {
	if c.Command != "" {
		return c.Command
	}
	return c.Path
}

// names lists the calls' names, in order.
func names(calls []recorded) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.name()
	}
	return out
}

// capture keeps a copy of the status and body written through it.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(status int) {
	c.status = status
	c.ResponseWriter.WriteHeader(status)
}

func (c *capture) Write(p []byte) (int, error) {
	c.body.Write(p)
	return c.ResponseWriter.Write(p)
}
