package ceremony_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// forEachEngineB runs a benchmark on a fresh env of every engine.
func forEachEngineB(b *testing.B, fn func(b *testing.B, e *env)) {
	for _, engine := range sqlstoretest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			e := newEnv(b, sqlstoretest.Open(b, engine), func(a *storage.App) {
				a.TransactionTTL = 24 * time.Hour
				a.NonceTTL = time.Hour
			})
			fn(b, e)
		})
	}
}

func BenchmarkCreateTransaction(b *testing.B) {
	forEachEngineB(b, func(b *testing.B, e *env) {
		e.register(softauthn.New(softauthn.Options{}), "bench")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.svc.CreateAuthenticateTransaction(e.ctx, e.app, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkFinishFlexRegistration(b *testing.B) {
	forEachEngineB(b, func(b *testing.B, e *env) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			r := e.prepareRegister(softauthn.New(softauthn.Options{}), fmt.Sprintf("user-%d", i))
			b.StartTimer()
			if _, err := e.svc.FinishFlexRegistration(e.ctx, e.app, r.tx.ID, r.hs.ID, r.response); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkFinishFlexAuthentication(b *testing.B) {
	for _, mode := range []string{"bound", "discoverable"} {
		b.Run(mode, func(b *testing.B) {
			forEachEngineB(b, func(b *testing.B, e *env) {
				a := softauthn.New(softauthn.Options{SignCount: 1})
				e.register(a, "bench")
				bound := "bench"
				if mode == "discoverable" {
					bound = ""
				}
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					f := e.prepareAuthenticate(a, bound)
					b.StartTimer()
					if _, err := e.svc.FinishFlexAuthentication(e.ctx, e.app, f.txID, f.hs.ID, f.response); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkVerifyNonce(b *testing.B) {
	forEachEngineB(b, func(b *testing.B, e *env) {
		res := e.register(softauthn.New(softauthn.Options{}), "bench")
		nonces := make([]string, b.N)
		now := e.clock.Now()
		for i := range nonces {
			nonces[i] = fmt.Sprintf("bench-nonce-%d-%s", i, storage.NewID())
			err := e.store.CreateNonce(e.ctx, storage.Nonce{
				Hash: storage.HashSecret(nonces[i]), AppID: e.app.ID, UserID: res.User.ID,
				ExternalID: "bench", DeviceID: res.Device.ID, Kind: storage.KindAuthenticate,
				CreatedAt: now, ExpiresAt: now.Add(time.Hour),
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := e.svc.VerifyNonce(e.ctx, e.app, nonces[i]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
