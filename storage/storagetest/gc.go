package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func gcTests() []test {
	return []test{
		{"DeleteExpired", testDeleteExpired},
		{"TransactionRetention", testTransactionRetention},
	}
}

// testTransactionRetention: an expired or completed transaction outlives
// its expiry by TransactionRetention, state and all, so that a late finish
// can be told what became of it.
func testTransactionRetention(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	expired := w.pendingTransaction()
	expired.CreatedAt, expired.ExpiresAt = at(-10*time.Minute), at(-5*time.Minute)
	mustCreateTransaction(t, s, expired)
	used := newTransaction(w.App.ID, w.User.ID)
	used.CreatedAt, used.CompletedAt, used.ExpiresAt = at(-10*time.Minute), at(-9*time.Minute), at(-5*time.Minute)
	mustCreateTransaction(t, s, used)

	res, err := s.DeleteExpired(ctx, at(0))
	mustOK(t, err, "delete expired")
	if res.Total() != 0 {
		t.Errorf("DeleteExpired within the retention removed %v, want nothing", res)
	}
	for _, want := range []storage.Transaction{expired, used} {
		got, err := s.GetTransaction(ctx, w.App.ID, want.ID)
		mustOK(t, err, "get transaction within its retention")
		checkSame(t, "Transaction", got, want)
	}

	res, err = s.DeleteExpired(ctx, at(-5*time.Minute).Add(storage.TransactionRetention))
	mustOK(t, err, "delete expired after the retention")
	if res.Total() != 2 {
		t.Errorf("DeleteExpired after the retention removed %v, want the 2 transactions", res)
	}
	for _, tx := range []storage.Transaction{expired, used} {
		_, err := s.GetTransaction(ctx, w.App.ID, tx.ID)
		requireNotFound(t, err, "transaction after its retention")
	}
}

// expiring makes one row of an expiring kind that expires at the given
// instant, and returns how to read it back at a time before its expiry.
type expiring struct {
	kind   string
	create func(t *testing.T, expires time.Time) func(ctx context.Context, now time.Time) error
}

func expiringKinds(s storage.Store, w world, keeper storage.AuthRequest) []expiring {
	return []expiring{
		{"transaction", func(t *testing.T, expires time.Time) func(context.Context, time.Time) error {
			// Transactions are kept for TransactionRetention past their
			// expiry: this one is due for GC at expires.
			tx := w.pendingTransaction()
			tx.ExpiresAt = expires.Add(-storage.TransactionRetention)
			tx.CreatedAt = tx.ExpiresAt.Add(-time.Hour)
			mustCreateTransaction(t, s, tx)
			return func(ctx context.Context, _ time.Time) error {
				_, err := s.GetTransaction(ctx, w.App.ID, tx.ID)
				return err
			}
		}},
		{"completed transaction", func(t *testing.T, expires time.Time) func(context.Context, time.Time) error {
			tx := newTransaction(w.App.ID, w.User.ID)
			tx.ExpiresAt = expires.Add(-storage.TransactionRetention)
			tx.CreatedAt, tx.CompletedAt = tx.ExpiresAt.Add(-time.Hour), tx.ExpiresAt.Add(-time.Minute)
			mustCreateTransaction(t, s, tx)
			return func(ctx context.Context, _ time.Time) error {
				_, err := s.GetTransaction(ctx, w.App.ID, tx.ID)
				return err
			}
		}},
		{"handshake", func(t *testing.T, expires time.Time) func(context.Context, time.Time) error {
			h := newHandshake(w.App.ID, "", w.User.ID)
			h.CreatedAt, h.ExpiresAt = expires.Add(-time.Hour), expires
			mustCreateHandshake(t, s, h)
			return func(ctx context.Context, now time.Time) error {
				_, err := s.GetHandshake(ctx, w.App.ID, h.ID, now)
				return err
			}
		}},
		{"nonce", func(t *testing.T, expires time.Time) func(context.Context, time.Time) error {
			n := newNonce(w.App.ID, w.User.ID, w.Device.ID)
			n.CreatedAt, n.ExpiresAt = expires.Add(-time.Hour), expires
			mustCreateNonce(t, s, n)
			return func(ctx context.Context, now time.Time) error {
				_, err := s.ConsumeNonce(ctx, w.App.ID, n.Hash, now)
				return err
			}
		}},
		{"auth request", func(t *testing.T, expires time.Time) func(context.Context, time.Time) error {
			r := w.pendingAuthRequest()
			r.CreatedAt, r.ExpiresAt = expires.Add(-time.Hour), expires
			mustCreateAuthRequest(t, s, r)
			return func(ctx context.Context, now time.Time) error { _, err := s.GetAuthRequest(ctx, r.ID, now); return err }
		}},
		{"auth code", func(t *testing.T, expires time.Time) func(context.Context, time.Time) error {
			// One code per auth request: each code gets a request that
			// outlives the test's GC.
			c := newAuthCode(mustCreateAuthRequest(t, s, w.pendingAuthRequest()).ID)
			c.CreatedAt, c.ExpiresAt = expires.Add(-time.Hour), expires
			mustCreateAuthCode(t, s, c)
			return func(ctx context.Context, now time.Time) error {
				_, err := s.ConsumeAuthCode(ctx, c.Hash, now)
				return err
			}
		}},
		{"access token", func(t *testing.T, expires time.Time) func(context.Context, time.Time) error {
			a := newAccessToken(w.App.ID, w.Client.ID, w.User.ID, "", w.Device.ID, "")
			a.CreatedAt, a.ExpiresAt = expires.Add(-time.Hour), expires
			mustCreateAccessToken(t, s, a)
			return func(ctx context.Context, now time.Time) error { _, err := s.GetAccessToken(ctx, a.ID, now); return err }
		}},
		{"refresh token", func(t *testing.T, expires time.Time) func(context.Context, time.Time) error {
			r := newRefreshToken(w.App.ID, w.Client.ID, w.User.ID, "", w.Device.ID)
			r.CreatedAt, r.ExpiresAt = expires.Add(-time.Hour), expires
			mustCreateRefreshToken(t, s, r)
			return func(ctx context.Context, now time.Time) error {
				_, err := s.GetRefreshTokenByHash(ctx, r.Hash, now)
				return err
			}
		}},
		{"session", func(t *testing.T, expires time.Time) func(context.Context, time.Time) error {
			ss := newSession(w.App.ID, w.User.ID, w.Device.ID)
			ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = expires.Add(-time.Hour), expires.Add(-time.Hour), expires
			mustOK(t, s.CreateSession(t.Context(), ss), "create session")
			return func(ctx context.Context, _ time.Time) error { _, err := s.GetSession(ctx, ss.ID); return err }
		}},
		{"retired signing key", func(t *testing.T, expires time.Time) func(context.Context, time.Time) error {
			k := newSigningKey()
			k.CreatedAt, k.ActivatedAt, k.RetiredAt, k.ExpiresAt = expires.Add(-3*time.Hour), expires.Add(-2*time.Hour), expires.Add(-time.Hour), expires
			mustOK(t, s.CreateSigningKey(t.Context(), k), "create signing key")
			return func(ctx context.Context, _ time.Time) error { _, err := s.GetSigningKey(ctx, k.ID); return err }
		}},
		{"enrolment link", func(t *testing.T, expires time.Time) func(context.Context, time.Time) error {
			l := newEnrolmentLink(w.App.ID, w.User.ID)
			l.CreatedAt, l.ExpiresAt = expires.Add(-time.Hour), expires
			mustCreateEnrolmentLink(t, s, l)
			return func(ctx context.Context, _ time.Time) error {
				_, err := s.GetEnrolmentLink(ctx, w.App.ID, l.ID)
				return err
			}
		}},
	}
}

// testDeleteExpired fills every expiring kind with a row expired before now,
// one expiring exactly at now and one a microsecond later, beside rows that
// never expire. DeleteExpired(now) must take exactly the first two of each.
func testDeleteExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	now := at(0)
	earlier := at(-2 * time.Hour) // before every expiry in this test
	w := newWorld(t, s)
	keeper := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	key := newAPIKey(w.App.ID)
	mustOK(t, s.CreateAPIKey(ctx, key), "create api key")
	event := mustAppend(t, s, newAuditEvent(w.App.ID, w.User.ID, w.Device.ID))
	activeKey := nextSigningKey()
	activeKey.State = storage.KeyActive
	activeKey.ActivatedAt = odd(-time.Hour)
	mustOK(t, s.CreateSigningKey(ctx, activeKey), "create active signing key")
	nextKey := nextSigningKey()
	mustOK(t, s.CreateSigningKey(ctx, nextKey), "create next signing key")

	type row struct {
		name string
		gone bool
		read func(context.Context, time.Time) error
	}
	var rows []row
	kinds := expiringKinds(s, w, keeper)
	for _, k := range kinds {
		rows = append(rows,
			row{k.kind + " expired an hour ago", true, k.create(t, now.Add(-time.Hour))},
			row{k.kind + " expiring now", true, k.create(t, now)},
			row{k.kind + " expiring a microsecond from now", false, k.create(t, now.Add(time.Microsecond))},
		)
	}

	res, err := s.DeleteExpired(ctx, earlier)
	mustOK(t, err, "delete expired before anything expired")
	if res.Total() != 0 {
		t.Errorf("DeleteExpired before any expiry removed %v, want nothing", res)
	}

	res, err = s.DeleteExpired(ctx, now)
	mustOK(t, err, "delete expired")
	if want := int64(2 * len(kinds)); res.Total() != want {
		t.Errorf("DeleteExpired removed %d rows (%v), want %d", res.Total(), res, want)
	}
	for kind, n := range res {
		if n < 0 {
			t.Errorf("DeleteExpired reports %d rows of %q", n, kind)
		}
	}

	for _, r := range rows {
		err := r.read(ctx, earlier)
		switch {
		case r.gone && err == nil:
			t.Errorf("%s: still there after DeleteExpired", r.name)
		case r.gone:
			requireNotFound(t, err, r.name)
		case err != nil:
			t.Errorf("%s: should remain: %v", r.name, err)
		}
	}

	lasting := []struct {
		name string
		read func() error
	}{
		{"app", func() error { _, err := s.GetApp(ctx, w.App.ID); return err }},
		{"user", func() error { _, err := s.GetUser(ctx, w.App.ID, w.User.ID); return err }},
		{"device", func() error { _, err := s.GetDevice(ctx, w.App.ID, w.Device.ID); return err }},
		{"client", func() error { _, err := s.GetClient(ctx, w.Client.ID); return err }},
		{"api key", func() error { _, err := s.GetAPIKeyByHash(ctx, key.Hash); return err }},
		{"session", func() error { _, err := s.GetSession(ctx, w.Session.ID); return err }},
		{"auth request", func() error { _, err := s.GetAuthRequest(ctx, keeper.ID, now); return err }},
		{"active signing key", func() error { _, err := s.GetSigningKey(ctx, activeKey.ID); return err }},
		{"next signing key", func() error { _, err := s.GetSigningKey(ctx, nextKey.ID); return err }},
		{"audit event", func() error {
			events, err := s.ListAuditEvents(ctx, storage.AuditQuery{AppID: w.App.ID})
			if err == nil && (len(events) != 1 || events[0].ID != event.ID) {
				t.Errorf("audit events after DeleteExpired: got %d, want the one appended", len(events))
			}
			return err
		}},
	}
	for _, l := range lasting {
		if err := l.read(); err != nil {
			t.Errorf("%s: should outlast DeleteExpired: %v", l.name, err)
		}
	}

	res, err = s.DeleteExpired(ctx, now)
	mustOK(t, err, "delete expired again")
	if res.Total() != 0 {
		t.Errorf("DeleteExpired a second time removed %v, want nothing", res)
	}
}
