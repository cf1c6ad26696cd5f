package sqlstore_test

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// A statement met first inside a transaction runs unprepared there, and on
// PostgreSQL is then prepared aside, so that later transactions run it
// prepared; SQLite, with its one connection, prepares nothing aside.
func TestStatementsOfTransactionsArePreparedAside(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		s := open(t)
		ctx := t.Context()
		app := storage.App{ID: storage.NewID(), Name: "A", RPID: "example.com", Origins: []string{"https://example.com"}}
		u := storage.User{ID: storage.NewID(), AppID: app.ID, ExternalID: "a", Status: storage.UserActive}
		if err := s.CreateApp(ctx, app); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if s.UserLockPreparedForTest() {
			t.Fatal("prepared before any use")
		}
		lock := func() {
			t.Helper()
			err := s.InTx(ctx, func(tx storage.Store) error {
				_, err := tx.LockUser(ctx, app.ID, u.ID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		lock()
		want := s.Dialect() == sqlstore.DialectPostgres
		deadline := time.Now().Add(5 * time.Second)
		for s.UserLockPreparedForTest() != want && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := s.UserLockPreparedForTest(); got != want {
			t.Fatalf("prepared after a first use in a transaction: %v, want %v", got, want)
		}
		lock() // and it runs, prepared or not
	})
}
