package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

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

// testUsers are the app's users in every stack; each gets a random
// password.
var testUsers = []user{
	{ID: "u-alice", Username: "alice", Name: "Alice"},
	{ID: "u-bob", Username: "bob", Name: "Bob"},
	{ID: "u-carol", Username: "carol", Name: "Carol"},
}

// stack is a real passbridge and the example app in front of it, each on
// its own loopback port, as a person runs them: passbridge serve, an app
// for MFA with sign-up closed and a confidential client created with
// passbridge's CLI, a users file made with add-user, then the example
// configured with them.
type stack struct {
	t *testing.T
	// issuer is passbridge's issuer, http://localhost:PORT; the passbridge
	// app's origin is the issuer's.
	issuer string
	// site is the example app's origin, http://localhost:PORT.
	site   string
	store  storage.Store
	app    storage.App
	client storage.Client
	secret string
	clock  *testClock
	// usersFile is the example's users file; passwords are its users'
	// passwords, by username.
	usersFile string
	passwords map[string]string
	// logs is everything the example app logged.
	logs *syncBuffer
}

// startStack starts passbridge on a real SQLite store (OIDC provider, login
// page, Flex client API), creates an app with sign-up closed and a
// confidential client as the CLI does, writes a users file, and starts the
// example app against them.
func startStack(t *testing.T) *stack {
	t.Helper()
	ctx := t.Context()
	pbLog := slog.New(slog.NewTextHandler(testWriter{t, "passbridge"}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	clock := &testClock{}
	s := &stack{t: t, clock: clock, logs: &syncBuffer{}, passwords: map[string]string{}}

	s.store = sqlstoretest.Open(t, sqlstoretest.SQLite)
	svc, err := ceremony.New(ceremony.Config{Store: s.store, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
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
	// passbridge apps create --name "SSO MFA" --rp-id localhost --origin
	// ISSUER: passkeys on the issuer's origin, sign-up closed, so that only
	// a request object this app signed adds a passkey to anyone.
	s.app, err = ceremony.PrepareApp(storage.App{ID: storage.NewID(), Name: "SSO MFA", RPID: "localhost",
		Origins: []string{s.issuer}, AllowSignup: false, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.store.CreateApp(ctx, s.app); err != nil {
		t.Fatal(err)
	}
	// passbridge clients create --app APP_ID --redirect-uri SITE/callback
	// --post-logout-redirect-uri SITE/: a confidential client
	// (client_secret_basic) whose secret is kept as a digest and a copy
	// sealed with the master key (which verifies HS256 request objects).
	s.client = storage.Client{
		ID: storage.NewID(), AppID: s.app.ID, Name: "sso-mfa example", AuthMethod: storage.AuthMethodBasic,
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

	// sso-mfa add-user, for each test user (at bcrypt's least cost, which
	// keeps the tests fast; add-user uses passwordCost).
	s.usersFile = filepath.Join(t.TempDir(), "users.json")
	for _, u := range testUsers {
		password := rand.Text()
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		u.PasswordHash = string(hash)
		if err := addUser(s.usersFile, u); err != nil {
			t.Fatal(err)
		}
		s.passwords[u.Username] = password
	}

	appLog := slog.New(slog.NewTextHandler(&teeWriter{s.logs, testWriter{t, "sso-mfa"}}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := newHandler(Config{
		Issuer: s.issuer, ClientID: s.client.ID, ClientSecret: s.secret,
		RedirectURL: s.site + "/callback", PostLogoutRedirectURL: s.site + "/", UsersFile: s.usersFile,
		Now: clock.Now, Logger: appLog,
	})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, siteLn, h)
	return s
}

// sessions lists passbridge's sessions of the user with externalID.
func (s *stack) sessions(externalID string) []storage.Session {
	s.t.Helper()
	u, err := s.store.GetUserByExternalID(s.t.Context(), s.app.ID, externalID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		s.t.Fatal(err)
	}
	list, err := s.store.ListSessions(s.t.Context(), s.app.ID, u.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	return list
}

// devices lists passbridge's passkeys of the user with externalID; none
// if passbridge does not know the user.
func (s *stack) devices(externalID string) []storage.Device {
	s.t.Helper()
	u, err := s.store.GetUserByExternalID(s.t.Context(), s.app.ID, externalID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		s.t.Fatal(err)
	}
	list, err := s.store.ListDevices(s.t.Context(), s.app.ID, u.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	return list
}

// user reads the example's record of a user from its users file.
func (s *stack) user(id string) user {
	s.t.Helper()
	u, err := newUserStore(s.usersFile).byID(id)
	if err != nil {
		s.t.Fatal(err)
	}
	return u
}

// forgetEnrolment clears a user's enrolment flag in the users file, as an
// administrator resetting the user's MFA would.
func (s *stack) forgetEnrolment(id string) {
	s.t.Helper()
	err := newUserStore(s.usersFile).update(func(users []user) ([]user, error) {
		for i := range users {
			if users[i].ID == id {
				users[i].PasskeyEnrolledAt = nil
			}
		}
		return users, nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
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
