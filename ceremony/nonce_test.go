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

func TestVerifyNonce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		st := open(t)
		tests := []struct {
			name  string
			nonce func(e *env, good string) string
			app   func(e *env) storage.App
		}{
			{"reused", func(e *env, good string) string {
				if _, err := e.svc.VerifyNonce(e.ctx, e.app, good); err != nil {
					t.Fatal(err)
				}
				return good
			}, nil},
			{"expired", func(e *env, good string) string {
				e.clock.Advance(e.app.NonceTTL + time.Second)
				return good
			}, nil},
			{"other app", func(e *env, good string) string { return good }, func(e *env) storage.App { return e.newApp() }},
			{"unknown", func(e *env, good string) string { return good[:len(good)-2] + "AA" }, nil},
			{"empty", func(e *env, good string) string { return "" }, nil},
			{"too long", func(e *env, good string) string { return good + strings.Repeat("A", 200) }, nil},
			{"binary", func(e *env, good string) string { return "\x00\xff" }, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, st)
				res := e.register(softauthn.New(softauthn.Options{}), "walt")
				nonce := tt.nonce(e, res.Nonce)
				app := e.app
				if tt.app != nil {
					app = tt.app(e)
				}
				_, err := e.svc.VerifyNonce(e.ctx, app, nonce)
				wantCode(t, err, ceremony.CodeInvalidNonce)
			})
		}
	})
}

func TestVerifyNonceStaysUntilExpiry(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		res := e.register(softauthn.New(softauthn.Options{}), "xena")
		// A wrong app does not use the nonce up.
		_, err := e.svc.VerifyNonce(e.ctx, e.newApp(), res.Nonce)
		wantCode(t, err, ceremony.CodeInvalidNonce)
		e.clock.Advance(e.app.NonceTTL - time.Second)
		n, err := e.svc.VerifyNonce(e.ctx, e.app, res.Nonce)
		if err != nil {
			t.Fatal(err)
		}
		if n.AppID != e.app.ID || n.UserID != res.User.ID || !n.ExpiresAt.After(e.clock.Now()) {
			t.Fatalf("nonce = %+v", n)
		}
	})
}

func TestVerifyNonceConcurrently(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		res := e.register(softauthn.New(softauthn.Options{}), "yara")
		const n = 100
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			wins    int
			invalid int
			other   []error
		)
		start := make(chan struct{})
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := e.svc.VerifyNonce(e.ctx, e.app, res.Nonce)
				mu.Lock()
				defer mu.Unlock()
				switch ceremony.CodeOf(err) {
				case "":
					if err == nil {
						wins++
					} else {
						other = append(other, err)
					}
				case ceremony.CodeInvalidNonce:
					invalid++
				default:
					other = append(other, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if wins != 1 || invalid != n-1 || len(other) != 0 {
			t.Fatalf("wins %d, invalid %d, other %v; want 1, %d, none", wins, invalid, other, n-1)
		}
	})
}

func TestFinishConcurrently(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{})
		e.register(a, "zed")
		f := e.prepareAuthenticate(a, "")
		const n = 10
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.svc.FinishFlexAuthentication(e.ctx, e.app, "", f.hs.ID, f.response)
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case ceremony.CodeOf(err) != ceremony.CodeHandshakeNotFound:
				t.Errorf("loser got %v, want handshake_not_found", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d finishes succeeded, want 1", wins)
		}
		d, _ := e.store.ListDevices(e.ctx, e.app.ID, e.user("zed").ID)
		if d[0].UsageCount != 1 || e.user("zed").LoginCount != 1 {
			t.Fatalf("usage %d, logins %d; want 1, 1", d[0].UsageCount, e.user("zed").LoginCount)
		}
	})
}
