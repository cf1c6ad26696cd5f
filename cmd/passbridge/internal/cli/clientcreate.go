package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/storage"
)

func (c *cli) clientsCreate() *cobra.Command {
	var (
		appID, appName, outputFile string
		f                          clientFlags
	)
	cmd := &cobra.Command{
		Use:   "create --app APP_ID --redirect-uri U [--redirect-uri U2 …] [flags]",
		Short: "Register a client; a confidential client's secret is printed once",
		Long: "Register a client; a confidential client's secret is printed once.\n\n" +
			"--output-file writes the new client as JSON, its secret included, to a file only its owner\n" +
			"can read, and prints the client without the secret. When that file exists already and names\n" +
			"a client of the app, nothing is created: a setup script may run the command every time.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := c.now()
			cl := storage.Client{
				ID:              storage.NewID(),
				AppID:           appID,
				AuthMethod:      storage.AuthMethodBasic,
				AccessTokenType: oidc.AccessTokenOpaque,
				CreatedAt:       now,
				UpdatedAt:       now,
			}
			cl, problems := f.apply(cmd, cl)
			if len(problems) > 0 {
				return errors.New("invalid client: " + strings.Join(problems, "; "))
			}
			return c.withClientStore(cmd, hasSecret(cl.AuthMethod), func(ctx context.Context, st storage.Store, masterKey []byte) error {
				if appName != "" {
					app, err := appByName(ctx, st, appName)
					if err != nil {
						return err
					}
					appID, cl.AppID = app.ID, app.ID
				}
				var out *clientFile
				if outputFile != "" {
					existing, ok, err := existingClientFile(ctx, st, outputFile, appID)
					if err != nil {
						return err
					}
					if ok {
						fmt.Fprintf(c.env.Stderr, "%s holds client %s already: nothing created.\n", outputFile, existing.ID)
						return c.printClient(existing, "")
					}
					if out, err = claimClientFile(outputFile); err != nil {
						return err
					}
				}
				var secret string
				if hasSecret(cl.AuthMethod) {
					var err error
					if secret, err = issueSecret(&cl, masterKey); err != nil {
						out.abandon()
						return err
					}
				}
				if out != nil {
					if err := out.store(toClientJSON(cl, secret)); err != nil {
						out.abandon()
						return err
					}
				}
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
					out.abandon()
					return err
				}
				if out != nil {
					fmt.Fprintf(c.env.Stderr, "Wrote the client and its secret to %s (readable by its owner only).\n", outputFile)
					return c.printClient(cl, "")
				}
				return c.printClient(cl, secret)
			})
		},
	}
	cmd.Flags().StringVar(&appID, "app", "", "app ID (required, unless --app-name)")
	cmd.Flags().StringVar(&appName, "app-name", "", `the app's name instead of --app; exactly one app must have it (a first serve names its app "Default app")`)
	cmd.Flags().StringVar(&outputFile, "output-file", "", "write the new client as JSON, secret included, to this file (mode 0600); if it names a client of the app already, create nothing")
	f.define(cmd, false)
	cmd.MarkFlagsOneRequired("app", "app-name")
	cmd.MarkFlagsMutuallyExclusive("app", "app-name")
	return cmd
}
