package apitest

import (
	"context"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// CreateAdminKey stores an admin key created at now and returns it with
// its secret.
func CreateAdminKey(t testing.TB, ctx context.Context, st storage.Store, now time.Time, name string) (storage.AdminKey, string) {
	t.Helper()
	secret, prefix := storage.NewSecret(storage.PrefixAdminKey)
	k := storage.AdminKey{ID: storage.NewID(), Name: name, Prefix: prefix, Hash: storage.HashSecret(secret), CreatedAt: now}
	if err := st.CreateAdminKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	return k, secret
}
