package ceremony_test

import (
	"sync"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// One synced passkey signing in on several browsers at once: every
// ceremony succeeds and every use counts. (Synced passkeys report a
// counter of 0, which never advances, so nothing orders their uses.)
func TestConcurrentSignInsOfOnePasskey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{BackupEligible: true})
		e.register(a, "erin")
		const n = 8
		ready := make([]flexAuthentication, n)
		for i := range ready {
			ready[i] = e.prepareAuthenticate(a, "")
		}
		var wg sync.WaitGroup
		for _, f := range ready {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.svc.FinishFlexAuthentication(e.ctx, e.app, f.txID, f.hs.ID, f.response); err != nil {
					t.Errorf("concurrent sign-in: %v", err)
				}
			}()
		}
		wg.Wait()
		u := e.user("erin")
		devices, err := e.store.ListDevices(e.ctx, e.app.ID, u.ID)
		if err != nil || len(devices) != 1 {
			t.Fatalf("devices %v, %v", devices, err)
		}
		if u.LoginCount != n || devices[0].UsageCount != n {
			t.Errorf("login count %d, usage count %d after %d sign-ins", u.LoginCount, devices[0].UsageCount, n)
		}
	})
}
