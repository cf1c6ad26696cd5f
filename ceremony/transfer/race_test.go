package transfer_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/passbridge/passbridge/ceremony/transfer"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// racing is a store on which something else happens just before the first
// batch is written: between the import's reads and its writes.
type racing struct {
	storage.Store
	once *sync.Once
	race func()
}

func (r racing) InTx(ctx context.Context, fn func(tx storage.Store) error) error {
	return r.Store.InTx(ctx, func(tx storage.Store) error { return fn(racing{tx, r.once, r.race}) })
}

func (r racing) CreateBatch(ctx context.Context, b storage.Batch) error {
	r.once.Do(r.race)
	return r.Store.CreateBatch(ctx, b)
}

// TestConcurrentChange: a passkey registered by someone else while a batch
// is being imported makes the batch fail as a whole; its lines are then
// imported one by one, each checked anew, and only the line that now
// conflicts is refused. PostgreSQL only: an SQLite transaction holds the
// database's write lock from its start, so nothing can happen in between.
func TestConcurrentChange(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.Postgres)
	e := newEnv(t, st)
	a, b, c := user(t, "a"), user(t, "b"), user(t, "c")
	other := user(t, "other")
	other.Devices[0].CredID = b.Devices[0].CredID
	r := racing{Store: st, once: &sync.Once{}, race: func() {
		// Outside the import's transaction, on another connection.
		if s, err := transfer.Import(e.ctx, st, e.app, strings.NewReader(lines(userLine(t, other))), transfer.Options{}); err != nil || s.Users.Created != 1 {
			t.Errorf("the concurrent import: %+v, %v", s, err)
		}
	}}
	sum, err := transfer.Import(e.ctx, r, e.app, strings.NewReader(lines(userLine(t, a), userLine(t, b), userLine(t, c))), transfer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, sum, transfer.Counts{Created: 2, Refused: 1}, transfer.Counts{Created: 2, Refused: 1})
	if len(sum.Refusals) != 1 || sum.Refusals[0].Line != 2 || !strings.Contains(sum.Refusals[0].Reason, `already a passkey of the user with external_id "other"`) {
		t.Fatalf("refusals %+v", sum.Refusals)
	}
}
