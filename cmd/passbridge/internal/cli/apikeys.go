package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/provider/settings"
	"github.com/passbridge/passbridge/storage"
)

// apiKeyJSON is an API key as listings print it; the key itself is never
// stored, so only creation can show it.
type apiKeyJSON struct {
	ID         string    `json:"id"`
	Key        string    `json:"key,omitempty"`
	Name       string    `json:"name"`
	Prefix     string    `json:"prefix"`
	AppID      string    `json:"app_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt *string   `json:"last_used_at,omitempty"`
}

func (c *cli) apiKeysCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apikeys",
		Short: "Manage the API keys an app's backend authenticates with",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(c.apiKeysCreate(), c.apiKeysList(), c.apiKeysRevoke())
	return cmd
}

func (c *cli) apiKeysCreate() *cobra.Command {
	var appID, name string
	cmd := &cobra.Command{
		Use:   "create --app APP_ID --name N",
		Short: "Create an API key; the key is printed once and only its digest is stored",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name = strings.TrimSpace(name)
			if err := checkName("--name", name, true); err != nil {
				return err
			}
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				key, secret, err := c.createAPIKey(ctx, st, appID, name)
				if err != nil {
					return err
				}
				return c.printNewAPIKey(key, secret)
			})
		},
	}
	cmd.Flags().StringVar(&appID, "app", "", "app ID (required)")
	cmd.Flags().StringVar(&name, "name", "", "what the key is for (required)")
	_ = cmd.MarkFlagRequired("app")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

// createAPIKey stores a new key of an app and returns it with its secret.
func (c *cli) createAPIKey(ctx context.Context, st storage.Store, appID, name string) (storage.APIKey, string, error) {
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	key := storage.APIKey{
		ID:        storage.NewID(),
		AppID:     appID,
		Name:      name,
		Prefix:    prefix,
		Hash:      storage.HashSecret(secret),
		CreatedAt: c.now(),
	}
	err := st.InTx(ctx, func(tx storage.Store) error {
		if _, err := getApp(ctx, tx, appID); err != nil {
			return err
		}
		if err := tx.CreateAPIKey(ctx, key); err != nil {
			return fmt.Errorf("create api key: %w", err)
		}
		return c.audit(ctx, tx, appID, "apikey.created", map[string]string{"api_key_id": key.ID, "name": name})
	})
	return key, secret, err
}

func (c *cli) printNewAPIKey(k storage.APIKey, secret string) error {
	if c.json {
		return printJSON(c.env.Stdout, apiKeyJSON{ID: k.ID, Key: secret, Name: k.Name, Prefix: k.Prefix, AppID: k.AppID, CreatedAt: k.CreatedAt})
	}
	if err := printFields(c.env.Stdout, [][2]string{
		{"id", k.ID}, {"key", secret}, {"name", k.Name}, {"prefix", k.Prefix}, {"app_id", k.AppID}, {"created_at", timeText(k.CreatedAt)},
	}); err != nil {
		return err
	}
	_, err := fmt.Fprintln(c.env.Stderr, "Store the key now: only its digest is kept, so it cannot be shown again.")
	return err
}

func (c *cli) apiKeysList() *cobra.Command {
	return c.appListCommand("List an app's API keys (never the keys themselves)", func(ctx context.Context, st storage.Store, appID string) error {
		keys, err := st.ListAPIKeys(ctx, appID)
		if err != nil {
			return fmt.Errorf("list api keys: %w", err)
		}
		if c.json {
			out := make([]apiKeyJSON, 0, len(keys))
			for _, k := range keys {
				out = append(out, apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, AppID: k.AppID,
					CreatedAt: k.CreatedAt, LastUsedAt: timeJSON(k.LastUsedAt)})
			}
			return printJSON(c.env.Stdout, out)
		}
		t := newTable(c.env.Stdout, "ID", "NAME", "PREFIX", "CREATED", "LAST USED")
		for _, k := range keys {
			t.row(k.ID, k.Name, k.Prefix+"…", timeText(k.CreatedAt), timeText(k.LastUsedAt))
		}
		return t.flush()
	})
}

func (c *cli) apiKeysRevoke() *cobra.Command {
	var appID string
	cmd := &cobra.Command{
		Use:   "revoke --app APP_ID KEY_ID",
		Short: "Revoke an API key at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keyID := args[0]
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				err := st.InTx(ctx, func(tx storage.Store) error {
					err := tx.DeleteAPIKey(ctx, appID, keyID)
					if errors.Is(err, storage.ErrNotFound) {
						return fmt.Errorf("api key %q not found in app %q", keyID, appID)
					}
					if err != nil {
						return fmt.Errorf("revoke api key: %w", err)
					}
					return c.audit(ctx, tx, appID, "apikey.revoked", map[string]string{"api_key_id": keyID})
				})
				if err != nil {
					return err
				}
				if c.json {
					return printJSON(c.env.Stdout, map[string]any{"id": keyID, "app_id": appID, "revoked": true})
				}
				_, err = fmt.Fprintf(c.env.Stdout, "revoked api key %s\n", keyID)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&appID, "app", "", "app ID (required)")
	_ = cmd.MarkFlagRequired("app")
	return cmd
}

// checkName checks a label given by flag.
func checkName(flag, name string, required bool) error {
	return settings.CheckName(flag, name, required)
}
