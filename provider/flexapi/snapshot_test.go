package flexapi_test

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// snapshot is what the store holds for both apps: users, devices, the
// tracked transactions and handshakes, API keys and audit events. Nonces
// cannot be listed through storage.Store; they are created only by a
// finish that also completes its transaction or counts a device's use,
// which the snapshot sees.
type snapshot struct {
	Users        []storage.User
	Devices      []storage.Device
	Transactions []storage.Transaction
	Handshakes   []string // tracked handshakes still pending
	APIKeys      []storage.APIKey
	Audit        []storage.AuditEvent
}

func (h *harness) snapshot() snapshot {
	h.t.Helper()
	return h.snapshotT(h.t)
}

// snapshotT is snapshot reporting to t.
func (h *harness) snapshotT(t testing.TB) snapshot {
	t.Helper()
	var s snapshot
	for _, app := range []storage.App{h.app, h.other} {
		users, _, err := h.store.ListUsers(h.ctx, app.ID, storage.UserQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		s.Users = append(s.Users, users...)
		for _, u := range users {
			ds, err := h.store.ListDevices(h.ctx, app.ID, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			s.Devices = append(s.Devices, ds...)
		}
		keys, err := h.store.ListAPIKeys(h.ctx, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		// LastUsedAt moves on authenticated calls, refused or not.
		for i := range keys {
			keys[i].LastUsedAt = time.Time{}
		}
		s.APIKeys = append(s.APIKeys, keys...)
		events, err := h.store.ListAuditEvents(h.ctx, storage.AuditQuery{AppID: app.ID, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		s.Audit = append(s.Audit, events...)
	}
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
	sameSnapshot(t, before, h.snapshotT(t))
}

// sameSnapshot fails the test if two snapshots differ, naming the parts
// that changed.
func sameSnapshot(t testing.TB, before, after snapshot) {
	t.Helper()
	bv, av := reflect.ValueOf(before), reflect.ValueOf(after)
	for i := range bv.NumField() {
		if !reflect.DeepEqual(bv.Field(i).Interface(), av.Field(i).Interface()) {
			b, _ := json.Marshal(bv.Field(i).Interface())
			a, _ := json.Marshal(av.Field(i).Interface())
			t.Errorf("a refused request changed %s\nbefore: %s\nafter:  %s", bv.Type().Field(i).Name, b, a)
		}
	}
}
