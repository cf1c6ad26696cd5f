package cachestore

// Remembered reports how many apps and unknown app IDs s holds.
func (s *Store) Remembered() (apps, missing int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.apps), len(s.missing)
}
