package main

import (
	"bytes"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/provider/login"
	pboidc "github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/provider/sdk"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
	"github.com/passbridge/passbridge/templates"
)

func TestMain(m *testing.M) {
	// passbridge's OIDC provider logs through slog's default logger, which
	// is global; its refusals are what several tests are about.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// stack is a real passbridge and the example app in front of it, each on
// its own loopback port, as a person runs them: passbridge serve, a client
// created with passbridge clients create, then the app configured with it.
type stack struct {
	t *testing.T
	// issuer is passbridge's issuer, http://localhost:PORT; the passbridge
	// app's origin is the issuer's, as the default app's is.
	issuer string
	// site is the example app's origin, http://localhost:PORT.
	site   string
	store  storage.Store
	svc    *ceremony.Service
	app    storage.App
	client storage.Client
	secret string
	clock  *testClock
	// logs is everything the example app logged.
	logs *syncBuffer
}

// stackOptions change what startStackWith starts.
type stackOptions struct {
	stepUpACR string // STEP_UP_ACR ("": the default)
}

// startStack starts passbridge on a real SQLite store (OIDC provider, login
// page, Flex client API), creates its default app and a confidential
// client as the CLI does, and starts the example app against it.
func startStack(t *testing.T) *stack {
	t.Helper()
	return startStackWith(t, stackOptions{})
}

func startStackWith(t *testing.T, opts stackOptions) *stack {
	t.Helper()
	ctx := t.Context()
	pbLog := slog.New(slog.NewTextHandler(testWriter{t, "passbridge"}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	clock := &testClock{}
	s := &stack{t: t, clock: clock, logs: &syncBuffer{}}

	s.store = sqlstoretest.Open(t, sqlstoretest.SQLite)
	svc, err := ceremony.New(ceremony.Config{Store: s.store, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	s.svc = svc
	pbLn, pbPort := listen(t)
	s.issuer = "http://localhost:" + pbPort
	masterKey := storage.RandomBytes(32)
	keys, err := signing.New(signing.Config{Store: s.store, MasterKey: masterKey, Now: clock.Now, Logger: pbLog})
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	op, err := pboidc.New(pboidc.Deps{Store: s.store, Keys: keys, Issuer: s.issuer, MasterKey: masterKey, Now: clock.Now, Logger: pbLog})
	if err != nil {
		t.Fatal(err)
	}
	page, err := login.New(login.Deps{Store: s.store, Ceremony: svc, Provider: op, Issuer: s.issuer,
		Templates: templates.FS(), Now: clock.Now, Logger: pbLog})
	if err != nil {
		t.Fatal(err)
	}
	server, err := provider.New(provider.Deps{
		Store: s.store, Ceremony: svc, Logger: pbLog, Issuer: s.issuer, MasterKey: masterKey, Now: clock.Now,
		Areas: []provider.Area{
			flexapi.New(flexapi.Deps{Store: s.store, Ceremony: svc, Now: clock.Now, Logger: pbLog, Issuer: s.issuer}),
			sdk.New(), op, page,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, pbLn, server.Handler())

	siteLn, sitePort := listen(t)
	s.site = "http://localhost:" + sitePort
	now := clock.Now()
	// The default app of a first `passbridge serve`: RP ID the issuer's
	// host, origin the issuer's, where the login page runs the ceremonies.
	s.app, err = ceremony.PrepareApp(storage.App{ID: storage.NewID(), Name: "Default app", RPID: "localhost",
		Origins: []string{s.issuer}, AllowSignup: true, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.store.CreateApp(ctx, s.app); err != nil {
		t.Fatal(err)
	}
	// passbridge clients create --app APP_ID --redirect-uri SITE/callback
	// --post-logout-redirect-uri SITE/: a confidential client
	// (client_secret_basic) whose secret is kept as a digest and a copy
	// sealed with the master key.
	s.client = storage.Client{
		ID: storage.NewID(), AppID: s.app.ID, Name: "oidc-go example", AuthMethod: storage.AuthMethodBasic,
		RedirectURIs: []string{s.site + "/callback"}, PostLogoutRedirectURIs: []string{s.site + "/"},
		AccessTokenType: pboidc.AccessTokenOpaque, CreatedAt: now, UpdatedAt: now,
	}
	s.secret, _ = storage.NewSecret(storage.PrefixClientSecret)
	s.client.SecretHash = storage.HashSecret(s.secret)
	if s.client.SecretSealed, err = signing.SealClientSecret(masterKey, s.client.ID, s.secret); err != nil {
		t.Fatal(err)
	}
	if err := s.store.CreateClient(ctx, s.client); err != nil {
		t.Fatal(err)
	}

	appLog := slog.New(slog.NewTextHandler(&teeWriter{s.logs, testWriter{t, "oidc-go"}}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := newHandler(Config{
		Issuer: s.issuer, ClientID: s.client.ID, ClientSecret: s.secret,
		RedirectURL: s.site + "/callback", StepUpACR: opts.stepUpACR,
		Now: clock.Now, Logger: appLog,
	})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, siteLn, h)
	return s
}

// updateClient changes the client as passbridge clients update does.
func (s *stack) updateClient(fn func(c *storage.Client)) {
	s.t.Helper()
	_, err := s.store.UpdateClient(s.t.Context(), s.client.ID, func(c storage.Client) (storage.Client, error) {
		fn(&c)
		return c, nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
}

// sessions lists passbridge's sessions of user externalID.
func (s *stack) sessions(externalID string) []storage.Session {
	s.t.Helper()
	u, err := s.store.GetUserByExternalID(s.t.Context(), s.app.ID, externalID)
	if err != nil {
		s.t.Fatal(err)
	}
	list, err := s.store.ListSessions(s.t.Context(), s.app.ID, u.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	return list
}

// listen opens a loopback listener and returns it with its port.
func listen(t *testing.T) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return ln, port
}

func serve(t *testing.T, ln net.Listener, h http.Handler) {
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
}

// testClock is the real time plus an offset the test moves, shared by
// passbridge and the app. It runs forward only, so that go-webauthn's own
// session expiry (which reads the real clock) agrees.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().UTC().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// testWriter sends log lines to the test log, so a failure shows what
// either server refused and why.
type testWriter struct {
	t    *testing.T
	name string
}

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(w.name + ": " + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// syncBuffer is a log kept for the test to search.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type teeWriter struct {
	buf *syncBuffer
	t   testWriter
}

func (w *teeWriter) Write(p []byte) (int, error) {
	_, _ = w.buf.Write(p)
	return w.t.Write(p)
}
