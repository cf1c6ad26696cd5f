package loadflow_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/loadflow"
	pboidc "github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	// op logs refusals through slog's default logger.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// redirectURI is the client's; nothing listens there, the flows read the
// code from the redirect.
const redirectURI = "http://127.0.0.1/loadflow/callback"

// world is a server with an app, an API key and both kinds of clients.
type world struct {
	srv                  *providertest.Server
	app                  storage.App
	key                  string
	confidential, public string
	secret               string
}

func newWorld(t *testing.T, st storage.Store) *world {
	t.Helper()
	ctx := t.Context()
	srv := providertest.Start(t, st, providertest.Options{})
	w := &world{srv: srv}
	w.app, w.key = apitest.CreateApp(t, ctx, st, srv.Clock.Now(), "Load", "localhost", srv.Issuer)
	w.secret, _ = storage.NewSecret(storage.PrefixClientSecret)
	for _, method := range []string{storage.AuthMethodBasic, storage.AuthMethodNone} {
		now := srv.Clock.Now()
		c := storage.Client{ID: storage.NewID(), AppID: w.app.ID, Name: "load", AuthMethod: method,
			RedirectURIs: []string{redirectURI}, AccessTokenType: pboidc.AccessTokenOpaque, CreatedAt: now, UpdatedAt: now}
		if method == storage.AuthMethodBasic {
			sealed, err := signing.SealClientSecret(srv.MasterKey, c.ID, w.secret)
			if err != nil {
				t.Fatal(err)
			}
			c.SecretHash, c.SecretSealed, w.confidential = storage.HashSecret(w.secret), sealed, c.ID
		} else {
			w.public = c.ID
		}
		if err := st.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *world) target(public bool) loadflow.Target {
	t := loadflow.Target{BaseURL: w.srv.Issuer, AppID: w.app.ID, APIKey: w.key, RPID: "localhost",
		ClientID: w.confidential, ClientSecret: w.secret, RedirectURI: redirectURI}
	if public {
		t.ClientID, t.ClientSecret, t.Public = w.public, "", true
	}
	return t
}

// steps records the steps of iterations.
type steps struct {
	mu    sync.Mutex
	names []string
}

func (s *steps) Step(name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		panic("step " + name + " took no time")
	}
	if !slices.Contains(s.names, name) {
		s.names = append(s.names, name)
	}
}

// Every flow runs, with two users taking turns, and reports the steps it
// is made of.
func TestFlows(t *testing.T) {
	want := map[string][]string{
		loadflow.FlexRegister: {"create_transaction", "register_start", "authenticator", "register_finish", "verify_nonce"},
		loadflow.FlexAuth:     {"create_transaction", "authenticate_start", "authenticator", "authenticate_finish", "verify_nonce"},
		loadflow.Discoverable: {"authenticate_start", "authenticator", "authenticate_finish", "verify_nonce"},
		loadflow.BYOAuth:      {"authenticate_start", "authenticator", "authenticate_finish"},
		// The login page names the discoverable ceremony, and the sign-in
		// (or the session, at /authorize) answers the client at once.
		loadflow.OIDC: {"authorize", "login_page", "authenticate_start", "authenticator",
			"authenticate_finish", "login_complete", "token", "verify_id_token"},
		loadflow.OIDCSSO: {"authorize", "token", "verify_id_token"},
	}
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		w := newWorld(t, open(t))
		for _, name := range loadflow.Names() {
			for _, public := range []bool{false, true} {
				if public && !loadflow.NeedsClient(name) {
					continue
				}
				flow, err := loadflow.New(name, w.target(public))
				if err != nil {
					t.Fatal(err)
				}
				var users []loadflow.User
				for i := range 2 {
					u, err := flow.NewUser(t.Context(), i)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					users = append(users, u)
				}
				rec := &steps{}
				for i := range 4 {
					if err := users[i%2].Run(t.Context(), rec); err != nil {
						t.Fatalf("%s (public %v), iteration %d: %v", name, public, i, err)
					}
				}
				if !slices.Equal(rec.names, want[name]) {
					t.Errorf("%s: steps %v, want %v", name, rec.names, want[name])
				}
			}
		}
	})
}

// A refusal names its step, the status and the body's code.
func TestRefusalsNameTheStep(t *testing.T) {
	w := newWorld(t, sqlstoretest.Open(t, sqlstoretest.SQLite))
	bad := w.target(false)
	bad.APIKey = "pbk_wrong"
	flow, err := loadflow.New(loadflow.FlexAuth, bad)
	if err != nil {
		t.Fatal(err)
	}
	_, err = flow.NewUser(t.Context(), 0)
	var se *loadflow.StepError
	if !errors.As(err, &se) || se.Step != "create_transaction" || se.Status != http.StatusUnauthorized || se.Code != "invalid_access_token" {
		t.Fatalf("wrong api key: %v", err)
	}

	// A secret that is not the client's: the token endpoint refuses it.
	wrong := w.target(false)
	wrong.ClientSecret = "wrong"
	flow, err = loadflow.New(loadflow.OIDC, wrong)
	if err != nil {
		t.Fatal(err)
	}
	u, err := flow.NewUser(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	err = u.Run(t.Context(), nil)
	if !errors.As(err, &se) || se.Step != "token" || se.Status < 400 || se.Code != "invalid_client" {
		t.Fatalf("wrong client secret: %v", err)
	}
	if got := err.Error(); !strings.HasPrefix(got, fmt.Sprintf("token: %d invalid_client: ", se.Status)) {
		t.Fatalf("message %q", got)
	}
}

// New refuses what cannot work before contacting anything.
func TestNewRefuses(t *testing.T) {
	good := loadflow.Target{BaseURL: "http://localhost:1", AppID: "a", APIKey: "k", ClientID: "c", ClientSecret: "s",
		RedirectURI: redirectURI}
	for name, tc := range map[string]struct {
		flow   string
		change func(*loadflow.Target)
	}{
		"unknown flow": {"password", func(*loadflow.Target) {}},
		"relative url": {loadflow.FlexAuth, func(t *loadflow.Target) { t.BaseURL = "/x" }},
		"no api key":   {loadflow.FlexAuth, func(t *loadflow.Target) { t.APIKey = "" }},
		"no client":    {loadflow.OIDC, func(t *loadflow.Target) { t.ClientID = "" }},
		"no secret":    {loadflow.OIDCSSO, func(t *loadflow.Target) { t.ClientSecret = "" }},
		"bad redirect": {loadflow.OIDC, func(t *loadflow.Target) { t.RedirectURI = "callback" }},
	} {
		target := good
		tc.change(&target)
		if _, err := loadflow.New(tc.flow, target); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := loadflow.New(loadflow.OIDC, good); err != nil {
		t.Fatal(err)
	}
}
