package ceremony_test

import (
	"context"
	"sync"
	"testing"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// beforeTx is a store that runs a hook once before the next transaction
// or ceremony commit begins: a deactivation landing between a ceremony's
// checks and its commit, which only the commit's own check can catch.
type beforeTx struct {
	storage.Store
	mu   sync.Mutex
	hook func()
}

func (s *beforeTx) arm(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = fn
}

func (s *beforeTx) fire() {
	s.mu.Lock()
	hook := s.hook
	s.hook = nil
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
}

func (s *beforeTx) InTx(ctx context.Context, fn func(tx storage.Store) error) error {
	s.fire()
	return s.Store.InTx(ctx, fn)
}

func (s *beforeTx) CommitCeremony(ctx context.Context, c storage.CeremonyCommit) (storage.User, storage.Device, error) {
	s.fire()
	return s.Store.CommitCeremony(ctx, c)
}

// A user deactivated while a registration is being verified gets no device
// and no nonce: the finish's transaction holds the user and checks it.
func TestDeactivationDuringFinish(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		inner := open(t)
		st := &beforeTx{Store: inner}
		e := newEnv(t, st)
		reg, err := loadRegistry()
		if err != nil {
			t.Fatal(err)
		}
		admin, err := ceremony.New(ceremony.Config{Store: inner, Now: e.clock.Now, AAGUIDs: reg})
		if err != nil {
			t.Fatal(err)
		}
		a := softauthn.New(softauthn.Options{})
		dana := e.register(a, "dana")
		deactivate := func() {
			if _, err := admin.SetUserStatus(e.ctx, e.app, dana.User.ID, storage.UserInactive, "cli"); err != nil {
				t.Error(err)
			}
		}
		reactivate := func() {
			if _, err := admin.SetUserStatus(e.ctx, e.app, dana.User.ID, storage.UserActive, "cli"); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("flex registration", func(t *testing.T) {
			defer reactivate()
			r := e.prepareRegister(softauthn.New(softauthn.Options{}), "dana")
			st.arm(deactivate)
			_, err := e.svc.FinishFlexRegistration(e.ctx, e.app, r.tx.ID, r.hs.ID, r.response)
			wantCode(t, err, ceremony.CodeUserInactive)
			if ds, _ := inner.ListDevices(e.ctx, e.app.ID, dana.User.ID); len(ds) != 1 {
				t.Fatalf("%d devices after a refused registration, want 1", len(ds))
			}
		})
		t.Run("start/finish registration", func(t *testing.T) {
			defer reactivate()
			hs, err := e.svc.StartRegistration(e.ctx, e.app, ceremony.RegistrationStart{ExternalID: "dana"})
			if err != nil {
				t.Fatal(err)
			}
			resp, _, err := softauthn.New(softauthn.Options{}).Register(hs.Options, testOrigin)
			if err != nil {
				t.Fatal(err)
			}
			st.arm(deactivate)
			_, err = e.svc.FinishRegistration(e.ctx, e.app, "dana", resp)
			wantCode(t, err, ceremony.CodeUserInactive)
			if ds, _ := inner.ListDevices(e.ctx, e.app.ID, dana.User.ID); len(ds) != 1 {
				t.Fatalf("%d devices after a refused registration, want 1", len(ds))
			}
		})
		t.Run("authentication", func(t *testing.T) {
			defer reactivate()
			f := e.prepareAuthenticate(a, "")
			st.arm(deactivate)
			_, err := e.svc.FinishFlexAuthentication(e.ctx, e.app, "", f.hs.ID, f.response)
			wantCode(t, err, ceremony.CodeUserInactive)
			if u := e.user("dana"); u.LoginCount != 0 {
				t.Fatalf("login count %d after a refused sign-in", u.LoginCount)
			}
		})
	})
}
