package ceremony_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

func TestRenameDevice(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		mine := e.register(softauthn.New(softauthn.Options{}), "amy")
		theirs := e.register(softauthn.New(softauthn.Options{}), "ben")
		other := e.newApp()

		tests := []struct {
			name         string
			app          storage.App
			user, device string
			in           string
			want         string
			code         string
		}{
			{"trimmed", e.app, mine.User.ID, mine.Device.ID, "  Work laptop ", "Work laptop", ""},
			{"100 runes", e.app, mine.User.ID, mine.Device.ID, strings.Repeat("ñ", 100), strings.Repeat("ñ", 100), ""},
			{"empty", e.app, mine.User.ID, mine.Device.ID, "   ", "", ceremony.CodeInvalidRequest},
			{"101 runes", e.app, mine.User.ID, mine.Device.ID, strings.Repeat("ñ", 101), "", ceremony.CodeInvalidRequest},
			{"control", e.app, mine.User.ID, mine.Device.ID, "a\rb", "", ceremony.CodeInvalidRequest},
			{"another user's device", e.app, mine.User.ID, theirs.Device.ID, "Mine now", "", ceremony.CodeDeviceNotFound},
			{"another app", other, mine.User.ID, mine.Device.ID, "Elsewhere", "", ceremony.CodeDeviceNotFound},
			{"unknown device", e.app, mine.User.ID, storage.NewID(), "X", "", ceremony.CodeDeviceNotFound},
			{"no user", e.app, "", mine.Device.ID, "X", "", ceremony.CodeDeviceNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e.clock.Advance(time.Second) // events of one instant have no order
				before := e.snapshot(nil, nil)
				d, err := e.svc.RenameDevice(e.ctx, tt.app, tt.user, tt.device, tt.in)
				if tt.code != "" {
					wantCode(t, err, tt.code)
					e.assertUnchanged(before, nil, nil)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				stored, _ := e.store.GetDevice(e.ctx, e.app.ID, tt.device)
				if d.FriendlyName != tt.want || stored.FriendlyName != tt.want {
					t.Fatalf("name = %q (stored %q), want %q", d.FriendlyName, stored.FriendlyName, tt.want)
				}
				ev := lastEvent(t, e, ceremony.EventDeviceRenamed)
				if ev.DeviceID != tt.device || ev.Detail["to"] != tt.want || ev.Actor != "system" {
					t.Fatalf("audit event = %+v", ev)
				}
			})
		}
	})
}

func TestRevokeDevice(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{})
		mine := e.register(a, "cat")
		theirs := e.register(softauthn.New(softauthn.Options{}), "dan")
		other := e.newApp()

		for _, tc := range []struct {
			name         string
			app          storage.App
			user, device string
		}{
			{"another user's device", e.app, mine.User.ID, theirs.Device.ID},
			{"another app", other, mine.User.ID, mine.Device.ID},
			{"unknown", e.app, mine.User.ID, storage.NewID()},
			{"malformed", e.app, mine.User.ID, strings.Repeat("x", 1000)},
		} {
			before := e.snapshot(nil, nil)
			wantCode(t, e.svc.RevokeDevice(e.ctx, tc.app, tc.user, tc.device), ceremony.CodeDeviceNotFound)
			e.assertUnchanged(before, nil, nil)
		}

		ctx := ceremony.WithActor(e.ctx, "api_key:k1")
		if err := e.svc.RevokeDevice(ctx, e.app, mine.User.ID, mine.Device.ID); err != nil {
			t.Fatal(err)
		}
		if u := e.user("cat"); u.ID != mine.User.ID {
			t.Fatal("revoking the last device removed the user")
		}
		if ev := lastEvent(t, e, ceremony.EventDeviceRevoked); ev.DeviceID != mine.Device.ID || ev.Actor != "api_key:k1" {
			t.Fatalf("audit event = %+v", ev)
		}
		wantCode(t, e.svc.RevokeDevice(e.ctx, e.app, mine.User.ID, mine.Device.ID), ceremony.CodeDeviceNotFound)

		// The revoked passkey no longer signs in, even discoverably.
		hs, err := e.svc.BeginFlexAuthentication(e.ctx, e.app, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.FinishFlexAuthentication(e.ctx, e.app, "", hs.ID, mustAuthenticate(t, a, hs))
		wantCode(t, err, ceremony.CodeVerificationFailed)
	})
}

func TestAuthenticator(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		tests := []struct {
			name     string
			aaguid   []byte
			want     string
			wantIcon bool
		}{
			{"apple", aaguidApple[:], "Apple Passwords", true},
			{"google", aaguidGoogle[:], "Google Password Manager", true},
			{"unknown", make16(0x42), ceremony.UnknownAuthenticator, false},
			{"zero", make([]byte, 16), ceremony.UnknownAuthenticator, false},
			{"malformed", []byte{1, 2, 3}, ceremony.UnknownAuthenticator, false},
		}
		for _, tt := range tests {
			info := e.svc.Authenticator(tt.aaguid)
			if info.Name != tt.want || (info.IconLight != "") != tt.wantIcon || (info.IconDark != "") != tt.wantIcon {
				t.Errorf("%s: %q, icons %v/%v", tt.name, info.Name, info.IconLight != "", info.IconDark != "")
			}
		}
	})
}

// lastEvent returns the newest audit event of a type.
func lastEvent(t *testing.T, e *env, typ string) storage.AuditEvent {
	t.Helper()
	events, err := e.store.ListAuditEvents(e.ctx, storage.AuditQuery{AppID: e.app.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var found []storage.AuditEvent
	for _, ev := range events {
		if ev.Type == typ {
			found = append(found, ev)
		}
	}
	if len(found) == 0 {
		t.Fatalf("no %s event among %+v", typ, events)
	}
	return found[0]
}

func make16(b byte) []byte {
	out := make([]byte, 16)
	for i := range out {
		out[i] = b
	}
	return out
}

// RevokeDeviceKeepingLast leaves a user one device, however removals race.
func TestRevokeDeviceKeepingLast(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{})
		first := e.register(a, "yuri")
		second := e.register(softauthn.New(softauthn.Options{}), "yuri")
		errs := make(chan error, 2)
		for _, d := range []string{first.Device.ID, second.Device.ID} {
			go func() { errs <- e.svc.RevokeDeviceKeepingLast(e.ctx, e.app, first.User.ID, d) }()
		}
		var ok, last int
		for range 2 {
			switch err := <-errs; {
			case err == nil:
				ok++
			case errors.Is(err, ceremony.ErrLastDevice):
				last++
			default:
				t.Fatalf("revoke: %v", err)
			}
		}
		if ok != 1 || last != 1 {
			t.Fatalf("%d revoked, %d refused as the last; want 1 and 1", ok, last)
		}
		ds, err := e.store.ListDevices(e.ctx, e.app.ID, first.User.ID)
		if err != nil || len(ds) != 1 {
			t.Fatalf("devices left: %v %v", ds, err)
		}
		if err := e.svc.RevokeDevice(e.ctx, e.app, first.User.ID, ds[0].ID); err != nil {
			t.Fatalf("RevokeDevice of the last one: %v", err)
		}
	})
}
