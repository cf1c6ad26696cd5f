package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func auditTests() []test {
	return []test{
		{"RoundTrip", testAuditRoundTrip},
		{"Query", testAuditQuery},
		{"DefaultLimit", testAuditDefaultLimit},
		{"DuplicateID", testAuditDuplicateID},
		{"Filters", testAuditFilters},
		{"Paging", testAuditPaging},
	}
}

func auditKey(e storage.AuditEvent) (time.Time, string) { return e.CreatedAt, e.ID }

func mustAppend(t *testing.T, s storage.Store, e storage.AuditEvent) storage.AuditEvent {
	t.Helper()
	mustOK(t, s.AppendAuditEvent(t.Context(), e), "append audit event")
	return e
}

func testAuditRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	e := mustAppend(t, s, newAuditEvent(w.App.ID, w.User.ID, w.Device.ID))
	serverWide := storage.AuditEvent{
		ID:        storage.NewID(),
		Type:      "signing_key.rotated",
		Actor:     "cli",
		CreatedAt: odd(-2 * time.Minute),
	}
	mustAppend(t, s, serverWide)

	got, err := s.ListAuditEvents(ctx, storage.AuditQuery{AppID: w.App.ID})
	mustOK(t, err, "list audit events of the app")
	requireListed(t, "ListAuditEvents of the app", got, []storage.AuditEvent{e}, auditKey, true)
	got, err = s.ListAuditEvents(ctx, storage.AuditQuery{})
	mustOK(t, err, "list every audit event")
	requireListed(t, "ListAuditEvents", got, []storage.AuditEvent{e, serverWide}, auditKey, true)
}

func testAuditQuery(t *testing.T, s storage.Store) {
	a := newWorld(t, s)
	b := newWorld(t, s)
	otherUser := mustCreateUser(t, s, a.App.ID)

	event := func(w world, userID string, minutes time.Duration) storage.AuditEvent {
		e := newAuditEvent(w.App.ID, userID, "")
		e.CreatedAt = odd(minutes * time.Minute)
		return mustAppend(t, s, e)
	}
	// Appended out of order; three share an instant so the ID decides.
	a1 := event(a, a.User.ID, 1)
	a5 := event(a, a.User.ID, 5)
	a3 := event(a, a.User.ID, 3)
	a3b := event(a, otherUser.ID, 3)
	a3c := event(a, a.User.ID, 3)
	a7 := event(a, "", 7)
	b2 := event(b, b.User.ID, 2)
	b6 := event(b, b.User.ID, 6)
	all := []storage.AuditEvent{a1, a5, a3, a3b, a3c, a7, b2, b6}
	ofA := []storage.AuditEvent{a1, a5, a3, a3b, a3c, a7}

	newestFirst := func(events []storage.AuditEvent, n int) []storage.AuditEvent {
		sorted := sortByCreated(events, auditKey, true)
		return sorted[:min(n, len(sorted))]
	}

	cases := []struct {
		name string
		q    storage.AuditQuery
		want []storage.AuditEvent
	}{
		{"everything", storage.AuditQuery{}, all},
		{"one app", storage.AuditQuery{AppID: a.App.ID}, ofA},
		{"other app", storage.AuditQuery{AppID: b.App.ID}, []storage.AuditEvent{b2, b6}},
		{"one user", storage.AuditQuery{AppID: a.App.ID, UserID: a.User.ID}, []storage.AuditEvent{a1, a5, a3, a3c}},
		{"one user in every app", storage.AuditQuery{UserID: otherUser.ID}, []storage.AuditEvent{a3b}},
		{"user through another app", storage.AuditQuery{AppID: b.App.ID, UserID: a.User.ID}, nil},
		{"before is strict", storage.AuditQuery{Before: a5.CreatedAt}, []storage.AuditEvent{a1, a3, a3b, a3c, b2}},
		{"before in one app", storage.AuditQuery{AppID: a.App.ID, Before: a3.CreatedAt}, []storage.AuditEvent{a1}},
		{"limit", storage.AuditQuery{Limit: 4}, newestFirst(all, 4)},
		{"limit through ties", storage.AuditQuery{AppID: a.App.ID, Limit: 4}, newestFirst(ofA, 4)},
		{"limit and before", storage.AuditQuery{Before: odd(6 * time.Minute), Limit: 2}, newestFirst([]storage.AuditEvent{a1, a5, a3, a3b, a3c, b2}, 2)},
		{"nothing before", storage.AuditQuery{Before: a1.CreatedAt}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListAuditEvents(t.Context(), tc.q)
			mustOK(t, err, "list audit events")
			requireListed(t, "ListAuditEvents", got, tc.want, auditKey, true)
		})
	}
}

func testAuditDefaultLimit(t *testing.T, s storage.Store) {
	app := mustCreateApp(t, s)
	const n = 53
	events := make([]storage.AuditEvent, n)
	for i := range events {
		e := newAuditEvent(app.ID, "", "")
		e.CreatedAt = odd(time.Duration(i) * time.Second)
		events[i] = mustAppend(t, s, e)
	}
	got, err := s.ListAuditEvents(t.Context(), storage.AuditQuery{AppID: app.ID})
	mustOK(t, err, "list audit events")
	// Newest first: the 50 latest, which are the last 50 appended.
	requireListed(t, "ListAuditEvents default page", got, events[n-50:], auditKey, true)
}

func testAuditDuplicateID(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	e := mustAppend(t, s, newAuditEvent(app.ID, "", ""))
	dup := newAuditEvent(app.ID, "", "")
	dup.ID = e.ID
	dup.Type = "impostor"
	requireAlreadyExists(t, s.AppendAuditEvent(ctx, dup), "append audit event with a taken id")
	got, err := s.ListAuditEvents(ctx, storage.AuditQuery{AppID: app.ID})
	mustOK(t, err, "list audit events")
	requireListed(t, "ListAuditEvents", got, []storage.AuditEvent{e}, auditKey, true)
}
