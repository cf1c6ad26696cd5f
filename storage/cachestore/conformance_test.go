package cachestore_test

import (
	"testing"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/cachestore"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
	"github.com/passbridge/passbridge/storage/storagetest"
)

// The cache passes the whole conformance suite over every engine: to a
// caller who writes through it, it is the store it wraps.
func TestConformance(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(t testing.TB) *sqlstore.Store) {
		storagetest.Run(t, func(t *testing.T) storage.Store {
			return cachestore.New(open(t), cachestore.Config{})
		})
	})
}
