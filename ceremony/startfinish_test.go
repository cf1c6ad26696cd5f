package ceremony_test

import (
	"testing"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

func TestStartFinish(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{BackupEligible: true})

		hs, err := e.svc.StartRegistration(e.ctx, e.app, ceremony.RegistrationStart{
			ExternalID: "user-42", UserName: "dana@example.com", UserDisplayName: "Dana",
		})
		if err != nil {
			t.Fatal(err)
		}
		user := options(t, hs)["user"].(map[string]any)
		if user["name"] != "dana@example.com" || user["displayName"] != "Dana" {
			t.Fatalf("options user = %v", user)
		}
		if u := e.user("user-42"); u.DisplayName != "Dana" {
			t.Fatalf("created user = %+v", u)
		}
		resp, _, err := a.Register(hs.Options, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.FinishRegistration(e.ctx, e.app, "someone-else", resp); ceremony.CodeOf(err) != ceremony.CodeHandshakeNotFound {
			t.Fatalf("finish for another user: %v", err)
		}
		reg, err := e.svc.FinishRegistration(e.ctx, e.app, "user-42", resp)
		if err != nil {
			t.Fatal(err)
		}
		if reg.Nonce != "" || reg.Device.ID == "" || reg.User.ExternalID != "user-42" {
			t.Fatalf("registration result = %+v", reg)
		}
		if _, err := e.svc.FinishRegistration(e.ctx, e.app, "user-42", resp); ceremony.CodeOf(err) != ceremony.CodeHandshakeNotFound {
			t.Fatalf("second finish: %v", err)
		}

		// Bound.
		hs, err = e.svc.StartAuthentication(e.ctx, e.app, "user-42")
		if err != nil {
			t.Fatal(err)
		}
		if len(options(t, hs)["allowCredentials"].([]any)) != 1 {
			t.Fatal("bound start lists no credential")
		}
		resp, err = a.Authenticate(hs.Options, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.svc.FinishAuthentication(e.ctx, e.app, "user-42", resp)
		if err != nil {
			t.Fatal(err)
		}
		if res.Nonce != "" || res.User.ExternalID != "user-42" || res.Device.ID != reg.Device.ID || res.Device.UsageCount != 1 {
			t.Fatalf("authentication result = %+v", res)
		}

		// Discoverable, with and without naming the user.
		for _, want := range []string{"", "user-42"} {
			hs, err = e.svc.StartAuthentication(e.ctx, e.app, "")
			if err != nil {
				t.Fatal(err)
			}
			if hs.Mediation != "conditional" {
				t.Fatalf("mediation = %q", hs.Mediation)
			}
			resp, err = a.Authenticate(hs.Options, testOrigin)
			if err != nil {
				t.Fatal(err)
			}
			res, err = e.svc.FinishAuthentication(e.ctx, e.app, want, resp)
			if err != nil || res.User.ExternalID != "user-42" {
				t.Fatalf("discoverable finish (%q) = %+v, %v", want, res.User, err)
			}
		}

		// A discoverable ceremony naming another user is refused.
		if _, err := e.svc.CreateRegisterTransaction(e.ctx, e.app, "other", ""); err != nil {
			t.Fatal(err)
		}
		hs, _ = e.svc.StartAuthentication(e.ctx, e.app, "")
		resp, _ = a.Authenticate(hs.Options, testOrigin)
		before := e.snapshot(nil, nil)
		_, err = e.svc.FinishAuthentication(e.ctx, e.app, "other", resp)
		wantCode(t, err, ceremony.CodeVerificationFailed)
		e.assertUnchanged(before, nil, nil)
	})
}

func TestStartRegistrationNames(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		tests := []struct {
			name                   string
			req                    ceremony.RegistrationStart
			wantName, wantDisplay  string
			wantUserDisplayOnStore string
		}{
			{"only external id", ceremony.RegistrationStart{ExternalID: "u1"}, "u1", "u1", "u1"},
			{"user name", ceremony.RegistrationStart{ExternalID: "u2", UserName: "e@x"}, "e@x", "e@x", "e@x"},
			{"passkey name wins", ceremony.RegistrationStart{ExternalID: "u3", UserName: "e@x", UserDisplayName: "E", PasskeyDisplayName: "Work"}, "Work", "Work", "Work"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				hs, err := e.svc.StartRegistration(e.ctx, e.app, tt.req)
				if err != nil {
					t.Fatal(err)
				}
				user := options(t, hs)["user"].(map[string]any)
				if user["name"] != tt.wantName || user["displayName"] != tt.wantDisplay {
					t.Fatalf("user = %v", user)
				}
				if got := e.user(tt.req.ExternalID).DisplayName; got != tt.wantUserDisplayOnStore {
					t.Fatalf("stored display name = %q", got)
				}
			})
		}
	})
}
