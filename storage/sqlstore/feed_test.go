package sqlstore_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// feedWait bounds the wait for a change: notifications arrive within
// milliseconds, a reconnection within a second.
const feedWait = 10 * time.Second

// openNamed opens a fresh, migrated PostgreSQL store whose connections
// (the feed's among them) carry application_name name, so that a test can
// find them in pg_stat_activity.
func openNamed(t *testing.T, name string) *sqlstore.Store {
	t.Helper()
	u, err := url.Parse(sqlstoretest.URL(t, sqlstoretest.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	s, err := sqlstore.Open(t.Context(), u.String())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

func listen(t *testing.T, s *sqlstore.Store) <-chan storage.Change {
	t.Helper()
	ch, err := s.Changes(t.Context())
	if err != nil {
		t.Fatalf("changes: %v", err)
	}
	return ch
}

// next returns the next change reported.
func next(t *testing.T, ch <-chan storage.Change, what string) storage.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatalf("%s: the feed ended", what)
		}
		return c
	case <-time.After(feedWait):
		t.Fatalf("%s: nothing reported within %v", what, feedWait)
	}
	return storage.Change{}
}

func wantChange(t *testing.T, ch <-chan storage.Change, what string, want storage.Change) {
	t.Helper()
	if got := next(t, ch, what); !sameChange(got, want) {
		t.Fatalf("%s: reported %+v, want %+v", what, got, want)
	}
}

func sameChange(a, b storage.Change) bool {
	return a.Kind == b.Kind && a.ID == b.ID && slices.Equal(a.Hash, b.Hash)
}

func feedKey(appID string) storage.APIKey {
	return storage.APIKey{ID: storage.NewID(), AppID: appID, Name: "deploy", Prefix: "pbk_x",
		Hash: storage.HashSecret(storage.NewID()), CreatedAt: base}
}

func feedClient(appID string) storage.Client {
	return storage.Client{ID: "client-" + storage.NewID(), AppID: appID, Name: "web",
		AuthMethod: storage.AuthMethodNone, RedirectURIs: []string{"https://example.com/cb"},
		AccessTokenType: "bearer", CreatedAt: base, UpdatedAt: base}
}

func TestChangeFeedUnsupportedOnSQLite(t *testing.T) {
	s := sqlstoretest.Open(t, sqlstoretest.SQLite)
	if _, err := s.Changes(t.Context()); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Changes on SQLite: %v, want ErrUnsupported", err)
	}
}

// Every change to apps, API keys and clients is reported, in commit order,
// whoever makes it; touches, changes that change nothing, rolled-back
// changes and other schemas' changes are not.
func TestChangeFeedReportsChanges(t *testing.T) {
	if !slices.Contains(sqlstoretest.Engines(t), sqlstoretest.Postgres) {
		t.Skip("PostgreSQL not configured")
	}
	ctx := t.Context()
	s := sqlstoretest.Open(t, sqlstoretest.Postgres)
	db := s.DBForTest()
	ch := listen(t, s)
	if err := s.InTx(ctx, func(tx storage.Store) error {
		if _, err := tx.(*sqlstore.Store).Changes(ctx); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("Changes inside a transaction: %v, want ErrUnsupported", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	app := createApp(t, s)
	wantChange(t, ch, "create app", storage.Change{Kind: storage.ChangeApp, ID: app.ID})
	key := feedKey(app.ID)
	if err := s.CreateAPIKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	wantChange(t, ch, "create key", storage.Change{Kind: storage.ChangeAPIKey, ID: key.ID, Hash: key.Hash})
	client := feedClient(app.ID)
	if err := s.CreateClient(ctx, client); err != nil {
		t.Fatal(err)
	}
	wantChange(t, ch, "create client", storage.Change{Kind: storage.ChangeClient, ID: client.ID})

	// Neither a touch, nor an update that changes nothing, nor a
	// rolled-back change, nor a change in another schema is reported: the
	// next change reported is the one after them.
	if err := s.TouchAPIKey(ctx, key.ID, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateClient(ctx, client.ID, func(c storage.Client) (storage.Client, error) { return c, nil }); err != nil {
		t.Fatal(err)
	}
	errRollback := errors.New("roll back")
	if err := s.InTx(ctx, func(tx storage.Store) error {
		if err := tx.DeleteAPIKey(ctx, app.ID, key.ID); err != nil {
			return err
		}
		return errRollback
	}); !errors.Is(err, errRollback) {
		t.Fatalf("InTx: %v", err)
	}
	createApp(t, sqlstoretest.Open(t, sqlstoretest.Postgres))
	if _, err := s.UpdateClient(ctx, client.ID, func(c storage.Client) (storage.Client, error) {
		c.Name = "renamed"
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
	wantChange(t, ch, "update client", storage.Change{Kind: storage.ChangeClient, ID: client.ID})

	// Hand-written SQL is reported like the store's own writes; a key whose
	// digest changes is reported under both.
	newHash := storage.HashSecret(storage.NewID())
	if _, err := db.ExecContext(ctx, `UPDATE api_keys SET hash = $1 WHERE id = $2`, newHash, key.ID); err != nil {
		t.Fatal(err)
	}
	wantChange(t, ch, "digest changed (old)", storage.Change{Kind: storage.ChangeAPIKey, ID: key.ID, Hash: key.Hash})
	wantChange(t, ch, "digest changed (new)", storage.Change{Kind: storage.ChangeAPIKey, ID: key.ID, Hash: newHash})
	if _, err := db.ExecContext(ctx, `UPDATE apps SET name = 'by hand' WHERE id = $1`, app.ID); err != nil {
		t.Fatal(err)
	}
	wantChange(t, ch, "app renamed by hand", storage.Change{Kind: storage.ChangeApp, ID: app.ID})

	// Deleting an app reports it and what the deletion cascades to.
	if err := s.DeleteApp(ctx, app.ID); err != nil {
		t.Fatal(err)
	}
	want := []storage.Change{
		{Kind: storage.ChangeApp, ID: app.ID},
		{Kind: storage.ChangeAPIKey, ID: key.ID, Hash: newHash},
		{Kind: storage.ChangeClient, ID: client.ID},
	}
	for range want {
		c := next(t, ch, "delete app")
		i := slices.IndexFunc(want, func(w storage.Change) bool { return sameChange(w, c) })
		if i < 0 {
			t.Fatalf("delete app: reported %+v, want one of %+v", c, want)
		}
		want = slices.Delete(want, i, i+1)
	}

	// TRUNCATE reports every row of the table.
	if _, err := db.ExecContext(ctx, `TRUNCATE clients CASCADE`); err != nil {
		t.Fatal(err)
	}
	wantChange(t, ch, "truncate clients", storage.Change{Kind: storage.ChangeClient})
}

// When the feed's connection is lost, everything is reported changed, and
// changes are reported again once it is back.
func TestChangeFeedReconnects(t *testing.T) {
	if !slices.Contains(sqlstoretest.Engines(t), sqlstoretest.Postgres) {
		t.Skip("PostgreSQL not configured")
	}
	ctx := t.Context()
	name := "pbt_" + storage.NewID()
	s := openNamed(t, name)
	ch := listen(t, s)
	admin := sqlstoretest.Open(t, sqlstoretest.Postgres).DBForTest()
	// listeners lists the backends listening for the feed, but the one
	// terminated: a terminated backend stays in pg_stat_activity until it
	// has exited, which on a busy machine outlasts the reconnection.
	listeners := func(but int) []int {
		var pids []int
		if err := admin.SelectContext(ctx, &pids, `SELECT pid FROM pg_stat_activity
			WHERE application_name = $1 AND query LIKE 'LISTEN %' AND pid <> $2`, name, but); err != nil {
			t.Fatal(err)
		}
		return pids
	}
	pids := listeners(0)
	if len(pids) != 1 {
		t.Fatalf("%d listening backends, want 1", len(pids))
	}
	var killed bool
	if err := admin.GetContext(ctx, &killed, `SELECT pg_terminate_backend($1)`, pids[0]); err != nil || !killed {
		t.Fatalf("terminate the listener: %v, %v", killed, err)
	}
	if c := next(t, ch, "connection lost"); !c.Everything() {
		t.Fatalf("connection lost: reported %+v, want everything", c)
	}

	// Once the feed listens again, changes are reported again (after the
	// reconnection's own report of everything).
	deadline := time.Now().Add(feedWait)
	for len(listeners(pids[0])) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the feed did not reconnect")
		}
		time.Sleep(10 * time.Millisecond)
	}
	app := createApp(t, s)
	for {
		c := next(t, ch, "after reconnection")
		if c.Everything() {
			continue
		}
		if !sameChange(c, storage.Change{Kind: storage.ChangeApp, ID: app.ID}) {
			t.Fatalf("after reconnection: reported %+v, want the app", c)
		}
		break
	}
}

// The feed ends with its context: the channel is closed, and its
// connection is gone.
func TestChangeFeedEndsWithItsContext(t *testing.T) {
	if !slices.Contains(sqlstoretest.Engines(t), sqlstoretest.Postgres) {
		t.Skip("PostgreSQL not configured")
	}
	name := "pbt_" + storage.NewID()
	s := openNamed(t, name)
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := s.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	timeout := time.After(feedWait)
	for ended := false; !ended; {
		select {
		case _, ok := <-ch:
			ended = !ok
		case <-timeout:
			t.Fatal("the feed did not end")
		}
	}
	admin := sqlstoretest.Open(t, sqlstoretest.Postgres).DBForTest()
	deadline := time.Now().Add(feedWait)
	for {
		var n int
		if err := admin.GetContext(t.Context(), &n, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE application_name = $1 AND query LIKE 'LISTEN %'`, name); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the feed's connection outlived it")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
