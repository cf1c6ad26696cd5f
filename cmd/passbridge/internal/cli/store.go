package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// openStore opens and migrates the configured database. Administration
// commands migrate too, so that an operator may create apps before the first
// serve; a database newer than this binary is refused, never touched.
func openStore(ctx context.Context, cfg config.Config) (*sqlstore.Store, error) {
	st, err := sqlstore.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		_ = st.Close()
		if errors.Is(err, sqlstore.ErrSchemaTooNew) {
			return nil, fmt.Errorf("the database was migrated by a newer passbridge; upgrade this binary: %w", err)
		}
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return st, nil
}

// withStore loads the configuration, opens the store and runs fn with it.
func (c *cli) withStore(cmd *cobra.Command, fn func(ctx context.Context, st storage.Store) error) error {
	cfg, err := c.loadConfig(cmd)
	if err != nil {
		return err
	}
	st, err := openStore(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(cmd.Context(), st)
}

// Audit actors of the binary's own changes.
const (
	actorCLI    = "cli"    // an operator's command
	actorSystem = "system" // serve, on its own initiative
)

// audit records a CLI mutation. It runs inside the mutation's transaction, so
// the change and its record commit together.
func (c *cli) audit(ctx context.Context, tx storage.Store, appID, typ string, detail map[string]string) error {
	return c.auditAs(ctx, tx, actorCLI, appID, typ, detail)
}

// auditAs is audit with another actor.
func (c *cli) auditAs(ctx context.Context, tx storage.Store, actor, appID, typ string, detail map[string]string) error {
	err := tx.AppendAuditEvent(ctx, storage.AuditEvent{
		ID:        storage.NewID(),
		AppID:     appID,
		Type:      typ,
		Actor:     actor,
		Detail:    detail,
		CreatedAt: c.now(),
	})
	if err != nil {
		return fmt.Errorf("record audit event: %w", err)
	}
	return nil
}
