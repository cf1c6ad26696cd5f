package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/provider/settings"
	"github.com/passbridge/passbridge/storage"
)

func (c *cli) sessionsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "See and end a user's sign-in sessions at the OpenID Connect provider",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(c.sessionsList(), c.sessionsEnd())
	return cmd
}

func (c *cli) sessionsList() *cobra.Command {
	var u userTarget
	cmd := &cobra.Command{
		Use:   "list --app APP_ID (--user USER_ID | --external-id ID)",
		Short: "List a user's live browser sessions, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withUser(cmd, &u, nil, func(ctx context.Context, st storage.Store, app storage.App, user storage.User) error {
				all, err := st.ListSessions(ctx, app.ID, user.ID)
				if err != nil {
					return fmt.Errorf("list sessions: %w", err)
				}
				now := c.now()
				out := make([]settings.SessionJSON, 0, len(all))
				for _, s := range all {
					if now.Before(s.ExpiresAt) { // expired ones wait for GC
						out = append(out, settings.NewSessionJSON(s))
					}
				}
				if c.json {
					return printJSON(c.env.Stdout, out)
				}
				t := newTable(c.env.Stdout, "ID", "DEVICE", "ACR", "AMR", "SIGNED IN", "LAST SEEN", "EXPIRES")
				for _, s := range out {
					t.row(s.ID, orDash(s.DeviceID), s.ACR, orNone(s.AMR), timeText(s.AuthTime), timeText(s.LastSeenAt), timeText(s.ExpiresAt))
				}
				return t.flush()
			})
		},
	}
	u.define(cmd, true)
	return cmd
}

func (c *cli) sessionsEnd() *cobra.Command {
	var u userTarget
	cmd := &cobra.Command{
		Use:   "end --app APP_ID (--user USER_ID | --external-id ID)",
		Short: "Sign a user out everywhere",
		Long: "End every browser session of a user and revoke every access and refresh token issued to\n" +
			"them, so that apps must send them through a sign-in again. The user stays active and may\n" +
			"sign in again at once.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withUser(cmd, &u, nil, func(ctx context.Context, st storage.Store, app storage.App, user storage.User) error {
				svc, err := c.service(st)
				if err != nil {
					return err
				}
				n, err := svc.EndUserSessions(ctx, app, user.ID, actorCLI)
				if err != nil {
					return u.ceremonyError(err)
				}
				if c.json {
					return printJSON(c.env.Stdout, map[string]int{"ended": n})
				}
				_, err = fmt.Fprintf(c.env.Stdout, "ended %d session(s) of user %s; their tokens are revoked\n", n, user.ID)
				return err
			})
		},
	}
	u.define(cmd, true)
	return cmd
}
