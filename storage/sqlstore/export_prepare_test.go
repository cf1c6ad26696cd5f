package sqlstore

// UserLockPreparedForTest reports whether the statement LockUser runs
// inside PostgreSQL transactions is in the prepared statement cache.
func (s *Store) UserLockPreparedForTest() bool { return s.stmts.cached(qUserShare) != nil }
