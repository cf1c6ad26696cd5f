package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/storage"
)

func (c *cli) devicesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "Manage a user's passkeys: list, rename, revoke",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(c.devicesList(), c.devicesRename(), c.devicesRevoke())
	return cmd
}

func (c *cli) devicesList() *cobra.Command {
	var u userTarget
	cmd := &cobra.Command{
		Use:   "list --app APP_ID (--user USER_ID | --external-id ID)",
		Short: "List a user's passkeys, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withUser(cmd, &u, nil, func(ctx context.Context, st storage.Store, app storage.App, user storage.User) error {
				ds, err := st.ListDevices(ctx, app.ID, user.ID)
				if err != nil {
					return fmt.Errorf("list devices: %w", err)
				}
				svc, err := c.service(st)
				if err != nil {
					return err
				}
				out := make([]flexapi.Device, 0, len(ds))
				for _, d := range ds {
					out = append(out, flexapi.NewDevice(d, svc.DeviceAuthenticator(d)))
				}
				if c.json {
					return printJSON(c.env.Stdout, out)
				}
				t := newTable(c.env.Stdout, "ID", "NAME", "TYPE", "AUTHENTICATOR", "USES", "CREATED", "LAST USED", "CLONE WARNING")
				for i, d := range ds {
					t.row(d.ID, d.FriendlyName, d.Type, out[i].AuthenticatorName, strconv.FormatInt(d.UsageCount, 10),
						timeText(d.CreatedAt), timeText(d.LastLoginAt), strconv.FormatBool(d.CloneWarning))
				}
				return t.flush()
			})
		},
	}
	u.define(cmd, true)
	return cmd
}

func (c *cli) devicesRename() *cobra.Command {
	var u userTarget
	var name string
	cmd := &cobra.Command{
		Use:   "rename --app APP_ID (--user USER_ID | --external-id ID) DEVICE_ID --name N",
		Short: "Rename one of a user's passkeys",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var problems []string
			if strings.TrimSpace(name) == "" {
				problems = append(problems, "--name is required")
			}
			return c.withUser(cmd, &u, problems, func(ctx context.Context, st storage.Store, app storage.App, user storage.User) error {
				svc, err := c.service(st)
				if err != nil {
					return err
				}
				d, err := svc.RenameDevice(ceremony.WithActor(ctx, actorCLI), app, user.ID, args[0], name)
				if errors.Is(err, ceremony.ErrDeviceNotFound) {
					return deviceNotFound(args[0], user)
				}
				if err != nil {
					return u.ceremonyError(err)
				}
				if c.json {
					return printJSON(c.env.Stdout, flexapi.NewDevice(d, svc.DeviceAuthenticator(d)))
				}
				_, err = fmt.Fprintf(c.env.Stdout, "renamed device %s to %q\n", d.ID, d.FriendlyName)
				return err
			})
		},
	}
	u.define(cmd, true)
	cmd.Flags().StringVar(&name, "name", "", "the new name, 1 to 100 characters (required)")
	return cmd
}

func (c *cli) devicesRevoke() *cobra.Command {
	var u userTarget
	var all bool
	cmd := &cobra.Command{
		Use:   "revoke --app APP_ID (--user USER_ID | --external-id ID) (DEVICE_ID | --all)",
		Short: "Revoke one or all of a user's passkeys",
		Long: "Revoke one of a user's passkeys (DEVICE_ID) or all of them (--all). The browser sessions\n" +
			"and tokens a passkey signed in end with it; the user stays, and can be given a new passkey\n" +
			"(passbridge users enrol-link).",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var problems []string
			switch {
			case all && len(args) > 0:
				problems = append(problems, "give DEVICE_ID or --all, not both")
			case !all && len(args) == 0:
				problems = append(problems, "a device is required: DEVICE_ID or --all")
			}
			return c.withUser(cmd, &u, problems, func(ctx context.Context, st storage.Store, app storage.App, user storage.User) error {
				svc, err := c.service(st)
				if err != nil {
					return err
				}
				revoked := 1
				if all {
					ds, err := svc.RevokeAllDevices(ctx, app, user.ID, actorCLI)
					if err != nil {
						return u.ceremonyError(err)
					}
					revoked = len(ds)
				} else {
					err := svc.RevokeDevice(ceremony.WithActor(ctx, actorCLI), app, user.ID, args[0])
					if errors.Is(err, ceremony.ErrDeviceNotFound) {
						return deviceNotFound(args[0], user)
					}
					if err != nil {
						return u.ceremonyError(err)
					}
				}
				if c.json {
					return printJSON(c.env.Stdout, map[string]int{"revoked": revoked})
				}
				_, err = fmt.Fprintf(c.env.Stdout, "revoked %d device(s) of user %s\n", revoked, user.ID)
				return err
			})
		},
	}
	u.define(cmd, true)
	cmd.Flags().BoolVar(&all, "all", false, "revoke every passkey of the user")
	return cmd
}

// deviceNotFound names a device that is not the user's.
func deviceNotFound(id string, u storage.User) error {
	return fmt.Errorf("device %q not found among the passkeys of user %q", id, u.ID)
}
