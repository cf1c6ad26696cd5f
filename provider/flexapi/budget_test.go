package flexapi_test

import (
	"net/http"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage/cachestore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// The statement budget: how many statements each Flex flow sends to
// PostgreSQL, counted at the driver, on the store serve builds (the cache
// in front of the SQL store), once the caches are warm. A flow that sends
// more fails with the statements listed; one that sends fewer asks for
// the budget to be lowered, so that the gain is kept.
const (
	budgetAuthenticate = 7 // create transaction → start → finish → verify nonce
	budgetRegister     = 9 // the same for a registration
	budgetVerifyNonce  = 1
)

func TestStatementBudget(t *testing.T) {
	st, sent := sqlstoretest.OpenCounting(t, sqlstoretest.Postgres)
	h := newHarness(t, cachestore.New(st, cachestore.Config{}))
	a := softauthn.New(softauthn.Options{BackupEligible: true, SignCount: 1})
	h.register(a, "alice")
	// Warm: the app and key are read once, then served from memory.
	h.verify(h.authenticate(a, "alice"))

	t.Run("authenticate", func(t *testing.T) {
		sent.Budget(t, "authenticate", budgetAuthenticate, func() { h.verify(h.authenticate(a, "alice")) })
	})
	t.Run("register", func(t *testing.T) {
		sent.Budget(t, "register", budgetRegister, func() {
			n, _ := h.register(softauthn.New(softauthn.Options{BackupEligible: true}), "bob")
			h.verify(n)
		})
	})
	t.Run("verify nonce", func(t *testing.T) {
		n := h.authenticate(a, "alice")
		sent.Budget(t, "verify nonce", budgetVerifyNonce, func() {
			if r := h.mgmt(http.MethodPost, "/authenticate/verify", map[string]string{"nonce": n}); r.Status != http.StatusOK {
				t.Fatalf("verify: %d %s", r.Status, r.Body)
			}
		})
	})
}
