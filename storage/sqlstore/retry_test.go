package sqlstore_test

import (
	"context"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// openAt opens a fresh, migrated PostgreSQL store whose connections run
// at isolation ("" keeps the server's default).
func openAt(t *testing.T, isolation string) *sqlstore.Store {
	t.Helper()
	u, err := url.Parse(sqlstoretest.URL(t, sqlstoretest.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	if isolation != "" {
		q := u.Query()
		q.Set("default_transaction_isolation", isolation)
		u.RawQuery = q.Encode()
	}
	st, err := sqlstore.Open(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

// twoUsers stores an app with users alice and bob.
func twoUsers(t *testing.T, st storage.Store) (appID string, alice, bob storage.User) {
	t.Helper()
	ctx := t.Context()
	now := time.Now().UTC().Round(time.Microsecond)
	app := storage.App{ID: storage.NewID(), Name: "retry", RPID: "shop.example", Origins: []string{"https://shop.example"},
		UserVerification: storage.RequirementRequired, ResidentKey: storage.RequirementRequired, Attestation: "none",
		SignCountPolicy: storage.SignCountAllow, TransactionTTL: time.Minute, CeremonyTimeout: time.Minute, NonceTTL: time.Minute,
		CreatedAt: now, UpdatedAt: now}
	if err := st.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	users := make([]storage.User, 2)
	for i, ext := range []string{"alice", "bob"} {
		users[i] = storage.User{ID: storage.NewID(), AppID: app.ID, ExternalID: ext, Handle: storage.RandomBytes(32),
			DisplayName: ext, Status: storage.UserActive, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(ctx, users[i]); err != nil {
			t.Fatal(err)
		}
	}
	return app.ID, users[0], users[1]
}

// rendezvous lets two first runs of transactions wait for each other at
// one point; runs after the first (the store's retries) pass at once.
type rendezvous struct {
	wg   sync.WaitGroup
	runs [2]atomic.Int32
}

func newRendezvous() *rendezvous {
	r := &rendezvous{}
	r.wg.Add(2)
	return r
}

// meet counts a run of transaction i and, on its first run, waits for the
// other transaction's first run to get there too.
func (r *rendezvous) meet(i int) {
	if r.runs[i].Add(1) == 1 {
		r.wg.Done()
		r.wg.Wait()
	}
}

// crossed runs two transactions at once, each reading one user and
// then changing the other (write skew), and returns their errors. With
// swallow, the change runs in a nested InTx whose error the transaction
// ignores, as a caller that tolerates a failed step would.
func crossed(t *testing.T, st *sqlstore.Store, appID string, users [2]storage.User, r *rendezvous, swallow bool, read func(tx storage.Store, u storage.User) error) [2]error {
	t.Helper()
	var (
		errs [2]error
		wg   sync.WaitGroup
	)
	for i := range 2 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			errs[i] = st.InTx(ctx, func(tx storage.Store) error {
				if err := read(tx, users[i]); err != nil {
					return err
				}
				r.meet(i)
				other := users[1-i]
				change := func(tx storage.Store) error {
					_, err := tx.UpdateUser(ctx, appID, other.ID, func(u storage.User) (storage.User, error) {
						u.DisplayName = "changed by " + users[i].ExternalID
						return u, nil
					})
					return err
				}
				if swallow {
					_ = tx.InTx(ctx, change)
					return nil
				}
				return change(tx)
			})
		})
	}
	wg.Wait()
	return errs
}

// Two SERIALIZABLE transactions, each reading the row the other writes,
// cannot both commit: PostgreSQL aborts one with a serialization failure
// (40001). The store runs that one again, and both succeed.
func TestRetrySerializationFailure(t *testing.T) {
	st := openAt(t, "serializable")
	appID, alice, bob := twoUsers(t, st)
	r := newRendezvous()
	before := st.Retries()
	errs := crossed(t, st, appID, [2]storage.User{alice, bob}, r, false, func(tx storage.Store, u storage.User) error {
		_, err := tx.GetUser(t.Context(), appID, u.ID)
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	runs := r.runs[0].Load() + r.runs[1].Load()
	if runs < 3 || st.Retries() == before {
		t.Errorf("transactions ran %d times, store retried %d times; want a serialization failure run again", runs, st.Retries()-before)
	}
	for _, u := range []storage.User{alice, bob} {
		got, err := st.GetUser(t.Context(), appID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.DisplayName == u.DisplayName {
			t.Errorf("%s: not changed", u.ExternalID)
		}
	}
}

// Two transactions that lock two rows in opposite orders deadlock:
// PostgreSQL aborts one (40P01) after deadlock_timeout. The store runs it
// again, and both succeed; also when the failed step was a nested InTx
// whose error the transaction ignored: the rest of that transaction would
// have committed without it.
func TestRetryDeadlock(t *testing.T) {
	for _, swallow := range []bool{false, true} {
		name := "returned"
		if swallow {
			name = "swallowed"
		}
		t.Run(name, func(t *testing.T) {
			st := openAt(t, "read committed")
			appID, alice, bob := twoUsers(t, st)
			r := newRendezvous()
			before := st.Retries()
			errs := crossed(t, st, appID, [2]storage.User{alice, bob}, r, swallow, func(tx storage.Store, u storage.User) error {
				_, err := tx.UpdateUser(t.Context(), appID, u.ID, func(u storage.User) (storage.User, error) {
					u.LoginCount++
					return u, nil
				})
				return err
			})
			for i, err := range errs {
				if err != nil {
					t.Errorf("transaction %d: %v", i, err)
				}
			}
			if st.Retries() == before {
				t.Error("no transaction was run again after the deadlock")
			}
			for _, u := range []storage.User{alice, bob} {
				got, err := st.GetUser(t.Context(), appID, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.LoginCount != 1 || got.DisplayName == u.DisplayName {
					t.Errorf("%s: login count %d, display name %q; want each transaction's changes once",
						u.ExternalID, got.LoginCount, got.DisplayName)
				}
			}
		})
	}
}
