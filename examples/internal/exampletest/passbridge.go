package exampletest

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// Passbridge is a running passbridge, as `passbridge serve` runs it, on a
// fresh store of one engine.
type Passbridge struct {
	*providertest.Server
	t testing.TB
}

// Options change what Start starts.
type Options struct {
	// Engine is sqlstoretest.SQLite (the default) or sqlstoretest.Postgres;
	// the latter skips the test when PostgreSQL is not configured.
	Engine string
	// Wrap, when set, wraps passbridge's handler (to record requests).
	Wrap func(http.Handler) http.Handler
	// Logger receives passbridge's logs (nil: warnings and errors go to the
	// test log).
	Logger *slog.Logger
}

// Start starts passbridge on a fresh store and serves it until the test
// ends.
func Start(t testing.TB, opts Options) *Passbridge {
	t.Helper()
	engine := opts.Engine
	if engine == "" {
		engine = sqlstoretest.SQLite
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(LogWriter(t, "passbridge"), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	srv := providertest.Start(t, sqlstoretest.Open(t, engine), providertest.Options{Logger: log, Wrap: opts.Wrap})
	return &Passbridge{Server: srv, t: t}
}

// CreateApp stores app as `passbridge apps create` does (ID, times and the
// defaults filled in; ceremony.PrepareApp's checks) with one API key, and
// returns the app and the key's secret.
func (p *Passbridge) CreateApp(app storage.App) (storage.App, string) {
	p.t.Helper()
	now := p.Clock.Now()
	if app.ID == "" {
		app.ID = storage.NewID()
	}
	app.CreatedAt, app.UpdatedAt = now, now
	app, err := ceremony.PrepareApp(app)
	if err != nil {
		p.t.Fatal(err)
	}
	if err := p.Store.CreateApp(p.t.Context(), app); err != nil {
		p.t.Fatal(err)
	}
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	err = p.Store.CreateAPIKey(p.t.Context(), storage.APIKey{
		ID: storage.NewID(), AppID: app.ID, Name: app.Name, Prefix: prefix,
		Hash: storage.HashSecret(secret), CreatedAt: now,
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return app, secret
}

// DefaultApp stores the app a first `passbridge serve` creates: RP ID the
// issuer's host (localhost), origin the issuer's, where passbridge's own
// pages run the ceremonies; sign-up open.
func (p *Passbridge) DefaultApp() storage.App {
	p.t.Helper()
	app, _ := p.CreateApp(storage.App{Name: "Default app", RPID: "localhost", Origins: []string{p.Issuer}, AllowSignup: true})
	return app
}

// CreateClient stores an OIDC client as `passbridge clients create` does.
// Unless it is public (AuthMethodNone), it gets a new secret, kept as a
// digest and sealed with the master key; the secret is returned.
func (p *Passbridge) CreateClient(c storage.Client) (storage.Client, string) {
	p.t.Helper()
	now := p.Clock.Now()
	if c.ID == "" {
		c.ID = storage.NewID()
	}
	if c.AccessTokenType == "" {
		c.AccessTokenType = oidc.AccessTokenOpaque
	}
	c.CreatedAt, c.UpdatedAt = now, now
	var secret string
	if c.AuthMethod != storage.AuthMethodNone {
		secret, _ = storage.NewSecret(storage.PrefixClientSecret)
		c.SecretHash = storage.HashSecret(secret)
		sealed, err := signing.SealClientSecret(p.MasterKey, c.ID, secret)
		if err != nil {
			p.t.Fatal(err)
		}
		c.SecretSealed = sealed
	}
	if err := p.Store.CreateClient(p.t.Context(), c); err != nil {
		p.t.Fatal(err)
	}
	return c, secret
}

// User is the stored user of app with externalID.
func (p *Passbridge) User(appID, externalID string) storage.User {
	p.t.Helper()
	u, err := p.Store.GetUserByExternalID(p.t.Context(), appID, externalID)
	if err != nil {
		p.t.Fatalf("user %q: %v", externalID, err)
	}
	return u
}

// Devices lists the devices of app's user externalID.
func (p *Passbridge) Devices(appID, externalID string) []storage.Device {
	p.t.Helper()
	list, err := p.Store.ListDevices(p.t.Context(), appID, p.User(appID, externalID).ID)
	if err != nil {
		p.t.Fatal(err)
	}
	return list
}

// Sessions lists passbridge's sessions of app's user externalID.
func (p *Passbridge) Sessions(appID, externalID string) []storage.Session {
	p.t.Helper()
	list, err := p.Store.ListSessions(p.t.Context(), appID, p.User(appID, externalID).ID)
	if err != nil {
		p.t.Fatal(err)
	}
	return list
}

// Listen opens a loopback listener for a site and returns it with the
// site's origin, http://localhost:PORT (localhost is a secure context, and
// the RP ID of the examples' apps).
func Listen(t testing.TB) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return ln, "http://localhost:" + port
}

// Serve serves h on ln until the test ends.
func Serve(t testing.TB, ln net.Listener, h http.Handler) {
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
}

// LogWriter writes each line to the test log behind name, so that a
// failure shows what either server did.
func LogWriter(t testing.TB, name string) *Log {
	l := &Log{t: t, name: name}
	// The test log takes nothing once the test is over.
	t.Cleanup(func() { l.mu.Lock(); l.done = true; l.mu.Unlock() })
	return l
}

// Log is a log kept for the test to search, echoed to the test log.
type Log struct {
	t    testing.TB
	name string
	mu   sync.Mutex
	b    strings.Builder
	done bool
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	if !l.done {
		for line := range strings.Lines(string(p)) {
			l.t.Log(l.name + ": " + strings.TrimRight(line, "\n"))
		}
	}
	return len(p), nil
}

// String is everything written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
