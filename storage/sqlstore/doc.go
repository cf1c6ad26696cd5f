// Package sqlstore is passbridge's SQL storage engine: PostgreSQL through
// lib/pq and SQLite through modernc.org/sqlite, both on sqlx. It implements
// storage.Store and passes storage/storagetest.
//
// Queries are written once with "?" placeholders and rebound per dialect;
// only the DDL differs, in the embedded migrations/{postgres,sqlite}
// directories, which Migrate applies with goose.
//
// Statements run outside a transaction are prepared once per query text and
// cached. database/sql keeps each cached statement prepared per connection
// and prepares it again on a new connection, so a PostgreSQL restart costs
// at most the requests that were in flight on the dead connections.
//
// Callbacks given to Update* and InTx must use only the Store they are handed
// (or none): on SQLite the engine has a single connection, and a callback
// that called the outer Store would wait for itself.
//
// A transaction, or a statement outside one, that PostgreSQL aborts for a
// serialization failure (40001, at SERIALIZABLE isolation, and CockroachDB's
// answer to any contention) or a deadlock (40P01) is run again from its
// start, a bounded number of times and never past the context's deadline
// (retry.go). So those callbacks may run more than once, and must do nothing
// but their work on the Store they are handed. A context's deadline that
// passes during a statement is storage.ErrUnavailable.
package sqlstore
