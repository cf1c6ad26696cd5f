package flexapi_test

import (
	"net/http"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// benchEngines runs fn once per engine, each on a fresh harness. The HTTP
// server is in-process (httptest), so the numbers include the client's and
// the server's HTTP work as well as the store's.
func benchEngines(b *testing.B, fn func(b *testing.B, h *harness)) {
	for _, engine := range sqlstoretest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			fn(b, newHarness(b, sqlstoretest.Open(b, engine)))
		})
	}
}

// A backend creating a register transaction for a known user.
func BenchmarkCreateTransaction(b *testing.B) {
	benchEngines(b, func(b *testing.B, h *harness) {
		h.createRegisterTransaction("bench")
		body := map[string]string{"external_id": "bench", "passkey_display_name": "bench@example.com"}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if r := h.mgmt(http.MethodPost, "/transactions/register", body); r.Status != http.StatusOK {
				b.Fatalf("status %d: %s", r.Status, r.Body)
			}
		}
	})
}

// The browser finishing a registration: verification, device, nonce. The
// transaction, start and authenticator are outside the timing.
func BenchmarkRegisterFinish(b *testing.B) {
	benchEngines(b, func(b *testing.B, h *harness) {
		b.ReportAllocs()
		for i := range b.N {
			b.StopTimer()
			tx := h.createRegisterTransaction("bench")
			hs := h.registerStart(tx)
			resp, _, err := softauthn.New(softauthn.Options{BackupEligible: true}).Register(hs.Handshake.Challenge.PublicKey, testOrigin)
			if err != nil {
				b.Fatal(err)
			}
			body := finishBody(tx, hs.Handshake.ID, resp)
			b.StartTimer()
			if r := h.client("/register/transactions/webauthn/finish", body); r.Status != http.StatusOK {
				b.Fatalf("finish %d: status %d: %s", i, r.Status, r.Body)
			}
		}
	})
}

// The browser finishing a discoverable authentication: lookup by user
// handle, signature, device and user updates, nonce.
func BenchmarkAuthenticateFinish(b *testing.B) {
	benchEngines(b, func(b *testing.B, h *harness) {
		a := softauthn.New(softauthn.Options{BackupEligible: true})
		h.register(a, "bench")
		b.ReportAllocs()
		for i := range b.N {
			b.StopTimer()
			hs := h.authenticateStart("")
			resp, err := a.Authenticate(hs.Handshake.Challenge.PublicKey, testOrigin)
			if err != nil {
				b.Fatal(err)
			}
			body := finishBody("", hs.Handshake.ID, resp)
			b.StartTimer()
			if r := h.client("/authenticate/transactions/webauthn/finish", body); r.Status != http.StatusOK {
				b.Fatalf("finish %d: status %d: %s", i, r.Status, r.Body)
			}
		}
	})
}

// A backend redeeming a nonce.
func BenchmarkVerifyNonce(b *testing.B) {
	benchEngines(b, func(b *testing.B, h *harness) {
		a := softauthn.New(softauthn.Options{BackupEligible: true})
		h.register(a, "bench")
		nonces := make([]string, b.N)
		for i := range nonces {
			nonces[i] = h.authenticate(a, "")
		}
		b.ReportAllocs()
		b.ResetTimer()
		for _, n := range nonces {
			if r := h.mgmt(http.MethodPost, "/authenticate/verify", map[string]string{"nonce": n}); r.Status != http.StatusOK {
				b.Fatalf("status %d: %s", r.Status, r.Body)
			}
		}
	})
}
