package storagetest

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// pageThrough lists every page of q from the first, checking that each
// page but the last is full and hands out a cursor, and returns the pages.
func pageThrough(t *testing.T, s storage.Store, appID string, q storage.UserQuery) [][]storage.User {
	t.Helper()
	var pages [][]storage.User
	for {
		p, err := s.ListUsersPage(t.Context(), appID, q)
		mustOK(t, err, "list users page")
		pages = append(pages, p.Items)
		if p.NextCursor == "" {
			return pages
		}
		if len(p.Items) != pageLimitOf(q) {
			t.Fatalf("page %d holds %d users and a next cursor; want a full page of %d", len(pages), len(p.Items), pageLimitOf(q))
		}
		if len(pages) > 100 {
			t.Fatal("more than 100 pages: the cursor does not advance")
		}
		q.After = p.NextCursor
	}
}

func pageLimitOf(q storage.UserQuery) int {
	if q.Limit <= 0 {
		return 50
	}
	return q.Limit
}

// pageIDs is the IDs of pages of users, each page's IDs in order.
func pageIDs(pages [][]storage.User) [][]string {
	out := make([][]string, len(pages))
	for i, p := range pages {
		out[i] = idsOf(p, userKey)
	}
	return out
}

func testUserListPage(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	other := mustCreateApp(t, s)
	// Seven users, created out of order, three sharing one instant so the ID
	// decides between them.
	created := []time.Duration{5, 1, 3, 3, 7, 3, 2}
	users := make([]storage.User, len(created))
	for i, h := range created {
		users[i] = newUser(app.ID)
		users[i].CreatedAt = odd(h * time.Hour)
		mustOK(t, s.CreateUser(ctx, users[i]), "create user")
	}
	stranger := newUser(other.ID)
	stranger.CreatedAt = odd(4 * time.Hour)
	mustOK(t, s.CreateUser(ctx, stranger), "create user in another app")
	all := sortByCreated(users, userKey, false)

	for _, tc := range []struct {
		name  string
		limit int
		want  [][]storage.User
	}{
		{"pages of three", 3, [][]storage.User{all[0:3], all[3:6], all[6:7]}},
		{"one page exactly full", 7, [][]storage.User{all}},
		{"pages of one", 1, [][]storage.User{all[0:1], all[1:2], all[2:3], all[3:4], all[4:5], all[5:6], all[6:7]}},
		{"pages of six", 6, [][]storage.User{all[0:6], all[6:7]}},
		{"default limit", 0, [][]storage.User{all}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := pageThrough(t, s, app.ID, storage.UserQuery{Limit: tc.limit})
			if len(got) != len(tc.want) {
				t.Fatalf("got pages %v, want %v", pageIDs(got), pageIDs(tc.want))
			}
			for i := range got {
				requireListed(t, "ListUsersPage page", got[i], tc.want[i], userKey, false)
			}
		})
	}

	t.Run("empty app", func(t *testing.T) {
		p, err := s.ListUsersPage(t.Context(), mustCreateApp(t, s).ID, storage.UserQuery{})
		mustOK(t, err, "list users page of an empty app")
		if len(p.Items) != 0 || p.NextCursor != "" {
			t.Fatalf("empty app: %d users, next cursor %q", len(p.Items), p.NextCursor)
		}
	})
}

// testUserListPageStable checks what makes a cursor better than an offset:
// users deleted from a page already read, or created before the cursor,
// shift nothing; users created after it are still to come.
func testUserListPageStable(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	users := make([]storage.User, 6)
	for i := range users {
		users[i] = newUser(app.ID)
		users[i].CreatedAt = odd(time.Duration(10*i) * time.Minute)
		mustOK(t, s.CreateUser(ctx, users[i]), "create user")
	}
	first, err := s.ListUsersPage(ctx, app.ID, storage.UserQuery{Limit: 3})
	mustOK(t, err, "list first page")
	requireListed(t, "first page", first.Items, users[:3], userKey, false)

	mustOK(t, s.DeleteUser(ctx, app.ID, users[0].ID), "delete a listed user")
	early := newUser(app.ID)
	early.CreatedAt = odd(5 * time.Minute)
	mustOK(t, s.CreateUser(ctx, early), "create a user before the cursor")
	late := newUser(app.ID)
	late.CreatedAt = odd(35 * time.Minute)
	mustOK(t, s.CreateUser(ctx, late), "create a user after the cursor")

	second, err := s.ListUsersPage(ctx, app.ID, storage.UserQuery{Limit: 3, After: first.NextCursor})
	mustOK(t, err, "list second page")
	requireListed(t, "second page", second.Items, []storage.User{users[3], late, users[4]}, userKey, false)
	third, err := s.ListUsersPage(ctx, app.ID, storage.UserQuery{Limit: 3, After: second.NextCursor})
	mustOK(t, err, "list third page")
	requireListed(t, "third page", third.Items, users[5:], userKey, false)
	if third.NextCursor != "" {
		t.Errorf("last page has next cursor %q", third.NextCursor)
	}
}

func testUserListFilters(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	other := mustCreateApp(t, s)
	var active, inactive []storage.User
	for i := range 7 {
		u := newUser(app.ID)
		u.CreatedAt = odd(time.Duration(i) * time.Minute)
		u.Status = storage.UserActive
		if i%3 == 1 {
			u.Status = storage.UserInactive
			inactive = append(inactive, u)
		} else {
			active = append(active, u)
		}
		mustOK(t, s.CreateUser(ctx, u), "create user")
	}
	stranger := newUser(other.ID)
	stranger.Status = storage.UserInactive
	mustOK(t, s.CreateUser(ctx, stranger), "create user in another app")

	for _, tc := range []struct {
		name string
		q    storage.UserQuery
		want []storage.User
	}{
		{"active", storage.UserQuery{Status: storage.UserActive}, active},
		{"inactive", storage.UserQuery{Status: storage.UserInactive}, inactive},
		{"external id and its status", storage.UserQuery{ExternalID: inactive[1].ExternalID, Status: storage.UserInactive}, inactive[1:2]},
		{"external id and another status", storage.UserQuery{ExternalID: inactive[1].ExternalID, Status: storage.UserActive}, nil},
		{"unknown status", storage.UserQuery{Status: "suspended"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Offset paging counts what matches the filter.
			q := tc.q
			q.Limit = 2
			page, total, err := s.ListUsers(t.Context(), app.ID, q)
			mustOK(t, err, "list users")
			if total != len(tc.want) {
				t.Errorf("ListUsers total = %d, want %d", total, len(tc.want))
			}
			requireListed(t, "ListUsers", page, tc.want[:min(2, len(tc.want))], userKey, false)
			q.Offset = 2
			page, total, err = s.ListUsers(t.Context(), app.ID, q)
			mustOK(t, err, "list users, second page")
			if total != len(tc.want) {
				t.Errorf("ListUsers second page total = %d, want %d", total, len(tc.want))
			}
			requireListed(t, "ListUsers second page", page, tc.want[min(2, len(tc.want)):min(4, len(tc.want))], userKey, false)

			// Cursor paging walks exactly the matching users.
			q = tc.q
			q.Limit = 2
			var got []storage.User
			for _, p := range pageThrough(t, s, app.ID, q) {
				got = append(got, p...)
			}
			requireListed(t, "ListUsersPage", got, tc.want, userKey, false)
		})
	}
}

func testUserListPageBadCursor(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	mustCreateUser(t, s, app.ID)
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, bad := range []string{
		"not a cursor!",
		enc("no separator"),
		enc("12x.abc"),
		enc("123."),
		enc("123.a\x00b"),
		enc("123.a\nb"),
		enc("123.\xff\xfe"),
		enc("99999999999999999999999.abc"),
		string(make([]byte, 600)),
	} {
		_, err := s.ListUsersPage(ctx, app.ID, storage.UserQuery{After: bad})
		if !errors.Is(err, storage.ErrInvalidCursor) {
			t.Errorf("cursor %q: got error %v, want ErrInvalidCursor", bad, err)
		}
	}
	// A well-formed cursor past every user is an empty last page.
	past := storage.Cursor{CreatedAt: at(100 * 365 * 24 * time.Hour), ID: "zzz"}.String()
	p, err := s.ListUsersPage(ctx, app.ID, storage.UserQuery{After: past})
	mustOK(t, err, "list users after the last one")
	if len(p.Items) != 0 || p.NextCursor != "" {
		t.Errorf("page past the end: %d users, next cursor %q", len(p.Items), p.NextCursor)
	}
}

func testUserListPageDefaultLimit(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	users := make([]storage.User, 53)
	for i := range users {
		users[i] = newUser(app.ID)
		users[i].CreatedAt = odd(time.Duration(i) * time.Second)
		mustOK(t, s.CreateUser(ctx, users[i]), "create user")
	}
	pages := pageThrough(t, s, app.ID, storage.UserQuery{})
	if len(pages) != 2 {
		t.Fatalf("got %d pages, want 50 users then 3", len(pages))
	}
	requireListed(t, "first page", pages[0], users[:50], userKey, false)
	requireListed(t, "second page", pages[1], users[50:], userKey, false)
}
