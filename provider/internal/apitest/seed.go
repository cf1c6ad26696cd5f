package apitest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/aaguid"
	"github.com/passbridge/passbridge/storage"
)

// loadRegistry parses the AAGUID list once for the test binary.
var loadRegistry = sync.OnceValues(aaguid.Load)

// Registry returns the embedded AAGUID registry, parsed once per test binary.
func Registry(t testing.TB) *aaguid.Registry {
	t.Helper()
	reg, err := loadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// CreateApp stores an app created at now and an API key of it, and returns
// the app and the key's secret.
func CreateApp(t testing.TB, ctx context.Context, st storage.Store, now time.Time, name, rpID string, origins ...string) (storage.App, string) {
	t.Helper()
	app, err := ceremony.PrepareApp(storage.App{ID: storage.NewID(), Name: name, RPID: rpID, Origins: origins})
	if err != nil {
		t.Fatal(err)
	}
	app.CreatedAt, app.UpdatedAt = now, now
	if err := st.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	err = st.CreateAPIKey(ctx, storage.APIKey{
		ID: storage.NewID(), AppID: app.ID, Name: "test", Prefix: prefix,
		Hash: storage.HashSecret(secret), CreatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return app, secret
}
