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

// clientJSON is an OIDC client as the CLI prints it. The secret exists only
// in the output of create: the store keeps its digest.
type clientJSON struct {
	ClientID               string    `json:"client_id"`
	ClientSecret           string    `json:"client_secret,omitempty"`
	AppID                  string    `json:"app_id"`
	Name                   string    `json:"name"`
	RedirectURIs           []string  `json:"redirect_uris"`
	PostLogoutRedirectURIs []string  `json:"post_logout_redirect_uris"`
	AuthMethod             string    `json:"auth_method"`
	CreatedAt              time.Time `json:"created_at"`
}

func toClientJSON(cl storage.Client, secret string) clientJSON {
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return clientJSON{
		ClientID: cl.ID, ClientSecret: secret, AppID: cl.AppID, Name: cl.Name,
		RedirectURIs: nonNil(cl.RedirectURIs), PostLogoutRedirectURIs: nonNil(cl.PostLogoutRedirectURIs),
		AuthMethod: cl.AuthMethod, CreatedAt: cl.CreatedAt,
	}
}

func (c *cli) clientsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clients",
		Short: "Manage OpenID Connect clients",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(c.clientsCreate(), c.clientsList(), c.clientsDelete())
	return cmd
}

func (c *cli) clientsCreate() *cobra.Command {
	var (
		appID, name                   string
		redirectURIs, logoutRedirects []string
		public                        bool
	)
	cmd := &cobra.Command{
		Use:   "create --app APP_ID --redirect-uri U [--redirect-uri U2 …] [--public]",
		Short: "Register a client; a confidential client's secret is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name = strings.TrimSpace(name)
			var problems []string
			if err := checkName("--name", name, false); err != nil {
				problems = append(problems, err.Error())
			}
			if len(redirectURIs) == 0 {
				problems = append(problems, "at least one --redirect-uri is required")
			}
			redirects, p := checkRedirectURIs("--redirect-uri", redirectURIs)
			problems = append(problems, p...)
			logouts, p := checkRedirectURIs("--post-logout-redirect-uri", logoutRedirects)
			problems = append(problems, p...)
			if len(problems) > 0 {
				return errors.New("invalid client: " + strings.Join(problems, "; "))
			}
			now := c.now()
			cl := storage.Client{
				ID:                     storage.NewID(),
				AppID:                  appID,
				Name:                   name,
				AuthMethod:             storage.AuthMethodBasic,
				RedirectURIs:           redirects,
				PostLogoutRedirectURIs: logouts,
				AccessTokenType:        "bearer",
				CreatedAt:              now,
				UpdatedAt:              now,
			}
			var secret string
			if public {
				cl.AuthMethod = storage.AuthMethodNone
			} else {
				secret, _ = storage.NewSecret(storage.PrefixClientSecret)
				cl.SecretHash = storage.HashSecret(secret)
			}
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				err := st.InTx(ctx, func(tx storage.Store) error {
					if _, err := getApp(ctx, tx, appID); err != nil {
						return err
					}
					if err := tx.CreateClient(ctx, cl); err != nil {
						return fmt.Errorf("create client: %w", err)
					}
					return c.audit(ctx, tx, appID, "client.created", map[string]string{"client_id": cl.ID, "auth_method": cl.AuthMethod})
				})
				if err != nil {
					return err
				}
				return c.printNewClient(cl, secret)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&appID, "app", "", "app ID (required)")
	fl.StringArrayVar(&redirectURIs, "redirect-uri", nil, "redirect URI (repeatable; at least one)")
	fl.StringArrayVar(&logoutRedirects, "post-logout-redirect-uri", nil, "post-logout redirect URI (repeatable)")
	fl.BoolVar(&public, "public", false, "public client (browser or native app): no secret, PKCE required")
	fl.StringVar(&name, "name", "", "client name")
	_ = cmd.MarkFlagRequired("app")
	return cmd
}

func (c *cli) printNewClient(cl storage.Client, secret string) error {
	if c.json {
		return printJSON(c.env.Stdout, toClientJSON(cl, secret))
	}
	fields := [][2]string{{"client_id", cl.ID}}
	if secret != "" {
		fields = append(fields, [2]string{"client_secret", secret})
	}
	fields = append(fields,
		[2]string{"app_id", cl.AppID},
		[2]string{"name", cl.Name},
		[2]string{"redirect_uris", orNone(cl.RedirectURIs)},
		[2]string{"post_logout_redirect_uris", orNone(cl.PostLogoutRedirectURIs)},
		[2]string{"auth_method", cl.AuthMethod},
		[2]string{"created_at", timeText(cl.CreatedAt)},
	)
	if err := printFields(c.env.Stdout, fields); err != nil {
		return err
	}
	if secret != "" {
		_, err := fmt.Fprintln(c.env.Stderr, "Store the client secret now: only its digest is kept, so it cannot be shown again.")
		return err
	}
	return nil
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
		t := newTable(c.env.Stdout, "CLIENT ID", "NAME", "AUTH METHOD", "REDIRECT URIS", "CREATED")
		for _, cl := range clients {
			t.row(cl.ID, cl.Name, cl.AuthMethod, orNone(cl.RedirectURIs), timeText(cl.CreatedAt))
		}
		return t.flush()
	})
}

func (c *cli) clientsDelete() *cobra.Command {
	return &cobra.Command{
		Use:   "delete CLIENT_ID",
		Short: "Delete a client",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				err := st.InTx(ctx, func(tx storage.Store) error {
					cl, err := tx.GetClient(ctx, id)
					if errors.Is(err, storage.ErrNotFound) {
						return fmt.Errorf("client %q not found", id)
					}
					if err != nil {
						return fmt.Errorf("get client: %w", err)
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
