package cli

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/settings"
	"github.com/passbridge/passbridge/storage"
)

// seeded is what a CLI test puts in the store besides the app: users, and
// sign-ins of the first (a session and tokens through each of its devices).
type seeded struct {
	users    []storage.User
	devices  []storage.Device // the first user's
	client   storage.Client
	sessions []signIn // of the first user, one per device
}

// signIn is a session with the refresh and access token it was issued.
type signIn struct {
	session storage.Session
	refresh storage.RefreshToken
	access  storage.AccessToken
}

// seed stores n users of app (ext-0 … ext-<n-1>, created a minute apart,
// ext-1 inactive), two devices of ext-0, a sign-in of ext-0 through each,
// and an expired session of ext-0.
func seed(t *testing.T, st storage.Store, appID string, n int) seeded {
	t.Helper()
	ctx := context.Background()
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Microsecond)
	var s seeded
	for i := range n {
		u := storage.User{ID: storage.NewID(), AppID: appID, ExternalID: fmt.Sprintf("ext-%d", i), Handle: storage.RandomBytes(32),
			DisplayName: fmt.Sprintf("User %d", i), Status: storage.UserActive, CreatedAt: base.Add(time.Duration(i) * time.Minute),
			UpdatedAt: base}
		if i == 1 {
			u.Status = storage.UserInactive
		}
		mustOK(t, st.CreateUser(ctx, u))
		s.users = append(s.users, u)
	}
	for i := range 2 {
		d := storage.Device{ID: storage.NewID(), AppID: appID, UserID: s.users[0].ID, CredentialID: storage.RandomBytes(16),
			PublicKey: storage.RandomBytes(77), AttestationType: "none", AttestationFormat: "none", AAGUID: make([]byte, 16),
			Transports: []string{"internal"}, FriendlyName: fmt.Sprintf("Passkey %d", i), Type: storage.DeviceTypePlatform,
			Attachment: "platform", CreatedAt: base.Add(time.Duration(i) * time.Second), UpdatedAt: base}
		mustOK(t, st.CreateDevice(ctx, d))
		s.devices = append(s.devices, d)
	}
	s.client = storage.Client{ID: "client-" + storage.NewID(), AppID: appID, AuthMethod: storage.AuthMethodNone,
		RedirectURIs: []string{"https://rp.example/cb"}, AccessTokenType: "bearer", CreatedAt: base, UpdatedAt: base}
	mustOK(t, st.CreateClient(ctx, s.client))
	for i, d := range s.devices {
		s.sessions = append(s.sessions, signInThrough(t, st, s.client, s.users[0], d.ID, base.Add(time.Duration(i)*time.Second)))
	}
	expired := newSessionOf(s.users[0], "", base.Add(-48*time.Hour))
	mustOK(t, st.CreateSession(ctx, expired))
	return s
}

func newSessionOf(u storage.User, deviceID string, at time.Time) storage.Session {
	return storage.Session{ID: storage.NewID(), AppID: u.AppID, UserID: u.ID, Subject: u.ExternalID,
		Hash: storage.HashSecret(storage.NewID()), DeviceID: deviceID, AuthTime: at, AMR: []string{"hwk", "user"}, ACR: "phrh",
		CreatedAt: at, LastSeenAt: at, ExpiresAt: at.Add(24 * time.Hour)}
}

// signInThrough stores a session of u's device deviceID with a refresh and
// an access token.
func signInThrough(t *testing.T, st storage.Store, c storage.Client, u storage.User, deviceID string, at time.Time) signIn {
	t.Helper()
	ctx := context.Background()
	s := signIn{session: newSessionOf(u, deviceID, at)}
	mustOK(t, st.CreateSession(ctx, s.session))
	s.refresh = storage.RefreshToken{ID: storage.NewID(), Hash: storage.HashSecret(storage.NewID()), AppID: u.AppID, ClientID: c.ID,
		UserID: u.ID, Subject: u.ExternalID, SessionID: s.session.ID, DeviceID: deviceID, GrantID: storage.NewID(),
		CreatedAt: at, ExpiresAt: at.Add(48 * time.Hour)}
	mustOK(t, st.CreateRefreshToken(ctx, s.refresh))
	s.access = storage.AccessToken{ID: storage.NewID(), AppID: u.AppID, ClientID: c.ID,
		UserID: u.ID, Subject: u.ExternalID, SessionID: s.session.ID, DeviceID: deviceID, GrantID: s.refresh.GrantID,
		CreatedAt: at, ExpiresAt: at.Add(48 * time.Hour)}
	mustOK(t, st.CreateAccessToken(ctx, s.access))
	return s
}

// live reports whether a sign-in's session, refresh token and access token
// are all still there, or (false) all gone; a mix fails the test.
func (s signIn) live(t *testing.T, st storage.Store) bool {
	t.Helper()
	ctx, now := context.Background(), time.Now()
	_, err := st.GetSession(ctx, s.session.ID)
	session := err == nil
	_, err = st.GetRefreshTokenByHash(ctx, s.refresh.Hash, now)
	refresh := err == nil
	_, err = st.GetAccessToken(ctx, s.access.ID, now)
	access := err == nil
	if session != refresh || refresh != access {
		t.Fatalf("sign-in half ended: session %v, refresh token %v, access token %v", session, refresh, access)
	}
	return session
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantRefused checks that a command failed with an error naming each of
// want.
func wantRefused(t *testing.T, res result, want ...string) {
	t.Helper()
	if res.err == nil {
		t.Fatalf("accepted: %s", res.stdout)
	}
	for _, w := range want {
		if !strings.Contains(res.err.Error(), w) {
			t.Errorf("error %q does not say %s", res.err, w)
		}
	}
}

type usersPageJSON struct {
	Items      []settings.UserJSON `json:"items"`
	NextCursor *string             `json:"next_cursor"`
}

func TestUsersList(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env := map[string]string{"PASSBRIDGE_DATABASE_URL": db}
		appID := createApp(t, db)
		st := openDB(t, db)
		s := seed(t, st, appID, 5)

		// Paged by cursor, oldest first.
		var ids []string
		cursor := ""
		for page := 0; ; page++ {
			args := []string{"users", "list", "--app", appID, "--limit", "2"}
			if cursor != "" {
				args = append(args, "--cursor", cursor)
			}
			var p usersPageJSON
			mustJSON(t, &p, env, args...)
			for _, u := range p.Items {
				ids = append(ids, u.ID)
			}
			if p.NextCursor == nil {
				if page != 2 || len(p.Items) != 1 {
					t.Fatalf("last page %d holds %d users", page, len(p.Items))
				}
				break
			}
			if page == 5 {
				t.Fatal("more than 5 pages of 2 for 5 users: the cursor does not advance")
			}
			cursor = *p.NextCursor
		}
		var want []string
		for _, u := range s.users {
			want = append(want, u.ID)
		}
		if !reflect.DeepEqual(ids, want) {
			t.Fatalf("paged through %v, want %v", ids, want)
		}

		var p usersPageJSON
		mustJSON(t, &p, env, "users", "list", "--app", appID, "--status", "inactive")
		if len(p.Items) != 1 || p.Items[0].ExternalID != "ext-1" || p.Items[0].Status != "inactive" || p.NextCursor != nil {
			t.Fatalf("inactive users: %+v", p)
		}
		mustJSON(t, &p, env, "users", "list", "--app", appID, "--external-id", "ext-3", "--status", "active")
		u3 := s.users[3]
		wantJSON := settings.UserJSON{ID: u3.ID, ExternalID: "ext-3", DisplayName: "User 3", Status: "active",
			CreatedAt: u3.CreatedAt, UpdatedAt: u3.UpdatedAt}
		if len(p.Items) != 1 || !reflect.DeepEqual(p.Items[0], wantJSON) {
			t.Fatalf("by external id: %+v\nwant %+v", p.Items, wantJSON)
		}

		// A table, and where the next page starts on stderr.
		res := run(t, env, "users", "list", "--app", appID, "--limit", "3")
		lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
		if res.err != nil || len(lines) != 4 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[2], "ext-1") ||
			!strings.Contains(lines[2], "inactive") || !strings.Contains(res.stderr, "--cursor ") {
			t.Fatalf("table: %v\n%s\n%s", res.err, res.stdout, res.stderr)
		}

		wantRefused(t, run(t, env, "users", "list", "--app", appID, "--status", "gone", "--limit", "0", "--cursor", "x!"),
			`--status "gone"`, "--limit 0", `--cursor "x!"`)
		wantRefused(t, run(t, env, "users", "list", "--app", appID, "--limit", "201"), "--limit 201")
		wantRefused(t, run(t, env, "users", "list", "--app", "nosuchapp"), `app "nosuchapp" not found`)
	})
}

func TestUsersGetUpdateDelete(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env := map[string]string{"PASSBRIDGE_DATABASE_URL": db}
		appID := createApp(t, db)
		st := openDB(t, db)
		s := seed(t, st, appID, 3)
		dana := s.users[0]
		ctx := context.Background()

		var byID, byExt settings.UserJSON
		mustJSON(t, &byID, env, "users", "get", "--app", appID, dana.ID)
		mustJSON(t, &byExt, env, "users", "get", "--app", appID, "--external-id", "ext-0")
		if byID.ID != dana.ID || byID.ExternalID != "ext-0" || byID.Status != "active" || !reflect.DeepEqual(byID, byExt) {
			t.Fatalf("get: %+v / %+v", byID, byExt)
		}
		if out := mustRun(t, env, "users", "get", "--app", appID, dana.ID); !strings.Contains(out, "external_id:") || !strings.Contains(out, "ext-0") {
			t.Fatalf("get, human:\n%s", out)
		}
		wantRefused(t, run(t, env, "users", "get", "--app", appID, dana.ID, "--external-id", "ext-0"), "not both")
		wantRefused(t, run(t, env, "users", "get", "--app", appID), "a user is required")
		wantRefused(t, run(t, env, "users", "get", "--app", appID, "nobody"), `user "nobody" not found in app`)
		wantRefused(t, run(t, env, "users", "get", "--app", appID, "--external-id", "nobody"), `no user with external ID "nobody"`)

		// A refused update names every bad value and writes nothing.
		before, _ := st.GetUser(ctx, appID, dana.ID)
		wantRefused(t, run(t, env, "users", "update", "--app", appID, dana.ID, "--status", "paused", "--display-name", "a\tb"),
			`--status "paused"`, `--display-name "a\tb"`)
		wantRefused(t, run(t, env, "users", "update", "--app", appID, dana.ID), "nothing to update")
		wantRefused(t, run(t, env, "users", "update", "--app", appID, "--external-id", "nobody", "--status", "inactive"), `no user with external ID "nobody"`)
		if after, _ := st.GetUser(ctx, appID, dana.ID); !reflect.DeepEqual(after, before) {
			t.Fatalf("refused updates wrote:\n%+v\n%+v", before, after)
		}

		// Deactivation ends the sessions and tokens at once.
		var updated settings.UserJSON
		mustJSON(t, &updated, env, "users", "update", "--app", appID, "--external-id", "ext-0", "--display-name", " Dana ", "--status", "inactive")
		if updated.Status != "inactive" || updated.DisplayName != "Dana" {
			t.Fatalf("updated: %+v", updated)
		}
		if ss, _ := st.ListSessions(ctx, appID, dana.ID); len(ss) != 0 {
			t.Fatalf("%d sessions after deactivation", len(ss))
		}
		for _, si := range s.sessions {
			if si.live(t, st) {
				t.Fatal("a sign-in outlived the deactivation")
			}
		}
		mustJSON(t, &updated, env, "users", "update", "--app", appID, dana.ID, "--status", "active")
		if updated.Status != "active" || updated.DisplayName != "Dana" {
			t.Fatalf("reactivated: %+v", updated)
		}

		var deleted map[string]any
		mustJSON(t, &deleted, env, "users", "delete", "--app", appID, "--external-id", "ext-2")
		if deleted["id"] != s.users[2].ID || deleted["deleted"] != true {
			t.Fatalf("delete: %v", deleted)
		}
		if _, err := st.GetUser(ctx, appID, s.users[2].ID); err == nil {
			t.Fatal("deleted user is still there")
		}
		wantRefused(t, run(t, env, "users", "delete", "--app", appID, s.users[2].ID), "not found")

		want := []string{"app.created", "user.updated", "user.deactivated", "user.reactivated", "user.deleted"}
		if types := auditTypes(t, st); !reflect.DeepEqual(types, want) {
			t.Fatalf("audit: %v, want %v", types, want)
		}
	})
}
