package cachestore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/cachestore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// A caller whose deadline passes while it waits for a read under way (a
// stalled database) gets ErrUnavailable, as from the database itself: a
// 503, not a 500. Found by the chaos tests' stalled database.
func TestDeadlineWhileWaitingIsUnavailable(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	f := newFixture(t, st, cachestore.Config{})
	app := mustCreate(t, st, "A")
	client := newClient(app.ID)
	if err := st.CreateClient(t.Context(), client); err != nil {
		t.Fatal(err)
	}
	f.count.gate = make(chan struct{})
	defer close(f.count.gate)

	for name, get := range map[string]func(context.Context) error{
		"app":    func(ctx context.Context) error { _, err := f.cache.GetApp(ctx, app.ID); return err },
		"client": func(ctx context.Context) error { _, err := f.cache.GetClient(ctx, client.ID); return err },
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		err := get(ctx)
		cancel()
		if !errors.Is(err, storage.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: a deadline passed while the read was held: %v, want ErrUnavailable (and DeadlineExceeded)", name, err)
		}
	}
}
