// Package storagetest is the conformance suite every storage engine passes.
//
// An engine's test calls Run with a constructor of fresh, empty, migrated
// stores. Every subtest gets its own store, so subtests neither see each
// other's rows nor depend on their order. The suite checks the contract
// written in package storage: exact round trips, not-found and uniqueness
// errors, app isolation, update callbacks, single-use consumption, expiry and
// garbage collection, cascades, transactions and concurrent use.
package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// test is one subtest: it receives a fresh store of its own.
type test struct {
	name string
	run  func(t *testing.T, s storage.Store)
}

// Run runs the whole suite. newStore must return a fresh, empty, migrated
// store for each call; Run calls it once per subtest.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Helper()
	groups := []struct {
		name  string
		tests []test
	}{
		{"Store", storeTests()},
		{"Apps", appTests()},
		{"APIKeys", apiKeyTests()},
		{"AdminKeys", adminKeyTests()},
		{"Users", userTests()},
		{"Devices", deviceTests()},
		{"Bulk", bulkTests()},
		{"Transactions", transactionTests()},
		{"Handshakes", handshakeTests()},
		{"Nonces", nonceTests()},
		{"CeremonyCommits", commitTests()},
		{"Clients", clientTests()},
		{"AuthRequests", authRequestTests()},
		{"AuthCodes", authCodeTests()},
		{"AccessTokens", accessTokenTests()},
		{"RefreshTokens", refreshTokenTests()},
		{"Sessions", sessionTests()},
		{"SignIns", signInTests()},
		{"SigningKeys", signingKeyTests()},
		{"Audit", auditTests()},
		{"RequestObjects", requestObjectTests()},
		{"EnrolmentLinks", enrolmentLinkTests()},
		{"Cascades", cascadeTests()},
		{"InTx", txTests()},
		{"GC", gcTests()},
		{"Concurrency", concurrencyTests()},
		{"Deadlines", deadlineTests()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					tc.run(t, newStore(t))
				})
			}
		})
	}
}

func storeTests() []test {
	return []test{
		{"Ping", func(t *testing.T, s storage.Store) {
			mustOK(t, s.Ping(t.Context()), "ping")
		}},
		{"EmptyStoreIsEmpty", testEmptyStore},
	}
}

// testEmptyStore guards the suite itself: a store that is not fresh would
// let tests pass on rows they did not write.
func testEmptyStore(t *testing.T, s storage.Store) {
	ctx := t.Context()
	apps, err := s.ListApps(ctx)
	mustOK(t, err, "list apps")
	keys, err := s.ListSigningKeys(ctx)
	mustOK(t, err, "list signing keys")
	events, err := s.ListAuditEvents(ctx, storage.AuditQuery{})
	mustOK(t, err, "list audit events")
	if len(apps)+len(keys)+len(events) != 0 {
		t.Fatalf("new store holds %d apps, %d signing keys, %d audit events; want an empty store",
			len(apps), len(keys), len(events))
	}
	gc, err := s.DeleteExpired(ctx, at(100*365*24*time.Hour))
	mustOK(t, err, "delete expired")
	if gc.Total() != 0 {
		t.Errorf("delete expired on an empty store removed %v", gc)
	}
}
