package sqlstore

import "github.com/jmoiron/sqlx"

// DBForTest reaches under a Store, for tests of what the engine does with
// rows it did not write itself (a newer schema version, say).
func (s *Store) DBForTest() *sqlx.DB { return s.db }
