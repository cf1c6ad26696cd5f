package flexapi_test

import (
	"sort"
	"testing"

	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage"
)

// snapshot is what the store holds for both apps: users, devices, API keys
// and audit events, and the tracked transactions and handshakes. Nonces
// cannot be listed through storage.Store; they are created only by a
// finish that also completes its transaction or counts a device's use,
// which the snapshot sees.
type snapshot struct {
	apitest.Snapshot
	Transactions []storage.Transaction
	Handshakes   []string // tracked handshakes still pending
}

func (h *harness) snapshot() snapshot {
	h.t.Helper()
	return h.snapshotT(h.t)
}

// snapshotT is snapshot reporting to t.
func (h *harness) snapshotT(t testing.TB) snapshot {
	t.Helper()
	s := snapshot{Snapshot: apitest.TakeSnapshot(t, h.ctx, h.store, h.app, h.other)}
	h.mu.Lock()
	txs, hss := append([]string(nil), h.transactions...), append([]string(nil), h.handshakes...)
	h.mu.Unlock()
	for _, id := range txs {
		tx, err := h.store.GetTransaction(h.ctx, h.app.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		s.Transactions = append(s.Transactions, tx)
	}
	for _, id := range hss {
		if _, err := h.store.GetHandshake(h.ctx, h.app.ID, id, h.clock.Now()); err == nil {
			s.Handshakes = append(s.Handshakes, id)
		}
	}
	sort.Strings(s.Handshakes)
	return s
}

// unchanged runs fn and fails the test if the store differs afterwards.
func (h *harness) unchanged(t testing.TB, fn func()) {
	t.Helper()
	before := h.snapshotT(t)
	fn()
	apitest.SameSnapshot(t, before, h.snapshotT(t))
}
