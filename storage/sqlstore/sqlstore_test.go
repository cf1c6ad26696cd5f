package sqlstore_test

import (
	"testing"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
	"github.com/passbridge/passbridge/storage/storagetest"
)

// TestConformance runs the storage conformance suite on every engine.
func TestConformance(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(t testing.TB) *sqlstore.Store) {
		storagetest.Run(t, func(t *testing.T) storage.Store { return open(t) })
	})
}
