// Package chaos is passbridge's reliability harness: it builds the
// passbridge binary once, runs real `passbridge serve` processes (three on
// one PostgreSQL behind a pinning HTTP proxy, or one on SQLite), drives them
// with the flows of provider/loadflow, injects faults (SIGKILL, a cut
// database connection, a PostgreSQL restart, a corpus of bad input) and
// checks what the load saw and what the store holds afterwards.
//
// The tests run a short form inside `make test` (PostgreSQL parts when
// PASSBRIDGE_TEST_POSTGRES_DSN is set) and a long form with -chaos.long
// (`make chaos`). Each scenario adds a row to one table: load held, faults
// injected, requests failed and why, acknowledged writes lost, double
// spends, recovery times. See docs/reliability.md.
package chaos
