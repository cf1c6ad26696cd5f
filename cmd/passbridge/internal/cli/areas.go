package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

// signingKeys starts the OIDC signing key manager: an active and a next
// key exist once it returns.
func signingKeys(ctx context.Context, st storage.Store, masterKey []byte, alg string, now func() time.Time, log *slog.Logger) (*signing.Manager, error) {
	m, err := signing.New(signing.Config{Store: st, MasterKey: masterKey, Algorithm: alg, Now: now, Logger: log})
	if err != nil {
		return nil, err
	}
	if err := m.Ensure(ctx); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	return m, nil
}
