package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// seedApp stores an app with one API key and returns both and the key.
func seedApp(t testing.TB, st storage.Store, name string) (storage.App, storage.APIKey, string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	app := storage.App{
		ID: storage.NewID(), Name: name, RPID: "localhost", RPName: name, Origins: []string{"http://localhost:8080"},
		UserVerification: "required", ResidentKey: "required", Attestation: "none", SignCountPolicy: "reject",
		TransactionTTL: 5 * time.Minute, CeremonyTimeout: 2 * time.Minute, NonceTTL: 5 * time.Minute,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := st.CreateApp(ctx, app); err != nil {
		t.Fatalf("create app: %v", err)
	}
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	key := storage.APIKey{ID: storage.NewID(), AppID: app.ID, Name: "test", Prefix: prefix, Hash: storage.HashSecret(secret), CreatedAt: now}
	if err := st.CreateAPIKey(ctx, key); err != nil {
		t.Fatalf("create api key: %v", err)
	}
	return app, key, secret
}

// protected mounts a route behind LoadApp and RequireAPIKey that echoes
// what the middleware put into the context.
func protected(t *testing.T, st storage.Store, now func() time.Time) http.Handler {
	r, _ := newEngine(t, 0)
	g := r.Group("/v1/apps/:app_id", httpapi.LoadApp(st), httpapi.RequireAPIKey(st, now))
	g.GET("/whoami", httpapi.Handle(func(c *gin.Context) error {
		c.JSON(http.StatusOK, gin.H{"app_id": httpapi.App(c).ID, "actor": httpapi.Actor(c)})
		return nil
	}))
	return r
}

func TestLoadAppAndRequireAPIKey(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(t testing.TB) *sqlstore.Store) {
		st := open(t)
		app, key, secret := seedApp(t, st, "one")
		other, _, otherSecret := seedApp(t, st, "two")
		h := protected(t, st, nil)

		refused := []struct {
			name, path, auth string
			wantStatus       int
			wantCode         string
		}{
			{"unknown app", "/v1/apps/nosuchapp/whoami", "Bearer " + secret, 404, "app_not_found"},
			{"overlong app id", "/v1/apps/" + strings.Repeat("a", 200) + "/whoami", "Bearer " + secret, 404, "app_not_found"},
			{"no header", "/v1/apps/" + app.ID + "/whoami", "", 401, "invalid_access_token"},
			{"basic scheme", "/v1/apps/" + app.ID + "/whoami", "Basic " + secret, 401, "invalid_access_token"},
			{"empty token", "/v1/apps/" + app.ID + "/whoami", "Bearer ", 401, "invalid_access_token"},
			{"two words", "/v1/apps/" + app.ID + "/whoami", "Bearer " + secret + " x", 401, "invalid_access_token"},
			{"unknown key", "/v1/apps/" + app.ID + "/whoami", "Bearer pbk_nosuchkey", 401, "invalid_access_token"},
			{"key of another app", "/v1/apps/" + app.ID + "/whoami", "Bearer " + otherSecret, 401, "invalid_access_token"},
		}
		var message string
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				header := map[string]string{}
				if tt.auth != "" {
					header["Authorization"] = tt.auth
				}
				res := do(t, h, "GET", tt.path, nil, header)
				if res.Status != tt.wantStatus || res.Code != tt.wantCode {
					t.Fatalf("got %d %q, want %d %q", res.Status, res.Code, tt.wantStatus, tt.wantCode)
				}
				if tt.wantStatus != 401 {
					return
				}
				// One message for every refusal: the answer is no oracle.
				if message == "" {
					message = res.Error
				} else if res.Error != message {
					t.Fatalf("message %q differs from %q", res.Error, message)
				}
				if res.Header.Get("WWW-Authenticate") == "" {
					t.Fatalf("401 without WWW-Authenticate")
				}
			})
		}

		for _, auth := range []string{"Bearer " + secret, "bearer " + secret} {
			res := do(t, h, "GET", "/v1/apps/"+app.ID+"/whoami", nil, map[string]string{"Authorization": auth})
			want := `{"actor":"api_key:` + key.ID + `","app_id":"` + app.ID + `"}`
			if res.Status != 200 || string(res.Body) != want {
				t.Fatalf("%q: got %d %s, want 200 %s", auth[:6], res.Status, res.Body, want)
			}
		}
		res := do(t, h, "GET", "/v1/apps/"+other.ID+"/whoami", nil, map[string]string{"Authorization": "Bearer " + otherSecret})
		if res.Status != 200 {
			t.Fatalf("other app with its own key: got %d", res.Status)
		}
	})
}

func TestRequireAPIKeyTouchesKey(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	app, key, secret := seedApp(t, st, "one")
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h := protected(t, st, func() time.Time { return clock })
	call := func() {
		t.Helper()
		if res := do(t, h, "GET", "/v1/apps/"+app.ID+"/whoami", nil, map[string]string{"Authorization": "Bearer " + secret}); res.Status != 200 {
			t.Fatalf("got %d %q", res.Status, res.Code)
		}
	}
	lastUsed := func() time.Time {
		t.Helper()
		k, err := st.GetAPIKeyByHash(context.Background(), key.Hash)
		if err != nil {
			t.Fatal(err)
		}
		return k.LastUsedAt
	}
	if !lastUsed().IsZero() {
		t.Fatalf("new key already used")
	}
	call()
	if got := lastUsed(); !got.Equal(clock) {
		t.Fatalf("last used %v, want %v", got, clock)
	}
	// Within a minute the stored time stays: no write per request.
	clock = clock.Add(30 * time.Second)
	call()
	if got := lastUsed(); !got.Equal(clock.Add(-30 * time.Second)) {
		t.Fatalf("last used %v, want it unchanged", got)
	}
	clock = clock.Add(time.Minute)
	call()
	if got := lastUsed(); !got.Equal(clock) {
		t.Fatalf("last used %v, want %v", got, clock)
	}
}

// failingTouch is a store whose TouchAPIKey fails, to show that recording
// a key's use never refuses the request.
type failingTouch struct{ storage.Store }

func (failingTouch) TouchAPIKey(context.Context, string, time.Time) error {
	return errors.New("disk full")
}

func TestRequireAPIKeyTouchFailureIsLogged(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	app, _, secret := seedApp(t, st, "one")
	r, logs := newEngine(t, 0)
	fs := failingTouch{st}
	r.GET("/v1/apps/:app_id/x", httpapi.LoadApp(fs), httpapi.RequireAPIKey(fs, nil), func(c *gin.Context) { c.Status(204) })
	if res := do(t, r, "GET", "/v1/apps/"+app.ID+"/x", nil, map[string]string{"Authorization": "Bearer " + secret}); res.Status != 204 {
		t.Fatalf("got %d %q, want the request served", res.Status, res.Code)
	}
	found := false
	for _, l := range logs.lines(t) {
		found = found || (l["msg"] == "record api key use" && l["err"] == "disk full")
	}
	if !found {
		t.Fatalf("touch failure not logged: %s", logs)
	}
}

func TestRequireAPIKeyWithoutLoadApp(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	r, _ := newEngine(t, 0)
	r.GET("/x", httpapi.RequireAPIKey(st, nil), func(c *gin.Context) { c.Status(204) })
	if res := do(t, r, "GET", "/x", nil, map[string]string{"Authorization": "Bearer x"}); res.Status != 500 {
		t.Fatalf("misuse: got %d, want 500", res.Status)
	}
}
