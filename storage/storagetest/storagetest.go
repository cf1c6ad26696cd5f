// Package storagetest is the conformance suite every storage engine passes.
package storagetest

import (
	"testing"

	"github.com/passbridge/passbridge/storage"
)

// Run runs the whole suite. newStore must return a fresh, empty, migrated
// store for each call; Run calls it once per subtest.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Helper()
}
