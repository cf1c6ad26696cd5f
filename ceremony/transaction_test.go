package ceremony_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

func TestCreateRegisterTransactionInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		tests := []struct {
			name        string
			externalID  string
			displayName string
			code        string
			wantName    string
		}{
			{"plain", "u-1", "", "", "u-1"},
			{"display name", "u-2", "  Zoë Ångström  ", "", "Zoë Ångström"},
			{"255 bytes", strings.Repeat("x", 255), "", "", strings.Repeat("x", 255)},
			{"emoji with joiner", "u-3", "👩‍💻 Dev", "", "👩‍💻 Dev"},
			{"255 runes", "u-4", strings.Repeat("é", 255), "", strings.Repeat("é", 255)},
			{"empty", "", "", ceremony.CodeInvalidRequest, ""},
			{"256 bytes", strings.Repeat("x", 256), "", ceremony.CodeInvalidRequest, ""},
			{"control in id", "u\n5", "", ceremony.CodeInvalidRequest, ""},
			{"nul in id", "u\x006", "", ceremony.CodeInvalidRequest, ""},
			{"invalid utf-8", "u\xff7", "", ceremony.CodeInvalidRequest, ""},
			{"256 runes", "u-8", strings.Repeat("é", 256), ceremony.CodeInvalidRequest, ""},
			{"control in name", "u-9", "Bob\x07", ceremony.CodeInvalidRequest, ""},
			{"bidi override in name", "u-10", "evil\u202Egnp.exe", ceremony.CodeInvalidRequest, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := e.snapshot(nil, nil)
				tx, err := e.svc.CreateRegisterTransaction(e.ctx, e.app, tt.externalID, tt.displayName)
				if tt.code != "" {
					ce := wantCode(t, err, tt.code)
					if ce.Message == "" || ce.Message == ceremony.ErrInvalidRequest.Message {
						t.Errorf("message %q does not say what is wrong", ce.Message)
					}
					e.assertUnchanged(before, nil, nil)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if tx.DisplayName != tt.wantName {
					t.Fatalf("transaction display name = %q, want %q", tx.DisplayName, tt.wantName)
				}
				if u := e.user(tt.externalID); u.DisplayName != tt.wantName {
					t.Fatalf("user display name = %q, want %q", u.DisplayName, tt.wantName)
				}
			})
		}
	})
}

func TestCreateRegisterTransactionExistingUser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		first, err := e.svc.CreateRegisterTransaction(e.ctx, e.app, "sam", "Sam")
		if err != nil {
			t.Fatal(err)
		}
		second, err := e.svc.CreateRegisterTransaction(e.ctx, e.app, "sam", "")
		if err != nil {
			t.Fatal(err)
		}
		if second.UserID != first.UserID || second.DisplayName != "Sam" {
			t.Fatalf("second transaction = %+v", second)
		}
		third, err := e.svc.CreateRegisterTransaction(e.ctx, e.app, "sam", "Work laptop")
		if err != nil {
			t.Fatal(err)
		}
		if third.DisplayName != "Work laptop" || e.user("sam").DisplayName != "Sam" {
			t.Fatalf("passkey display name changed the user: %+v", third)
		}
		events, _ := e.store.ListAuditEvents(e.ctx, storage.AuditQuery{AppID: e.app.ID})
		if len(events) != 1 || events[0].Type != ceremony.EventUserCreated || events[0].UserID != first.UserID {
			t.Fatalf("audit events = %+v", events)
		}

		setStatus(t, e, first.UserID, storage.UserInactive)
		before := e.snapshot(nil, nil)
		_, err = e.svc.CreateRegisterTransaction(e.ctx, e.app, "sam", "")
		wantCode(t, err, ceremony.CodeCannotCreateTransaction)
		_, err = e.svc.StartRegistration(e.ctx, e.app, ceremony.RegistrationStart{ExternalID: "sam"})
		wantCode(t, err, ceremony.CodeUserInactive)
		e.assertUnchanged(before, nil, nil)
	})
}

func TestCreateRegisterTransactionConcurrentSignup(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		users := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tx, err := e.svc.CreateRegisterTransaction(e.ctx, e.app, "tina", "")
				errs[i], users[i] = err, tx.UserID
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			if users[i] != users[0] {
				t.Fatalf("requests created different users: %v", users)
			}
		}
		_, total, _ := e.store.ListUsers(e.ctx, e.app.ID, storage.UserQuery{})
		if total != 1 {
			t.Fatalf("%d users, want 1", total)
		}
	})
}

func TestCreateAuthenticateTransaction(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		before := e.snapshot(nil, nil)
		_, err := e.svc.CreateAuthenticateTransaction(e.ctx, e.app, "nobody")
		wantCode(t, err, ceremony.CodeUserNotFound)
		_, err = e.svc.CreateAuthenticateTransaction(e.ctx, e.app, "")
		wantCode(t, err, ceremony.CodeInvalidRequest)
		_, err = e.svc.StartAuthentication(e.ctx, e.app, "nobody")
		wantCode(t, err, ceremony.CodeUserNotFound)
		e.assertUnchanged(before, nil, nil)

		// A register transaction creates the user, without a passkey yet.
		if _, err := e.svc.CreateRegisterTransaction(e.ctx, e.app, "uma", ""); err != nil {
			t.Fatal(err)
		}
		before = e.snapshot(nil, nil)
		_, err = e.svc.CreateAuthenticateTransaction(e.ctx, e.app, "uma")
		wantCode(t, err, ceremony.CodeUserHasNoPasskeys)
		_, err = e.svc.StartAuthentication(e.ctx, e.app, "uma")
		wantCode(t, err, ceremony.CodeUserHasNoPasskeys)
		e.assertUnchanged(before, nil, nil)

		a := softauthn.New(softauthn.Options{})
		reg := e.register(a, "uma")
		tx, err := e.svc.CreateAuthenticateTransaction(e.ctx, e.app, "uma")
		if err != nil {
			t.Fatal(err)
		}
		if tx.Kind != storage.KindAuthenticate || tx.UserID != reg.User.ID || tx.State != storage.TransactionPending {
			t.Fatalf("transaction = %+v", tx)
		}

		// Revoking the last device: the user stays, with no passkeys.
		if err := e.svc.RevokeDevice(e.ctx, e.app, reg.User.ID, reg.Device.ID); err != nil {
			t.Fatal(err)
		}
		e.user("uma")
		_, err = e.svc.BeginFlexAuthentication(e.ctx, e.app, tx.ID)
		wantCode(t, err, ceremony.CodeUserHasNoPasskeys)
		_, err = e.svc.CreateAuthenticateTransaction(e.ctx, e.app, "uma")
		wantCode(t, err, ceremony.CodeUserHasNoPasskeys)

		// An inactive user may not authenticate.
		e.register(a, "uma")
		setStatus(t, e, reg.User.ID, storage.UserInactive)
		_, err = e.svc.CreateAuthenticateTransaction(e.ctx, e.app, "uma")
		wantCode(t, err, ceremony.CodeCannotCreateTransaction)
		_, err = e.svc.BeginFlexAuthentication(e.ctx, e.app, tx.ID)
		wantCode(t, err, ceremony.CodeUserInactive)
	})
}

func TestBeginRejects(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		reg, err := e.svc.CreateRegisterTransaction(e.ctx, e.app, "vic", "")
		if err != nil {
			t.Fatal(err)
		}
		other := e.newApp()
		tests := []struct {
			name string
			call func() error
			code string
		}{
			{"register: unknown transaction", func() error {
				_, err := e.svc.BeginFlexRegistration(e.ctx, e.app, storage.NewID(), "")
				return err
			}, ceremony.CodeTransactionNotFound},
			{"register: transaction of another app", func() error {
				_, err := e.svc.BeginFlexRegistration(e.ctx, other, reg.ID, "")
				return err
			}, ceremony.CodeTransactionNotFound},
			{"register: no transaction id", func() error {
				_, err := e.svc.BeginFlexRegistration(e.ctx, e.app, "", "")
				return err
			}, ceremony.CodeInvalidRequest},
			{"authenticate: register transaction", func() error {
				_, err := e.svc.BeginFlexAuthentication(e.ctx, e.app, reg.ID)
				return err
			}, ceremony.CodeTransactionNotFound},
			{"authenticate: unknown transaction", func() error {
				_, err := e.svc.BeginFlexAuthentication(e.ctx, e.app, "nope")
				return err
			}, ceremony.CodeTransactionNotFound},
			{"start registration: no external id", func() error {
				_, err := e.svc.StartRegistration(e.ctx, e.app, ceremony.RegistrationStart{})
				return err
			}, ceremony.CodeInvalidRequest},
			{"start registration: control characters", func() error {
				_, err := e.svc.StartRegistration(e.ctx, e.app, ceremony.RegistrationStart{ExternalID: "w", UserName: "a\tb"})
				return err
			}, ceremony.CodeInvalidRequest},
			{"start authentication: bad external id", func() error {
				_, err := e.svc.StartAuthentication(e.ctx, e.app, "a\x00")
				return err
			}, ceremony.CodeInvalidRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := e.snapshot([]string{reg.ID}, nil)
				wantCode(t, tt.call(), tt.code)
				e.assertUnchanged(before, []string{reg.ID}, nil)
			})
		}

		e.clock.Advance(e.app.TransactionTTL + time.Second)
		_, err = e.svc.BeginFlexRegistration(e.ctx, e.app, reg.ID, "")
		wantCode(t, err, ceremony.CodeTransactionExpired)
	})
}
