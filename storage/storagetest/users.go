package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func userTests() []test {
	return []test{
		{"RoundTrip", testUserRoundTrip},
		{"NotFound", testUserNotFound},
		{"Unique", testUserUnique},
		{"SameIdentifiersInTwoApps", testUserTwoApps},
		{"Update", testUserUpdate},
		{"Delete", testUserDelete},
		{"List", testUserList},
		{"ListDefaultLimit", testUserListDefaultLimit},
		{"ListFilters", testUserListFilters},
		{"ListPage", testUserListPage},
		{"ListPageStable", testUserListPageStable},
		{"ListPageBadCursor", testUserListPageBadCursor},
		{"ListPageDefaultLimit", testUserListPageDefaultLimit},
		{"LockRead", testUserLockRead},
		{"LockHolds", testUserLockHolds},
		{"DeleteSessions", testUserDeleteSessions},
		{"DeleteNonces", testUserDeleteNonces},
	}
}

func userKey(u storage.User) (time.Time, string) { return u.CreatedAt, u.ID }

func testUserRoundTrip(t *testing.T, s storage.Store) {
	app := mustCreateApp(t, s)
	fresh := newUser(app.ID)
	fresh.DisplayName = ""
	fresh.Status = storage.UserActive
	fresh.LoginCount = 0
	fresh.LastLoginAt = time.Time{}
	for _, tc := range []struct {
		name string
		user storage.User
	}{
		{"EveryField", newUser(app.ID)},
		{"NeverSignedIn", fresh},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			u := tc.user
			mustOK(t, s.CreateUser(ctx, u), "create user")
			got, err := s.GetUser(ctx, app.ID, u.ID)
			mustOK(t, err, "get user")
			checkSame(t, "GetUser", got, u)
			got, err = s.GetUserByExternalID(ctx, app.ID, u.ExternalID)
			mustOK(t, err, "get user by external id")
			checkSame(t, "GetUserByExternalID", got, u)
			got, err = s.GetUserByHandle(ctx, app.ID, u.Handle)
			mustOK(t, err, "get user by handle")
			checkSame(t, "GetUserByHandle", got, u)
		})
	}
}

// testUserNotFound also checks app isolation: a user is invisible, and
// untouchable, through any app but its own.
func testUserNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	other := mustCreateApp(t, s)
	u := mustCreateUser(t, s, app.ID)
	cases := []struct {
		name             string
		appID, id, extID string
		handle           []byte
	}{
		{"unknown", app.ID, storage.NewID(), "nobody", storage.RandomBytes(16)},
		{"in another app", other.ID, u.ID, u.ExternalID, u.Handle},
	}
	for _, tc := range cases {
		_, err := s.GetUser(ctx, tc.appID, tc.id)
		requireNotFound(t, err, "get user "+tc.name)
		_, err = s.GetUserByExternalID(ctx, tc.appID, tc.extID)
		requireNotFound(t, err, "get user by external id "+tc.name)
		_, err = s.GetUserByHandle(ctx, tc.appID, tc.handle)
		requireNotFound(t, err, "get user by handle "+tc.name)
		requireUpdateNotFound(t, "update user "+tc.name, func(fn func(storage.User) (storage.User, error)) (storage.User, error) {
			return s.UpdateUser(ctx, tc.appID, tc.id, fn)
		})
		requireNotFound(t, s.DeleteUser(ctx, tc.appID, tc.id), "delete user "+tc.name)
	}
	got, err := s.GetUser(ctx, app.ID, u.ID)
	mustOK(t, err, "get user after attempts through another app")
	checkSame(t, "User", got, u)
}

func testUserUnique(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	u := mustCreateUser(t, s, app.ID)

	sameExternal := newUser(app.ID)
	sameExternal.ExternalID = u.ExternalID
	requireAlreadyExists(t, s.CreateUser(ctx, sameExternal), "create user with a taken external id")
	sameHandle := newUser(app.ID)
	sameHandle.Handle = u.Handle
	requireAlreadyExists(t, s.CreateUser(ctx, sameHandle), "create user with a taken handle")
	sameID := newUser(app.ID)
	sameID.ID = u.ID
	requireAlreadyExists(t, s.CreateUser(ctx, sameID), "create user with a taken id")

	list, total, err := s.ListUsers(ctx, app.ID, storage.UserQuery{})
	mustOK(t, err, "list users")
	if total != 1 {
		t.Errorf("ListUsers total = %d, want 1", total)
	}
	requireListed(t, "ListUsers", list, []storage.User{u}, userKey, false)
}

func testUserTwoApps(t *testing.T, s storage.Store) {
	ctx := t.Context()
	appA := mustCreateApp(t, s)
	appB := mustCreateApp(t, s)
	a := mustCreateUser(t, s, appA.ID)
	b := newUser(appB.ID)
	b.ExternalID = a.ExternalID
	b.Handle = a.Handle
	b.DisplayName = "the other one"
	mustOK(t, s.CreateUser(ctx, b), "create user with the same external id and handle in another app")

	for _, want := range []storage.User{a, b} {
		got, err := s.GetUserByExternalID(ctx, want.AppID, want.ExternalID)
		mustOK(t, err, "get user by external id")
		checkSame(t, "GetUserByExternalID", got, want)
		got, err = s.GetUserByHandle(ctx, want.AppID, want.Handle)
		mustOK(t, err, "get user by handle")
		checkSame(t, "GetUserByHandle", got, want)
		list, total, err := s.ListUsers(ctx, want.AppID, storage.UserQuery{ExternalID: want.ExternalID})
		mustOK(t, err, "list users by external id")
		if total != 1 {
			t.Errorf("ListUsers total = %d, want 1", total)
		}
		requireListed(t, "ListUsers", list, []storage.User{want}, userKey, false)
	}
}

func changeUser(u storage.User) storage.User {
	u.DisplayName = "Zoë Renamed"
	u.Status = storage.UserActive
	u.LoginCount++
	u.UpdatedAt = odd(time.Hour)
	u.LastLoginAt = odd(time.Hour)
	return u
}

func testUserUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	u := mustCreateUser(t, s, app.ID)
	neighbour := mustCreateUser(t, s, app.ID)
	update := func(fn func(storage.User) (storage.User, error)) (storage.User, error) {
		return s.UpdateUser(ctx, app.ID, u.ID, fn)
	}
	get := func() (storage.User, error) { return s.GetUser(ctx, app.ID, u.ID) }

	requireUpdateRefused(t, "UpdateUser", u, changeUser, update, get)
	changed := requireUpdated(t, "UpdateUser", u, changeUser, update, get)
	requireUpdated(t, "UpdateUser to never signed in", changed, func(u storage.User) storage.User {
		u.DisplayName = ""
		u.LastLoginAt = time.Time{}
		u.LoginCount = 0
		return u
	}, update, get)

	got, err := s.GetUser(ctx, app.ID, neighbour.ID)
	mustOK(t, err, "get neighbour")
	checkSame(t, "untouched User", got, neighbour)
}

func testUserDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	u := mustCreateUser(t, s, app.ID)
	kept := mustCreateUser(t, s, app.ID)
	mustOK(t, s.DeleteUser(ctx, app.ID, u.ID), "delete user")
	_, err := s.GetUser(ctx, app.ID, u.ID)
	requireNotFound(t, err, "get deleted user")
	_, err = s.GetUserByExternalID(ctx, app.ID, u.ExternalID)
	requireNotFound(t, err, "get deleted user by external id")
	requireNotFound(t, s.DeleteUser(ctx, app.ID, u.ID), "delete user twice")

	// The external ID and handle are free again.
	again := newUser(app.ID)
	again.ExternalID = u.ExternalID
	again.Handle = u.Handle
	mustOK(t, s.CreateUser(ctx, again), "create user with a deleted user's identifiers")

	list, total, err := s.ListUsers(ctx, app.ID, storage.UserQuery{})
	mustOK(t, err, "list users")
	if total != 2 {
		t.Errorf("ListUsers total = %d, want 2", total)
	}
	requireListed(t, "ListUsers", list, []storage.User{kept, again}, userKey, false)
}

func testUserList(t *testing.T, s storage.Store) {
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
	stranger.ExternalID = users[0].ExternalID
	mustOK(t, s.CreateUser(ctx, stranger), "create user in another app")

	all, total, err := s.ListUsers(ctx, app.ID, storage.UserQuery{Limit: 100})
	mustOK(t, err, "list users")
	if total != len(users) {
		t.Errorf("ListUsers total = %d, want %d", total, len(users))
	}
	requireListed(t, "ListUsers", all, users, userKey, false)

	cases := []struct {
		name      string
		q         storage.UserQuery
		from, to  int // the page is all[from:to]
		wantTotal int
	}{
		{"first page", storage.UserQuery{Limit: 3}, 0, 3, 7},
		{"middle page", storage.UserQuery{Limit: 3, Offset: 3}, 3, 6, 7},
		{"last partial page", storage.UserQuery{Limit: 3, Offset: 6}, 6, 7, 7},
		{"past the end", storage.UserQuery{Limit: 3, Offset: 9}, 7, 7, 7},
		{"offset without limit", storage.UserQuery{Offset: 2}, 2, 7, 7},
		{"limit of one", storage.UserQuery{Limit: 1, Offset: 4}, 4, 5, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			page, total, err := s.ListUsers(t.Context(), app.ID, tc.q)
			mustOK(t, err, "list users")
			if total != tc.wantTotal {
				t.Errorf("total = %d, want %d", total, tc.wantTotal)
			}
			requireListed(t, "ListUsers page", page, all[tc.from:tc.to], userKey, false)
		})
	}

	t.Run("by external id", func(t *testing.T) {
		want := users[3]
		page, total, err := s.ListUsers(t.Context(), app.ID, storage.UserQuery{ExternalID: want.ExternalID})
		mustOK(t, err, "list users by external id")
		if total != 1 {
			t.Errorf("total = %d, want 1", total)
		}
		requireListed(t, "ListUsers by external id", page, []storage.User{want}, userKey, false)
	})
	t.Run("by external id past the end", func(t *testing.T) {
		page, total, err := s.ListUsers(t.Context(), app.ID, storage.UserQuery{ExternalID: users[3].ExternalID, Offset: 1})
		mustOK(t, err, "list users by external id")
		if total != 1 || len(page) != 0 {
			t.Errorf("got %d users of total %d, want 0 of total 1", len(page), total)
		}
	})
	t.Run("no match", func(t *testing.T) {
		page, total, err := s.ListUsers(t.Context(), app.ID, storage.UserQuery{ExternalID: "nobody"})
		mustOK(t, err, "list users by unknown external id")
		if total != 0 || len(page) != 0 {
			t.Errorf("got %d users of total %d, want none", len(page), total)
		}
	})
	t.Run("external id is exact", func(t *testing.T) {
		prefix := users[3].ExternalID[:len(users[3].ExternalID)-1]
		page, total, err := s.ListUsers(t.Context(), app.ID, storage.UserQuery{ExternalID: prefix})
		mustOK(t, err, "list users by a prefix of an external id")
		if total != 0 || len(page) != 0 {
			t.Errorf("got %d users of total %d, want none", len(page), total)
		}
	})
}

func testUserListDefaultLimit(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	const n = 53
	users := make([]storage.User, n)
	for i := range users {
		users[i] = newUser(app.ID)
		users[i].CreatedAt = odd(time.Duration(i) * time.Second)
		mustOK(t, s.CreateUser(ctx, users[i]), "create user")
	}
	page, total, err := s.ListUsers(ctx, app.ID, storage.UserQuery{})
	mustOK(t, err, "list users")
	if total != n {
		t.Errorf("total = %d, want %d", total, n)
	}
	requireListed(t, "ListUsers default page", page, users[:50], userKey, false)
}
