package flexapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage"
)

// After the periodic GC, a transaction that expired or was used still
// answers 410 transaction_expired, for as long as the store keeps it
// (storage.TransactionRetention); only then is its ID unknown (404).
func TestTransactionAnswersExpiredAfterGC(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		expired := h.createRegisterTransaction("gina")
		used := h.createRegisterTransaction("hal")
		hs := h.registerStart(used)
		resp, _, err := softauthn.New(softauthn.Options{}).Register(hs.Handshake.Challenge.PublicKey, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		nonceOf(t, h.client("/register/transactions/webauthn/finish", finishBody(used, hs.Handshake.ID, resp)))

		h.clock.Advance(h.app.TransactionTTL + time.Second)
		if _, err := h.store.DeleteExpired(h.ctx, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		for _, tx := range []string{expired, used} {
			r := h.client("/register/transactions/webauthn/start", map[string]string{"transaction_id": tx})
			apitest.WantError(t, r, http.StatusGone, "transaction_expired")
		}

		h.clock.Advance(storage.TransactionRetention)
		if _, err := h.store.DeleteExpired(h.ctx, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		for _, tx := range []string{expired, used} {
			r := h.client("/register/transactions/webauthn/start", map[string]string{"transaction_id": tx})
			apitest.WantError(t, r, http.StatusNotFound, "transaction_not_found")
		}
	})
}
