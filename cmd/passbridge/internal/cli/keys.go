package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

// signingKeyJSON is a signing key as the CLI prints it: its metadata, never
// key material.
type signingKeyJSON struct {
	ID          string    `json:"id"`
	Algorithm   string    `json:"algorithm"`
	State       string    `json:"state"`
	CreatedAt   time.Time `json:"created_at"`
	ActivatedAt *string   `json:"activated_at"`
	RetiredAt   *string   `json:"retired_at"`
	ExpiresAt   *string   `json:"expires_at"`
}

// rotationJSON is what keys rotate prints.
type rotationJSON struct {
	ActiveKeyID  string `json:"active_key_id"`
	NextKeyID    string `json:"next_key_id"`
	RetiredKeyID string `json:"retired_key_id"`
}

func (c *cli) keysCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the OpenID Connect signing keys and the master key that encrypts them",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(c.keysList(), c.keysRotate(), c.keysNewMasterKey())
	return cmd
}

// withSigningKeys is withStore for commands on signing keys: it resolves the
// master key and checks it against the store before fn runs.
func (c *cli) withSigningKeys(cmd *cobra.Command, fn func(ctx context.Context, st storage.Store, masterKey []byte, log *slog.Logger) error) error {
	cfg, err := c.loadConfig(cmd)
	if err != nil {
		return err
	}
	log := c.logger(cfg)
	masterKey, err := cfg.ResolveMasterKey(log)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := signing.CheckMasterKey(ctx, st, masterKey, c.now()); err != nil {
		return err
	}
	return fn(ctx, st, masterKey, log)
}

func (c *cli) keysList() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the signing keys: active (signs), next (published, signs after the next rotation), retired (published until it expires)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withSigningKeys(cmd, func(ctx context.Context, st storage.Store, _ []byte, _ *slog.Logger) error {
				keys, err := st.ListSigningKeys(ctx)
				if err != nil {
					return fmt.Errorf("list signing keys: %w", err)
				}
				if c.json {
					out := make([]signingKeyJSON, 0, len(keys))
					for _, k := range keys {
						out = append(out, signingKeyJSON{ID: k.ID, Algorithm: k.Algorithm, State: k.State, CreatedAt: k.CreatedAt,
							ActivatedAt: timeJSON(k.ActivatedAt), RetiredAt: timeJSON(k.RetiredAt), ExpiresAt: timeJSON(k.ExpiresAt)})
					}
					return printJSON(c.env.Stdout, out)
				}
				t := newTable(c.env.Stdout, "ID", "ALGORITHM", "STATE", "CREATED", "ACTIVATED", "RETIRED", "EXPIRES")
				for _, k := range keys {
					t.row(k.ID, k.Algorithm, k.State, timeText(k.CreatedAt), timeText(k.ActivatedAt), timeText(k.RetiredAt), timeText(k.ExpiresAt))
				}
				return t.flush()
			})
		},
	}
	config.AddFlags(cmd.Flags(), config.KeyMasterKey, config.KeyMasterKeyFile)
	return cmd
}

func (c *cli) keysRotate() *cobra.Command {
	var (
		force     bool
		algorithm string
	)
	cmd := &cobra.Command{
		Use:   "rotate [--force] [--algorithm RS256|ES256|EdDSA]",
		Short: "Activate the next signing key, retire the active one, and publish a new next key",
		Long: "Activate the next signing key, retire the active one (it stays published until its tokens\n" +
			"have expired), and publish a new next key. The next key must have been published for an\n" +
			"hour, so that relying parties that cache the key set know it before it signs; --force\n" +
			"rotates sooner. Running instances pick the change up within 30 seconds.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if algorithm != "" && !signing.ValidAlgorithm(algorithm) {
				return fmt.Errorf("--algorithm %q: want %s, %s or %s", algorithm, signing.RS256, signing.ES256, signing.EdDSA)
			}
			return c.withSigningKeys(cmd, func(ctx context.Context, st storage.Store, masterKey []byte, log *slog.Logger) error {
				alg, err := rotationAlgorithm(ctx, st, algorithm)
				if err != nil {
					return err
				}
				m, err := signing.New(signing.Config{Store: st, MasterKey: masterKey, Algorithm: alg, Now: c.env.Now, Logger: log})
				if err != nil {
					return err
				}
				r, err := m.RotateWith(ctx, force, func(ctx context.Context, tx storage.Store, r signing.Rotation) error {
					return c.audit(ctx, tx, "", "signing_key.rotated", map[string]string{
						"active_key_id": r.Active, "next_key_id": r.Next, "retired_key_id": r.Retired,
						"algorithm": alg, "forced": strconv.FormatBool(force),
					})
				})
				if errors.Is(err, signing.ErrRotateTooSoon) {
					return fmt.Errorf("%w; --force rotates now, but relying parties that cached the key set "+
						"reject the new key's tokens until they fetch it again", err)
				}
				if err != nil {
					return err
				}
				if c.json {
					return printJSON(c.env.Stdout, rotationJSON{ActiveKeyID: r.Active, NextKeyID: r.Next, RetiredKeyID: r.Retired})
				}
				return printFields(c.env.Stdout, [][2]string{{"active", r.Active}, {"next", r.Next}, {"retired", r.Retired}})
			})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "rotate even if the next key was published less than an hour ago")
	cmd.Flags().StringVar(&algorithm, "algorithm", "", "algorithm of the new next key (default: that of the current next key; RS256 on a store without keys)")
	config.AddFlags(cmd.Flags(), config.KeyMasterKey, config.KeyMasterKeyFile)
	return cmd
}

// rotationAlgorithm is the algorithm of the key a rotation creates: the one
// asked for, else the current next key's (the deployment's choice so far).
func rotationAlgorithm(ctx context.Context, st storage.Store, asked string) (string, error) {
	if asked != "" {
		return asked, nil
	}
	return signing.NextAlgorithm(ctx, st)
}

func (c *cli) keysNewMasterKey() *cobra.Command {
	return &cobra.Command{
		Use:   "new-master-key",
		Short: "Print a new random master key (base64) for master_key, master_key_file or PASSBRIDGE_MASTER_KEY",
		Long: "Print a new random 32-byte master key, base64-encoded. It needs no configuration and no\n" +
			"database. Give every instance the same key before the first start, and keep a copy: the\n" +
			"signing keys cannot be decrypted without it, and a store set up with one key refuses another.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			key := base64.StdEncoding.EncodeToString(storage.RandomBytes(signing.MasterKeySize))
			if c.json {
				return printJSON(c.env.Stdout, map[string]string{"master_key": key})
			}
			_, err := fmt.Fprintln(c.env.Stdout, key)
			return err
		},
	}
}
