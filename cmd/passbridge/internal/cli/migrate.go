package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/storage/sqlstore"
)

func (c *cli) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations this binary carries",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := sqlstore.Open(ctx, cfg.DatabaseURL)
			if err != nil {
				return fmt.Errorf("open database: %w", err)
			}
			defer st.Close()
			applied, err := st.Migrate(ctx)
			if errors.Is(err, sqlstore.ErrSchemaTooNew) {
				return fmt.Errorf("the database was migrated by a newer passbridge; upgrade this binary: %w", err)
			}
			if err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
			current, latest, err := st.SchemaVersion(ctx)
			if err != nil {
				return fmt.Errorf("schema version: %w", err)
			}
			if c.json {
				return printJSON(c.env.Stdout, map[string]any{
					"applied": applied, "version": current, "latest": latest, "dialect": st.Dialect(),
				})
			}
			_, err = fmt.Fprintf(c.env.Stdout, "applied %d migration(s); %s schema version %d\n", applied, st.Dialect(), current)
			return err
		},
	}
}
