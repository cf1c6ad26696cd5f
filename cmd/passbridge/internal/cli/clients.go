package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/provider/settings"
	"github.com/passbridge/passbridge/storage"
)

// clientJSON is an OIDC client as the CLI prints it: as the admin API
// shows it.
type clientJSON = settings.ClientJSON

func toClientJSON(cl storage.Client, secret string) clientJSON {
	return settings.NewClientJSON(cl, secret)
}

func (c *cli) clientsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clients",
		Short: "Manage OpenID Connect clients",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(c.clientsCreate(), c.clientsList(), c.clientsGet(), c.clientsUpdate(), c.clientsDelete())
	return cmd
}

// hasSecret reports whether clients of an auth method authenticate with a
// secret.
func hasSecret(authMethod string) bool { return settings.HasSecret(authMethod) }

// issueSecret gives cl a new secret and returns it (settings.IssueSecret).
func issueSecret(cl *storage.Client, masterKey []byte) (string, error) {
	return settings.IssueSecret(cl, masterKey)
}

// withClientStore is withStore for commands that may issue a secret: with
// needKey it resolves the master key and checks it against the store first,
// as the keys commands do. Without, no master key is looked for (or made).
func (c *cli) withClientStore(cmd *cobra.Command, needKey bool, fn func(ctx context.Context, st storage.Store, masterKey []byte) error) error {
	if !needKey {
		return c.withStore(cmd, func(ctx context.Context, st storage.Store) error { return fn(ctx, st, nil) })
	}
	return c.withSigningKeys(cmd, func(ctx context.Context, st storage.Store, masterKey []byte, _ *slog.Logger) error {
		return fn(ctx, st, masterKey)
	})
}

func (c *cli) clientsGet() *cobra.Command {
	return &cobra.Command{
		Use:   "get CLIENT_ID",
		Short: "Show a client (never its secret)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				cl, err := getClient(ctx, st, args[0])
				if err != nil {
					return err
				}
				return c.printClient(cl, "")
			})
		},
	}
}

func (c *cli) clientsUpdate() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "update CLIENT_ID [flags of create] [--rotate-secret]",
		Short: "Change a client; only the flags given are changed, a list flag replaces the list",
		Long: "Change a client; only the flags given are changed, and a repeated flag replaces the whole\n" +
			"list. --rotate-secret issues a new secret, printed once; the old one stops working at once.\n" +
			"A client that changes to client_secret_basic or client_secret_post from another method gets\n" +
			"a new secret the same way; one that changes to none or private_key_jwt loses its secret.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.ContainsFunc(clientFlagNames, cmd.Flags().Changed) {
				return errors.New("nothing to update: give at least one flag of the client, such as --redirect-uri or --rotate-secret")
			}
			// Only a new secret needs the master key, and only these flags can issue one.
			needKey := countChanged(cmd, "rotate-secret", "auth-method", "public") > 0
			return c.withClientStore(cmd, needKey, func(ctx context.Context, st storage.Store, masterKey []byte) error {
				var (
					cl     storage.Client
					secret string
				)
				err := st.InTx(ctx, func(tx storage.Store) error {
					var err error
					cl, err = tx.UpdateClient(ctx, args[0], func(cur storage.Client) (storage.Client, error) {
						next, problems := f.apply(cmd, cur)
						if len(problems) > 0 {
							return cur, errors.New("invalid client: " + strings.Join(problems, "; "))
						}
						next.UpdatedAt = c.now()
						s, err := settings.SettleSecret(cur, &next, f.rotateSecret, masterKey)
						if err != nil {
							return cur, err
						}
						secret = s
						return next, nil
					})
					if errors.Is(err, storage.ErrNotFound) {
						return fmt.Errorf("client %q not found", args[0])
					}
					if err != nil {
						return err
					}
					detail := map[string]string{"client_id": cl.ID, "auth_method": cl.AuthMethod, "changed": strings.Join(changedFlags(cmd), ",")}
					if secret != "" {
						detail["secret_issued"] = "true"
					}
					return c.audit(ctx, tx, cl.AppID, "client.updated", detail)
				})
				if err != nil {
					return err
				}
				return c.printClient(cl, secret)
			})
		},
	}
	f.define(cmd, true)
	return cmd
}

// getClient loads a client, with an error that names the id when there is none.
func getClient(ctx context.Context, st storage.ClientStore, id string) (storage.Client, error) {
	cl, err := st.GetClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return cl, fmt.Errorf("client %q not found", id)
	}
	if err != nil {
		return cl, fmt.Errorf("get client: %w", err)
	}
	return cl, nil
}

// printClient prints a client, with the secret when one was just issued.
func (c *cli) printClient(cl storage.Client, secret string) error {
	if c.json {
		return printJSON(c.env.Stdout, toClientJSON(cl, secret))
	}
	fields := [][2]string{{"client_id", cl.ID}}
	if secret != "" {
		fields = append(fields, [2]string{"client_secret", secret})
	}
	lifetime := func(d time.Duration) string {
		if d == 0 {
			return "default"
		}
		return d.String()
	}
	j := toClientJSON(cl, "")
	fields = append(fields,
		[2]string{"app_id", cl.AppID},
		[2]string{"name", orDash(cl.Name)},
		[2]string{"auth_method", cl.AuthMethod},
		[2]string{"redirect_uris", orNone(cl.RedirectURIs)},
		[2]string{"post_logout_redirect_uris", orNone(cl.PostLogoutRedirectURIs)},
		[2]string{"jwks", jwksText(cl.JWKS)},
		[2]string{"jwks_uri", orDash(cl.JWKSURI)},
		[2]string{"access_token_type", j.AccessTokenType},
		[2]string{"scopes", orNone(cl.Scopes)},
		[2]string{"id_token_lifetime", lifetime(cl.IDTokenLifetime)},
		[2]string{"access_token_lifetime", lifetime(cl.AccessTokenLifetime)},
		[2]string{"refresh_token_lifetime", lifetime(cl.RefreshTokenLifetime)},
		[2]string{"require_acr", orDash(cl.RequireACR)},
		[2]string{"require_uv", strconv.FormatBool(cl.RequireUV)},
		[2]string{"implicit", strconv.FormatBool(cl.Implicit)},
	)
	if cl.Implicit {
		fields = append(fields,
			[2]string{"hint_issuer", orDash(cl.HintIssuer)},
			[2]string{"hint_jwks_uri", orDash(cl.HintJWKSURI)},
			[2]string{"hint_jwks", jwksText(cl.HintJWKS)},
			[2]string{"hint_audience", orDash(cl.HintAudience)},
			[2]string{"hint_tenant", orDash(cl.HintTenant)},
			[2]string{"hint_user_claim", j.HintUserClaim},
			[2]string{"hint_enrol", strconv.FormatBool(cl.HintEnrol)},
		)
	}
	fields = append(fields,
		[2]string{"created_at", timeText(cl.CreatedAt)},
		[2]string{"updated_at", timeText(cl.UpdatedAt)},
	)
	if err := printFields(c.env.Stdout, fields); err != nil {
		return err
	}
	if secret != "" {
		_, err := fmt.Fprintln(c.env.Stderr, "Store the client secret now: it cannot be shown again.")
		return err
	}
	return nil
}

// jwksText names the keys of a stored key set for people.
func jwksText(raw []byte) string {
	var set jose.JSONWebKeySet
	if len(raw) == 0 || json.Unmarshal(raw, &set) != nil {
		return "-"
	}
	ids := make([]string, 0, len(set.Keys))
	for _, k := range set.Keys {
		ids = append(ids, orDash(k.KeyID))
	}
	return fmt.Sprintf("%d key(s): %s", len(set.Keys), strings.Join(ids, ","))
}

func (c *cli) clientsList() *cobra.Command {
	return c.appListCommand("List an app's clients", func(ctx context.Context, st storage.Store, appID string) error {
		clients, err := st.ListClients(ctx, appID)
		if err != nil {
			return fmt.Errorf("list clients: %w", err)
		}
		if c.json {
			out := make([]clientJSON, 0, len(clients))
			for _, cl := range clients {
				out = append(out, toClientJSON(cl, ""))
			}
			return printJSON(c.env.Stdout, out)
		}
		t := newTable(c.env.Stdout, "CLIENT ID", "NAME", "AUTH METHOD", "REDIRECT URIS", "ACCESS TOKEN", "REQUIRE ACR", "CREATED")
		for _, cl := range clients {
			t.row(cl.ID, orDash(cl.Name), cl.AuthMethod, orNone(cl.RedirectURIs), toClientJSON(cl, "").AccessTokenType,
				orDash(cl.RequireACR), timeText(cl.CreatedAt))
		}
		return t.flush()
	})
}

func (c *cli) clientsDelete() *cobra.Command {
	return &cobra.Command{
		Use:   "delete CLIENT_ID",
		Short: "Delete a client with its tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				err := st.InTx(ctx, func(tx storage.Store) error {
					cl, err := getClient(ctx, tx, id)
					if err != nil {
						return err
					}
					if err := tx.DeleteClient(ctx, id); err != nil {
						return fmt.Errorf("delete client: %w", err)
					}
					return c.audit(ctx, tx, cl.AppID, "client.deleted", map[string]string{"client_id": id})
				})
				if err != nil {
					return err
				}
				if c.json {
					return printJSON(c.env.Stdout, map[string]any{"client_id": id, "deleted": true})
				}
				_, err = fmt.Fprintf(c.env.Stdout, "deleted client %s\n", id)
				return err
			})
		},
	}
}
