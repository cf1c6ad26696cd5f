package importsrctest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/storage"
)

// Target is an app of a running passbridge that passkeys are imported
// into: its RP ID is localhost, its origin the server's.
type Target struct {
	Server *providertest.Server
	App    storage.App
	APIKey string
}

// NewTarget starts the whole server on st and creates an app of RP ID
// localhost on its origin, with an API key.
func NewTarget(t testing.TB, st storage.Store) *Target {
	t.Helper()
	srv := providertest.Start(t, st, providertest.Options{})
	ctx := context.Background()
	app, err := ceremony.PrepareApp(storage.App{ID: storage.NewID(), Name: "Imported", RPID: "localhost", Origins: []string{srv.Issuer}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	app.CreatedAt, app.UpdatedAt = now, now
	if err := st.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	if err := st.CreateAPIKey(ctx, storage.APIKey{ID: storage.NewID(), AppID: app.ID, Name: "test", Prefix: prefix,
		Hash: storage.HashSecret(secret), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return &Target{Server: srv, App: app, APIKey: secret}
}

// SignIn signs in with a over the Flex API as a Flex app does: bound to
// externalID (its backend creates an authenticate transaction) or
// discoverable when externalID is "", and returns the external ID the
// nonce verifies to. Any refusal fails the test.
func (tg *Target) SignIn(t testing.TB, a *softauthn.Authenticator, externalID string) string {
	t.Helper()
	b := tg.Server.NewBrowser(t, tg.App, softauthn.Options{})
	b.Auth = a
	tx := ""
	if externalID != "" {
		var out struct {
			TransactionID string `json:"transaction_id"`
		}
		tg.management(t, "/transactions/authenticate", map[string]string{"external_id": externalID}, &out)
		tx = out.TransactionID
	}
	nonce := b.FlexAuthenticate(tx)
	var out struct {
		ExternalID string `json:"external_id"`
	}
	tg.management(t, "/authenticate/verify", map[string]string{"nonce": nonce}, &out)
	return out.ExternalID
}

// TrySignIn is SignIn that returns the status and body of a refused
// discoverable authentication finish instead of failing.
func (tg *Target) TrySignIn(t testing.TB, a *softauthn.Authenticator) (int, string) {
	t.Helper()
	b := tg.Server.NewBrowser(t, tg.App, softauthn.Options{})
	hs := b.Flex("authenticate/transactions/webauthn/start", map[string]any{})
	resp, err := a.Authenticate(hs.Options, tg.Server.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	r := b.Do(providertest.Request{Method: http.MethodPost, Path: "/v1/apps/" + tg.App.ID + "/authenticate/transactions/webauthn/finish",
		Body: map[string]any{"handshake_id": hs.ID, "handshake_response": json.RawMessage(resp)}})
	return r.Status, string(r.Body)
}

// management calls the Flex management API with the app's key.
func (tg *Target) management(t testing.TB, path string, body, out any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, tg.Server.Issuer+"/v1/apps/"+tg.App.ID+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tg.APIKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", path, res.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %s: %v", path, b, err)
	}
}
