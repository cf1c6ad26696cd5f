package cli

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/provider/settings"
)

func TestDevices(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env := map[string]string{"PASSBRIDGE_DATABASE_URL": db}
		appID := createApp(t, db)
		st := openDB(t, db)
		s := seed(t, st, appID, 2)
		dana, bert := s.users[0], s.users[1]
		ctx := context.Background()

		var list, byExt []flexapi.Device
		mustJSON(t, &list, env, "devices", "list", "--app", appID, "--user", dana.ID)
		mustJSON(t, &byExt, env, "devices", "list", "--app", appID, "--external-id", "ext-0")
		if len(list) != 2 || list[0].ID != s.devices[0].ID || list[1].ID != s.devices[1].ID || list[0].FriendlyName != "Passkey 0" || list[0].AuthenticatorName != "Passkey" || !reflect.DeepEqual(list, byExt) {
			t.Fatalf("devices list: %+v / %+v", list, byExt)
		}
		if out := mustRun(t, env, "devices", "list", "--app", appID, "--user", dana.ID); !strings.Contains(out, "Passkey 1") ||
			len(strings.Split(strings.TrimSpace(out), "\n")) != 3 {
			t.Fatalf("table:\n%s", out)
		}
		mustJSON(t, &list, env, "devices", "list", "--app", appID, "--user", bert.ID)
		if len(list) != 0 {
			t.Fatalf("a user without devices: %+v", list)
		}

		var renamed flexapi.Device
		mustJSON(t, &renamed, env, "devices", "rename", "--app", appID, "--user", dana.ID, s.devices[0].ID, "--name", " Work laptop ")
		if renamed.ID != s.devices[0].ID || renamed.FriendlyName != "Work laptop" {
			t.Fatalf("renamed: %+v", renamed)
		}
		before, _ := st.GetDevice(ctx, appID, s.devices[0].ID)
		wantRefused(t, run(t, env, "devices", "rename", "--app", appID, "--user", dana.ID, s.devices[0].ID, "--name", "a\x01b"), "control characters")
		wantRefused(t, run(t, env, "devices", "rename", "--app", appID, s.devices[0].ID, "--name", "x"), "a user is required: --user or --external-id")
		wantRefused(t, run(t, env, "devices", "rename", "--app", appID, "--user", dana.ID, s.devices[0].ID), "--name is required")
		wantRefused(t, run(t, env, "devices", "rename", "--app", appID, "--user", bert.ID, s.devices[0].ID, "--name", "x"),
			`device "`+s.devices[0].ID+`" not found among the passkeys of user "`+bert.ID+`"`)
		if after, _ := st.GetDevice(ctx, appID, s.devices[0].ID); !reflect.DeepEqual(after, before) {
			t.Fatalf("refused renames wrote:\n%+v\n%+v", before, after)
		}

		// Sessions: the live ones, oldest first.
		var sessions []settings.SessionJSON
		mustJSON(t, &sessions, env, "sessions", "list", "--app", appID, "--external-id", "ext-0")
		if len(sessions) != 2 || sessions[0].ID != s.sessions[0].session.ID || sessions[1].DeviceID != s.devices[1].ID ||
			sessions[0].ACR != "phrh" {
			t.Fatalf("sessions: %+v", sessions)
		}

		// Revoking a device ends what it signed in, and only that.
		wantRefused(t, run(t, env, "devices", "revoke", "--app", appID, "--user", dana.ID, s.devices[0].ID, "--all"), "not both")
		wantRefused(t, run(t, env, "devices", "revoke", "--app", appID, "--user", dana.ID), "DEVICE_ID or --all")
		wantRefused(t, run(t, env, "devices", "revoke", "--app", appID, "--user", bert.ID, s.devices[0].ID), "not found among")
		var revoked struct{ Revoked int }
		mustJSON(t, &revoked, env, "devices", "revoke", "--app", appID, "--user", dana.ID, s.devices[0].ID)
		if revoked.Revoked != 1 {
			t.Fatalf("revoked: %+v", revoked)
		}
		if _, err := st.GetDevice(ctx, appID, s.devices[0].ID); err == nil {
			t.Fatal("the revoked device is still there")
		}
		if s.sessions[0].live(t, st) || !s.sessions[1].live(t, st) {
			t.Fatal("revoking a device must end its sign-in and no other")
		}
		mustJSON(t, &revoked, env, "devices", "revoke", "--app", appID, "--external-id", "ext-0", "--all")
		if revoked.Revoked != 1 || s.sessions[1].live(t, st) {
			t.Fatalf("revoke --all: %+v", revoked)
		}
		if ds, _ := st.ListDevices(ctx, appID, dana.ID); len(ds) != 0 {
			t.Fatalf("%d devices after revoke --all", len(ds))
		}
		mustJSON(t, &revoked, env, "devices", "revoke", "--app", appID, "--user", dana.ID, "--all")
		if revoked.Revoked != 0 {
			t.Fatalf("revoke --all of none: %+v", revoked)
		}
		if _, err := st.GetUser(ctx, appID, dana.ID); err != nil {
			t.Fatalf("the user went with their devices: %v", err)
		}

		want := []string{"app.created", "device.renamed", "device.revoked", "device.revoked"}
		if types := auditTypes(t, st); !reflect.DeepEqual(types, want) {
			t.Fatalf("audit: %v, want %v", types, want)
		}
	})
}

func TestSessionsEnd(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env := map[string]string{"PASSBRIDGE_DATABASE_URL": db}
		appID := createApp(t, db)
		st := openDB(t, db)
		s := seed(t, st, appID, 2)
		other := signInThrough(t, st, s.client, s.users[1], "", s.users[1].CreatedAt)

		var ended struct{ Ended int }
		mustJSON(t, &ended, env, "sessions", "end", "--app", appID, "--user", s.users[0].ID)
		// Two live sessions and the expired one.
		if ended.Ended != 3 {
			t.Fatalf("ended: %+v", ended)
		}
		for _, si := range s.sessions {
			if si.live(t, st) {
				t.Fatal("a sign-in outlived sessions end")
			}
		}
		if !other.live(t, st) {
			t.Fatal("another user's sign-in ended")
		}
		var sessions []settings.SessionJSON
		mustJSON(t, &sessions, env, "sessions", "list", "--app", appID, "--user", s.users[0].ID)
		if len(sessions) != 0 {
			t.Fatalf("sessions after the end: %+v", sessions)
		}
		if out := mustRun(t, env, "sessions", "end", "--app", appID, "--external-id", "ext-1"); !strings.Contains(out, "ended 1 session(s)") {
			t.Fatalf("human: %s", out)
		}
		wantRefused(t, run(t, env, "sessions", "end", "--app", appID, "--user", "nobody"), `user "nobody" not found`)
		wantRefused(t, run(t, env, "sessions", "list", "--app", "nosuchapp", "--user", "x"), `app "nosuchapp" not found`)
		u, err := st.GetUser(context.Background(), appID, s.users[0].ID)
		if err != nil || u.Status != "active" {
			t.Fatalf("user after sessions end: %+v %v", u, err)
		}
		want := []string{"app.created", "user.sessions_ended", "user.sessions_ended"}
		if types := auditTypes(t, st); !reflect.DeepEqual(types, want) {
			t.Fatalf("audit: %v, want %v", types, want)
		}
	})
}
