package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/storage"
)

// adminKeyJSON is an admin key as the CLI prints it; the key itself is
// never stored, so only creation can show it.
type adminKeyJSON struct {
	ID         string    `json:"id"`
	Key        string    `json:"key,omitempty"`
	Name       string    `json:"name"`
	Prefix     string    `json:"prefix"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt *string   `json:"last_used_at"` // null: never used
	RevokedAt  *string   `json:"revoked_at"`   // null: in force
}

func toAdminKeyJSON(k storage.AdminKey) adminKeyJSON {
	return adminKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt,
		LastUsedAt: timeJSON(k.LastUsedAt), RevokedAt: timeJSON(k.RevokedAt)}
}

func (c *cli) adminKeysCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "adminkeys",
		Short: "Manage the admin keys that authenticate to the admin API (/admin/v1)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(c.adminKeysCreate(), c.adminKeysList(), c.adminKeysRevoke())
	return cmd
}

func (c *cli) adminKeysCreate() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "create --name N",
		Short: "Create an admin key; the key is printed once and only its digest is stored",
		Long: "Create an admin key (pba_…) for the admin API: it acts on every app, so keep it\n" +
			"as you keep the database's password. It is printed once; only its digest is stored.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name = strings.TrimSpace(name)
			if err := checkName("--name", name, true); err != nil {
				return err
			}
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				secret, prefix := storage.NewSecret(storage.PrefixAdminKey)
				key := storage.AdminKey{ID: storage.NewID(), Name: name, Prefix: prefix, Hash: storage.HashSecret(secret), CreatedAt: c.now()}
				err := st.InTx(ctx, func(tx storage.Store) error {
					if err := tx.CreateAdminKey(ctx, key); err != nil {
						return fmt.Errorf("create admin key: %w", err)
					}
					return c.audit(ctx, tx, "", "adminkey.created", map[string]string{"admin_key_id": key.ID, "name": name})
				})
				if err != nil {
					return err
				}
				out := toAdminKeyJSON(key)
				out.Key = secret
				if c.json {
					return printJSON(c.env.Stdout, out)
				}
				if err := printFields(c.env.Stdout, [][2]string{
					{"id", key.ID}, {"key", secret}, {"name", key.Name}, {"prefix", key.Prefix}, {"created_at", timeText(key.CreatedAt)},
				}); err != nil {
					return err
				}
				_, err = fmt.Fprintln(c.env.Stderr, "Store the key now: only its digest is kept, so it cannot be shown again.")
				return err
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "who or what the key is for (required)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func (c *cli) adminKeysList() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the admin keys, revoked ones included (never the keys themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				keys, err := st.ListAdminKeys(ctx)
				if err != nil {
					return fmt.Errorf("list admin keys: %w", err)
				}
				if c.json {
					out := make([]adminKeyJSON, 0, len(keys))
					for _, k := range keys {
						out = append(out, toAdminKeyJSON(k))
					}
					return printJSON(c.env.Stdout, out)
				}
				t := newTable(c.env.Stdout, "ID", "NAME", "PREFIX", "CREATED", "LAST USED", "REVOKED")
				for _, k := range keys {
					revoked := "-"
					if !k.RevokedAt.IsZero() {
						revoked = timeText(k.RevokedAt)
					}
					t.row(k.ID, k.Name, k.Prefix+"…", timeText(k.CreatedAt), timeText(k.LastUsedAt), revoked)
				}
				return t.flush()
			})
		},
	}
}

func (c *cli) adminKeysRevoke() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke KEY_ID",
		Short: "Revoke an admin key at once; it stays listed, so the audit events it signed still name it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				now := c.now()
				var key storage.AdminKey
				err := st.InTx(ctx, func(tx storage.Store) error {
					var err error
					key, err = tx.RevokeAdminKey(ctx, id, now)
					if errors.Is(err, storage.ErrNotFound) {
						return fmt.Errorf("admin key %q not found", id)
					}
					if err != nil {
						return fmt.Errorf("revoke admin key: %w", err)
					}
					if !key.RevokedAt.Equal(now) {
						return nil // revoked before: nothing changed, nothing to record
					}
					return c.audit(ctx, tx, "", "adminkey.revoked", map[string]string{"admin_key_id": id, "name": key.Name})
				})
				if err != nil {
					return err
				}
				already := !key.RevokedAt.Equal(now)
				if c.json {
					return printJSON(c.env.Stdout, map[string]any{"id": id, "revoked": true, "revoked_at": timeJSON(key.RevokedAt),
						"already_revoked": already})
				}
				if already {
					_, err = fmt.Fprintf(c.env.Stdout, "admin key %s was revoked already, at %s\n", id, timeText(key.RevokedAt))
					return err
				}
				_, err = fmt.Fprintf(c.env.Stdout, "revoked admin key %s\n", id)
				return err
			})
		},
	}
}
