package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// An expired row is replaced: its object can no longer be used anyway, and
// GC may not have run yet.
const qRequestObjectUse = `INSERT INTO used_request_objects (hash, expires_at) VALUES (?, ?)
	ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at WHERE used_request_objects.expires_at <= ?`

// UseRequestObject records a request object's jti digest until expiresAt;
// one recorded and unexpired at now is storage.ErrAlreadyExists.
func (s *Store) UseRequestObject(ctx context.Context, hash []byte, now, expiresAt time.Time) error {
	if err := s.insert(ctx, qRequestObjectUse, bytesArg(hash), timeArg(expiresAt), timeArg(now)); err != nil {
		return fmt.Errorf("use request object: %w", err)
	}
	return nil
}
