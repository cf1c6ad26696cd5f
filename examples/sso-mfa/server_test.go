package main

import (
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage"
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
// configured with them. passbridge's Issuer is http://localhost:PORT; its
// app's origin is the issuer's. Its Clock is the app's too.
type stack struct {
	*exampletest.Passbridge
	t *testing.T
	// site is the example app's origin, http://localhost:PORT.
	site   string
	app    storage.App
	client storage.Client
	secret string
	// usersFile is the example's users file; passwords are its users'
	// passwords, by username.
	usersFile string
	passwords map[string]string
	// logs is everything the example app logged.
	logs *exampletest.Log
}

// startStack starts passbridge on a real SQLite store, creates an app with
// sign-up closed and a confidential client as the CLI does, writes a users
// file, and starts the example app against them.
func startStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{Passbridge: exampletest.Start(t, exampletest.Options{}), t: t, passwords: map[string]string{}}
	ln, site := exampletest.Listen(t)
	s.site = site
	// passbridge apps create --name "SSO MFA" --rp-id localhost --origin
	// ISSUER: passkeys on the issuer's origin, sign-up closed, so that only
	// a request object this app signed adds a passkey to anyone.
	s.app, _ = s.CreateApp(storage.App{Name: "SSO MFA", RPID: "localhost", Origins: []string{s.Issuer}, AllowSignup: false})
	// passbridge clients create --app APP_ID --redirect-uri SITE/callback
	// --post-logout-redirect-uri SITE/: a confidential client
	// (client_secret_basic) whose secret, sealed with the master key, also
	// verifies HS256 request objects.
	s.client, s.secret = s.CreateClient(storage.Client{
		AppID: s.app.ID, Name: "sso-mfa example", AuthMethod: storage.AuthMethodBasic,
		RedirectURIs: []string{site + "/callback"}, PostLogoutRedirectURIs: []string{site + "/"},
	})

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

	s.logs = exampletest.LogWriter(t, "sso-mfa")
	h, err := newHandler(Config{
		Issuer: s.Issuer, ClientID: s.client.ID, ClientSecret: s.secret,
		RedirectURL: site + "/callback", PostLogoutRedirectURL: site + "/", UsersFile: s.usersFile,
		Now: s.Clock.Now, Logger: slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	exampletest.Serve(t, ln, h)
	return s
}

// sessions lists passbridge's sessions of the user with externalID; none
// if passbridge does not know the user.
func (s *stack) sessions(externalID string) []storage.Session {
	s.t.Helper()
	if !s.knows(externalID) {
		return nil
	}
	return s.Sessions(s.app.ID, externalID)
}

// devices lists passbridge's passkeys of the user with externalID; none
// if passbridge does not know the user.
func (s *stack) devices(externalID string) []storage.Device {
	s.t.Helper()
	if !s.knows(externalID) {
		return nil
	}
	return s.Devices(s.app.ID, externalID)
}

// knows says whether passbridge has a user with externalID.
func (s *stack) knows(externalID string) bool {
	s.t.Helper()
	_, err := s.Store.GetUserByExternalID(s.t.Context(), s.app.ID, externalID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		s.t.Fatal(err)
	}
	return err == nil
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
