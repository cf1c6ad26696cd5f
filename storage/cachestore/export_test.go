package cachestore

import "github.com/passbridge/passbridge/storage"

// Remembered reports how many values of a kind (storage.ChangeApp,
// ChangeAPIKey, ChangeClient) s holds, and how many unknown keys.
func (s *Store) Remembered(kind string) (found, missing int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch kind {
	case storage.ChangeApp:
		return len(s.apps.found), len(s.apps.missing)
	case storage.ChangeAPIKey:
		return len(s.keys.found), len(s.keys.missing)
	case storage.ChangeClient:
		return len(s.clients.found), len(s.clients.missing)
	}
	panic("unknown kind " + kind)
}
