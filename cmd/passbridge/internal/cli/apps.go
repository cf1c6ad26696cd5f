package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/provider/settings"
	"github.com/passbridge/passbridge/storage"
)

// appJSON is an app as the CLI prints it: as the admin API shows it.
type appJSON = settings.AppJSON

func toAppJSON(a storage.App) appJSON { return settings.NewAppJSON(a) }

func (c *cli) appsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apps",
		Short: "Manage apps (relying parties)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(c.appsCreate(), c.appsList(), c.appsGet(), c.appsUpdate(), c.appsDelete())
	return cmd
}

// appFlags are the settable fields of an app, shared by create and update.
type appFlags struct {
	name, rpID, rpName                                          string
	origins                                                     []string
	allowSignup                                                 bool
	userVerification, residentKey, attestation, signCountPolicy string
	transactionTTL, ceremonyTimeout, nonceTTL                   time.Duration
	logoURL, accentColor                                        string
}

func (f *appFlags) define(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "app name")
	fl.StringVar(&f.rpID, "rp-id", "", "WebAuthn RP ID: the host name (or a registrable suffix of it) the origins share")
	fl.StringArrayVar(&f.origins, "origin", nil, "origin ceremonies may run on (repeatable; on update, replaces the list)")
	fl.StringVar(&f.rpName, "rp-name", "", "name authenticators show (default: the app name)")
	fl.BoolVar(&f.allowSignup, "allow-signup", false, "let a ceremony create a user the app has not seen")
	fl.StringVar(&f.userVerification, "user-verification", "", "required, preferred or discouraged (default required)")
	fl.StringVar(&f.residentKey, "resident-key", "", "required, preferred or discouraged (default required)")
	fl.StringVar(&f.attestation, "attestation", "", "none, indirect, direct or enterprise (default none)")
	fl.StringVar(&f.signCountPolicy, "sign-count-policy", "", "reject or allow a device whose sign count went backwards (default reject)")
	fl.DurationVar(&f.transactionTTL, "transaction-ttl", 0, "lifetime of a transaction (default 5m)")
	fl.DurationVar(&f.ceremonyTimeout, "ceremony-timeout", 0, "lifetime of a ceremony between start and finish (default 2m)")
	fl.DurationVar(&f.nonceTTL, "nonce-ttl", 0, "lifetime of a nonce (default 5m)")
	fl.StringVar(&f.logoURL, "logo-url", "", `https URL of the logo the sign-in and account pages show ("" clears it)`)
	fl.StringVar(&f.accentColor, "accent-color", "", `color of the pages' buttons and links, #rrggbb ("" clears it)`)
}

// apply copies the flags the user set onto a.
func (f *appFlags) apply(cmd *cobra.Command, a storage.App) storage.App {
	set := func(name string) bool { return cmd.Flags().Changed(name) }
	if set("name") {
		a.Name = f.name
	}
	if set("rp-id") {
		a.RPID = f.rpID
	}
	if set("rp-name") {
		a.RPName = f.rpName
	}
	if set("origin") {
		a.Origins = f.origins
	}
	if set("allow-signup") {
		a.AllowSignup = f.allowSignup
	}
	if set("user-verification") {
		a.UserVerification = f.userVerification
	}
	if set("resident-key") {
		a.ResidentKey = f.residentKey
	}
	if set("attestation") {
		a.Attestation = f.attestation
	}
	if set("sign-count-policy") {
		a.SignCountPolicy = f.signCountPolicy
	}
	if set("transaction-ttl") {
		a.TransactionTTL = f.transactionTTL
	}
	if set("ceremony-timeout") {
		a.CeremonyTimeout = f.ceremonyTimeout
	}
	if set("nonce-ttl") {
		a.NonceTTL = f.nonceTTL
	}
	if set("logo-url") {
		a.LogoURL = f.logoURL
	}
	if set("accent-color") {
		a.AccentColor = f.accentColor
	}
	return a
}

// prepareApp validates an app as the admin API does (settings.PrepareApp).
func prepareApp(a storage.App) (storage.App, error) { return settings.PrepareApp(a) }

func (c *cli) appsCreate() *cobra.Command {
	var f appFlags
	cmd := &cobra.Command{
		Use:   "create --name N --rp-id R --origin O [--origin O2 …]",
		Short: "Create an app",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := c.now()
			app, err := prepareApp(f.apply(cmd, storage.App{ID: storage.NewID(), CreatedAt: now, UpdatedAt: now}))
			if err != nil {
				return err // names every bad value; nothing is opened or written
			}
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				err := st.InTx(ctx, func(tx storage.Store) error {
					if err := tx.CreateApp(ctx, app); err != nil {
						return fmt.Errorf("create app: %w", err)
					}
					return c.audit(ctx, tx, app.ID, "app.created", map[string]string{"name": app.Name, "rp_id": app.RPID})
				})
				if err != nil {
					return err
				}
				return c.printApp(app)
			})
		},
	}
	f.define(cmd)
	return cmd
}

func (c *cli) appsList() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List apps",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				apps, err := st.ListApps(ctx)
				if err != nil {
					return fmt.Errorf("list apps: %w", err)
				}
				if c.json {
					out := make([]appJSON, 0, len(apps))
					for _, a := range apps {
						out = append(out, toAppJSON(a))
					}
					return printJSON(c.env.Stdout, out)
				}
				t := newTable(c.env.Stdout, "ID", "NAME", "RP ID", "ORIGINS", "SIGNUP", "CREATED", "ACCENT", "LOGO")
				for _, a := range apps {
					t.row(a.ID, a.Name, a.RPID, orNone(a.Origins), strconv.FormatBool(a.AllowSignup), timeText(a.CreatedAt),
						orDash(a.AccentColor), orDash(a.LogoURL))
				}
				return t.flush()
			})
		},
	}
}

func (c *cli) appsGet() *cobra.Command {
	return &cobra.Command{
		Use:   "get APP_ID",
		Short: "Show an app",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				app, err := getApp(ctx, st, args[0])
				if err != nil {
					return err
				}
				return c.printApp(app)
			})
		},
	}
}

func (c *cli) appsUpdate() *cobra.Command {
	var f appFlags
	cmd := &cobra.Command{
		Use:   "update APP_ID [flags of create]",
		Short: "Change an app; only the flags given are changed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().NFlag() == countChanged(cmd, "json", "database-url", "config", "data-dir", "log-level") {
				return errors.New("nothing to update: give at least one flag of the app, such as --name or --origin")
			}
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				var app storage.App
				err := st.InTx(ctx, func(tx storage.Store) error {
					var err error
					app, err = tx.UpdateApp(ctx, args[0], func(a storage.App) (storage.App, error) {
						a = f.apply(cmd, a)
						a.UpdatedAt = c.now()
						return prepareApp(a)
					})
					if errors.Is(err, storage.ErrNotFound) {
						return fmt.Errorf("app %q not found", args[0])
					}
					if err != nil {
						return err
					}
					return c.audit(ctx, tx, app.ID, "app.updated", map[string]string{"name": app.Name, "rp_id": app.RPID})
				})
				if err != nil {
					return err
				}
				return c.printApp(app)
			})
		},
	}
	f.define(cmd)
	return cmd
}

func (c *cli) appsDelete() *cobra.Command {
	return &cobra.Command{
		Use:   "delete APP_ID",
		Short: "Delete an app with its users, devices, keys and clients",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				err := st.InTx(ctx, func(tx storage.Store) error {
					app, err := getApp(ctx, tx, args[0])
					if err != nil {
						return err
					}
					if err := tx.DeleteApp(ctx, app.ID); err != nil {
						return fmt.Errorf("delete app: %w", err)
					}
					// The app's own events go with it; this one is server-wide.
					return c.audit(ctx, tx, "", "app.deleted", map[string]string{"app_id": app.ID, "name": app.Name})
				})
				if err != nil {
					return err
				}
				if c.json {
					return printJSON(c.env.Stdout, map[string]any{"id": args[0], "deleted": true})
				}
				_, err = fmt.Fprintf(c.env.Stdout, "deleted app %s\n", args[0])
				return err
			})
		},
	}
}

// getApp loads an app, with an error that names the id when there is none.
func getApp(ctx context.Context, st storage.AppStore, id string) (storage.App, error) {
	app, err := st.GetApp(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return app, fmt.Errorf("app %q not found", id)
	}
	if err != nil {
		return app, fmt.Errorf("get app: %w", err)
	}
	return app, nil
}

// appListCommand is a "list --app APP_ID" command: it checks that the app
// exists, then has list read and print what the app holds.
func (c *cli) appListCommand(short string, list func(ctx context.Context, st storage.Store, appID string) error) *cobra.Command {
	var appID string
	cmd := &cobra.Command{
		Use:   "list --app APP_ID",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				if _, err := getApp(ctx, st, appID); err != nil {
					return err
				}
				return list(ctx, st, appID)
			})
		},
	}
	cmd.Flags().StringVar(&appID, "app", "", "app ID (required)")
	_ = cmd.MarkFlagRequired("app")
	return cmd
}

func (c *cli) printApp(a storage.App) error {
	if c.json {
		return printJSON(c.env.Stdout, toAppJSON(a))
	}
	return printFields(c.env.Stdout, [][2]string{
		{"id", a.ID},
		{"name", a.Name},
		{"rp_id", a.RPID},
		{"rp_name", a.RPName},
		{"origins", orNone(a.Origins)},
		{"user_verification", a.UserVerification},
		{"resident_key", a.ResidentKey},
		{"attestation", a.Attestation},
		{"allow_signup", strconv.FormatBool(a.AllowSignup)},
		{"sign_count_policy", a.SignCountPolicy},
		{"transaction_ttl", a.TransactionTTL.String()},
		{"ceremony_timeout", a.CeremonyTimeout.String()},
		{"nonce_ttl", a.NonceTTL.String()},
		{"logo_url", orDash(a.LogoURL)},
		{"accent_color", orDash(a.AccentColor)},
		{"created_at", timeText(a.CreatedAt)},
		{"updated_at", timeText(a.UpdatedAt)},
	})
}

// countChanged counts the named flags the user set.
func countChanged(cmd *cobra.Command, names ...string) int {
	n := 0
	for _, name := range names {
		if cmd.Flags().Changed(name) {
			n++
		}
	}
	return n
}
