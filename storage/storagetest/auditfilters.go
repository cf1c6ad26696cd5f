package storagetest

import (
	"slices"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// testAuditFilters: every filter of AuditQuery, alone and combined.
func testAuditFilters(t *testing.T, s storage.Store) {
	a := newWorld(t, s)
	b := newWorld(t, s)
	adminKey, apiKey := "admin_key:"+storage.NewID(), "api_key:"+storage.NewID()

	event := func(w world, typ, actor string, minutes time.Duration) storage.AuditEvent {
		e := newAuditEvent(w.App.ID, w.User.ID, "")
		e.Type, e.Actor, e.CreatedAt = typ, actor, odd(minutes*time.Minute)
		return mustAppend(t, s, e)
	}
	revokedByAdmin := event(a, "device.revoked", adminKey, 1)
	renamedByAdmin := event(a, "device.renamed", adminKey, 2)
	revokedByAPI := event(a, "device.revoked", apiKey, 3)
	revokedByCLI := event(b, "device.revoked", "cli", 4)
	// A lookalike of the "api_key" kind: "_" must not act as a wildcard.
	lookalike := event(b, "device.revoked", "apiXkey:"+storage.NewID(), 5)
	bySystem := event(b, "app.updated", "system", 5)
	serverWide := mustAppend(t, s, storage.AuditEvent{
		ID: storage.NewID(), Type: "signing_key.rotated", Actor: adminKey, CreatedAt: odd(6 * time.Minute),
	})
	all := []storage.AuditEvent{revokedByAdmin, renamedByAdmin, revokedByAPI, revokedByCLI, lookalike, bySystem, serverWide}
	except := func(drop ...storage.AuditEvent) []storage.AuditEvent {
		return slices.DeleteFunc(slices.Clone(all), func(e storage.AuditEvent) bool {
			return slices.ContainsFunc(drop, func(d storage.AuditEvent) bool { return d.ID == e.ID })
		})
	}

	cases := []struct {
		name string
		q    storage.AuditQuery
		want []storage.AuditEvent
	}{
		{"type", storage.AuditQuery{Type: "device.revoked"}, []storage.AuditEvent{revokedByAdmin, revokedByAPI, revokedByCLI, lookalike}},
		{"type nobody recorded", storage.AuditQuery{Type: "device"}, nil},
		{"actor", storage.AuditQuery{Actor: adminKey}, []storage.AuditEvent{revokedByAdmin, renamedByAdmin, serverWide}},
		{"actor without id", storage.AuditQuery{Actor: "cli"}, []storage.AuditEvent{revokedByCLI}},
		{"actor is exact", storage.AuditQuery{Actor: "admin_key"}, nil},
		{"actor type", storage.AuditQuery{ActorType: "admin_key"}, []storage.AuditEvent{revokedByAdmin, renamedByAdmin, serverWide}},
		{"actor type api_key", storage.AuditQuery{ActorType: "api_key"}, []storage.AuditEvent{revokedByAPI}},
		{"actor type of actors without id", storage.AuditQuery{ActorType: "system"}, []storage.AuditEvent{bySystem}},
		{"actor type is a whole kind", storage.AuditQuery{ActorType: "admin"}, nil},
		{"since is inclusive", storage.AuditQuery{Since: revokedByCLI.CreatedAt}, []storage.AuditEvent{revokedByCLI, lookalike, bySystem, serverWide}},
		{"until is exclusive", storage.AuditQuery{Until: revokedByCLI.CreatedAt}, []storage.AuditEvent{revokedByAdmin, renamedByAdmin, revokedByAPI}},
		{"since and until", storage.AuditQuery{Since: renamedByAdmin.CreatedAt, Until: lookalike.CreatedAt}, []storage.AuditEvent{renamedByAdmin, revokedByAPI, revokedByCLI}},
		{"empty window", storage.AuditQuery{Since: lookalike.CreatedAt, Until: lookalike.CreatedAt}, nil},
		{"app and type", storage.AuditQuery{AppID: a.App.ID, Type: "device.revoked"}, []storage.AuditEvent{revokedByAdmin, revokedByAPI}},
		{"app, user, actor type and window", storage.AuditQuery{
			AppID: a.App.ID, UserID: a.User.ID, ActorType: "admin_key", Since: odd(time.Minute), Until: odd(2 * time.Minute),
		}, []storage.AuditEvent{revokedByAdmin}},
		{"actor and actor type agree", storage.AuditQuery{Actor: apiKey, ActorType: "api_key"}, []storage.AuditEvent{revokedByAPI}},
		{"actor and actor type disagree", storage.AuditQuery{Actor: apiKey, ActorType: "admin_key"}, nil},
		{"no filter", storage.AuditQuery{}, all},
		{"until with before", storage.AuditQuery{Until: serverWide.CreatedAt, Before: bySystem.CreatedAt}, except(lookalike, bySystem, serverWide)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListAuditEvents(t.Context(), tc.q)
			mustOK(t, err, "list audit events")
			requireListed(t, "ListAuditEvents", got, tc.want, auditKey, true)
		})
	}
}

// testAuditPaging walks a listing page by page with After: every event is
// listed once, in order, through instants many events share, and a filter
// holds on every page.
func testAuditPaging(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newWorld(t, s)
	b := newWorld(t, s)
	var ofA, all []storage.AuditEvent
	for i := range 23 {
		w := a
		if i%4 == 3 {
			w = b
		}
		e := newAuditEvent(w.App.ID, w.User.ID, "")
		// Groups of five share an instant: only the ID orders them.
		e.CreatedAt = odd(time.Duration(i/5) * time.Second)
		mustAppend(t, s, e)
		all = append(all, e)
		if w.App.ID == a.App.ID {
			ofA = append(ofA, e)
		}
	}
	for _, tc := range []struct {
		name  string
		q     storage.AuditQuery
		want  []storage.AuditEvent
		limit int
	}{
		{"everything by 4", storage.AuditQuery{}, all, 4},
		{"everything by 5", storage.AuditQuery{}, all, 5},
		{"one app by 3", storage.AuditQuery{AppID: a.App.ID}, ofA, 3},
		{"one page", storage.AuditQuery{}, all, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := sortByCreated(tc.want, auditKey, true)
			var got []storage.AuditEvent
			q := tc.q
			q.Limit = tc.limit
			for pages := 0; ; pages++ {
				if pages > len(want) {
					t.Fatalf("paging does not end: %d pages for %d events", pages, len(want))
				}
				page, err := s.ListAuditEvents(ctx, q)
				mustOK(t, err, "list audit events")
				if len(page) > tc.limit {
					t.Fatalf("page of %d events, limit %d", len(page), tc.limit)
				}
				got = append(got, page...)
				if len(page) < tc.limit {
					break
				}
				q.After = storage.Cursor{CreatedAt: page[len(page)-1].CreatedAt, ID: page[len(page)-1].ID}
			}
			requireListed(t, "ListAuditEvents pages", got, want, auditKey, true)
		})
	}

	// A position taken from an event that is gone still pages on from
	// where it stood.
	page, err := s.ListAuditEvents(ctx, storage.AuditQuery{Limit: 7})
	mustOK(t, err, "list audit events")
	ghost := storage.Cursor{CreatedAt: page[6].CreatedAt, ID: page[6].ID + "~"}
	rest, err := s.ListAuditEvents(ctx, storage.AuditQuery{After: ghost, Limit: 100})
	mustOK(t, err, "list audit events after a position of no event")
	requireListed(t, "ListAuditEvents after a ghost position", rest, sortByCreated(all, auditKey, true)[6:], auditKey, true)
}
