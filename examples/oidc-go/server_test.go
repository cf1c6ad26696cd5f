package main

import (
	"log/slog"
	"os"
	"testing"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage"
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
// passbridge's Issuer is http://localhost:PORT; its app's origin is the
// issuer's, as the default app's is. Its Clock is the app's too.
type stack struct {
	*exampletest.Passbridge
	t *testing.T
	// site is the example app's origin, http://localhost:PORT.
	site   string
	app    storage.App
	client storage.Client
	secret string
	// logs is everything the example app logged.
	logs *exampletest.Log
}

// stackOptions change what startStackWith starts.
type stackOptions struct {
	stepUpACR string // STEP_UP_ACR ("": the default)
	engine    string // passbridge's store ("": SQLite)
}

// startStack starts passbridge on a real SQLite store, creates its default
// app and a confidential client as the CLI does, and starts the example app
// against it.
func startStack(t *testing.T) *stack {
	t.Helper()
	return startStackWith(t, stackOptions{})
}

func startStackWith(t *testing.T, opts stackOptions) *stack {
	t.Helper()
	s := &stack{Passbridge: exampletest.Start(t, exampletest.Options{Engine: opts.engine}), t: t}
	ln, site := exampletest.Listen(t)
	s.site = site
	s.app = s.DefaultApp()
	// passbridge clients create --app APP_ID --redirect-uri SITE/callback
	// --post-logout-redirect-uri SITE/: a confidential client
	// (client_secret_basic).
	s.client, s.secret = s.CreateClient(storage.Client{
		AppID: s.app.ID, Name: "oidc-go example", AuthMethod: storage.AuthMethodBasic,
		RedirectURIs: []string{site + "/callback"}, PostLogoutRedirectURIs: []string{site + "/"},
	})

	s.logs = exampletest.LogWriter(t, "oidc-go")
	h, err := newHandler(Config{
		Issuer: s.Issuer, ClientID: s.client.ID, ClientSecret: s.secret,
		RedirectURL: site + "/callback", StepUpACR: opts.stepUpACR,
		Now: s.Clock.Now, Logger: slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	exampletest.Serve(t, ln, h)
	return s
}

// updateClient changes the client as passbridge clients update does.
func (s *stack) updateClient(fn func(c *storage.Client)) {
	s.t.Helper()
	_, err := s.Store.UpdateClient(s.t.Context(), s.client.ID, func(c storage.Client) (storage.Client, error) {
		fn(&c)
		return c, nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
}
