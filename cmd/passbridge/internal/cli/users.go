package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/provider/settings"
	"github.com/passbridge/passbridge/storage"
)

// Page sizes of users list, as the admin API's lists have them.
const (
	defaultUsersLimit = 50
	maxUsersLimit     = 200
)

// usersPage is a page of users list --json: the admin API's list envelope.
type usersPage struct {
	Items      []settings.UserJSON `json:"items"`
	NextCursor *string             `json:"next_cursor"` // null on the last page
}

func (c *cli) usersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage an app's users: list, show, rename, deactivate, delete",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(c.usersList(), c.usersGet(), c.usersUpdate(), c.usersDelete(), c.usersEnrolLink())
	return cmd
}

func (c *cli) usersList() *cobra.Command {
	var appID, externalID, status, cursor string
	var limit int
	cmd := &cobra.Command{
		Use:   "list --app APP_ID [--external-id ID] [--status active|inactive] [--limit N] [--cursor C]",
		Short: "List an app's users, oldest first, a page at a time",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var problems []string
			if status != "" && status != storage.UserActive && status != storage.UserInactive {
				problems = append(problems, fmt.Sprintf(`--status %q: want "active" or "inactive"`, status))
			}
			if limit < 1 || limit > maxUsersLimit {
				problems = append(problems, fmt.Sprintf("--limit %d: want 1 to %d", limit, maxUsersLimit))
			}
			if cursor != "" {
				if _, err := storage.ParseCursor(cursor); err != nil {
					problems = append(problems, fmt.Sprintf("--cursor %q is not one a listing handed out: start again without it", cursor))
				}
			}
			if err := refuse(problems); err != nil {
				return err
			}
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				if _, err := getApp(ctx, st, appID); err != nil {
					return err
				}
				page, err := st.ListUsersPage(ctx, appID, storage.UserQuery{
					ExternalID: externalID, Status: status, Limit: limit, After: cursor,
				})
				if err != nil {
					return fmt.Errorf("list users: %w", err)
				}
				return c.printUsers(page)
			})
		},
	}
	cmd.Flags().StringVar(&appID, "app", "", "app ID (required)")
	cmd.Flags().StringVar(&externalID, "external-id", "", "only the user with this ID in the app")
	cmd.Flags().StringVar(&status, "status", "", "only active or inactive users")
	cmd.Flags().IntVar(&limit, "limit", defaultUsersLimit, fmt.Sprintf("users per page (1 to %d)", maxUsersLimit))
	cmd.Flags().StringVar(&cursor, "cursor", "", "continue after the page that gave this next cursor")
	_ = cmd.MarkFlagRequired("app")
	return cmd
}

func (c *cli) printUsers(page storage.UserPage) error {
	if c.json {
		out := usersPage{Items: make([]settings.UserJSON, 0, len(page.Items))}
		for _, u := range page.Items {
			out.Items = append(out.Items, settings.NewUserJSON(u))
		}
		if page.NextCursor != "" {
			out.NextCursor = &page.NextCursor
		}
		return printJSON(c.env.Stdout, out)
	}
	t := newTable(c.env.Stdout, "ID", "EXTERNAL ID", "DISPLAY NAME", "STATUS", "LOGINS", "CREATED", "LAST LOGIN")
	for _, u := range page.Items {
		t.row(u.ID, u.ExternalID, orDash(u.DisplayName), u.Status, strconv.FormatInt(u.LoginCount, 10),
			timeText(u.CreatedAt), timeText(u.LastLoginAt))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if page.NextCursor != "" {
		_, err := fmt.Fprintf(c.env.Stderr, "More users: add --cursor %s\n", page.NextCursor)
		return err
	}
	return nil
}

func (c *cli) usersGet() *cobra.Command {
	var u userTarget
	cmd := &cobra.Command{
		Use:   "get --app APP_ID (USER_ID | --external-id ID)",
		Short: "Show a user",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u.userID = argOr(args, "")
			return c.withUser(cmd, &u, nil, func(ctx context.Context, st storage.Store, app storage.App, user storage.User) error {
				return c.printUser(user)
			})
		},
	}
	u.define(cmd, false)
	return cmd
}

func (c *cli) printUser(u storage.User) error {
	if c.json {
		return printJSON(c.env.Stdout, settings.NewUserJSON(u))
	}
	return printFields(c.env.Stdout, [][2]string{
		{"id", u.ID}, {"app_id", u.AppID}, {"external_id", u.ExternalID}, {"display_name", orDash(u.DisplayName)},
		{"status", u.Status}, {"user_handle", base64.RawURLEncoding.EncodeToString(u.Handle)},
		{"login_count", strconv.FormatInt(u.LoginCount, 10)},
		{"created_at", timeText(u.CreatedAt)}, {"updated_at", timeText(u.UpdatedAt)}, {"last_login_at", timeText(u.LastLoginAt)},
	})
}

func (c *cli) usersUpdate() *cobra.Command {
	var u userTarget
	var displayName, status string
	cmd := &cobra.Command{
		Use:   "update --app APP_ID (USER_ID | --external-id ID) [--display-name N] [--status active|inactive]",
		Short: "Rename, deactivate or reactivate a user",
		Long: "Rename a user (--display-name), or deactivate or reactivate one (--status). Deactivation\n" +
			"ends the user's browser sessions and revokes their tokens at once, and refuses every\n" +
			"transaction, ceremony and sign-in until the user is reactivated, with the same passkeys.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u.userID = argOr(args, "")
			var problems []string
			if countChanged(cmd, "display-name", "status") == 0 {
				problems = append(problems, "nothing to update: give --display-name or --status")
			}
			if cmd.Flags().Changed("status") && status != storage.UserActive && status != storage.UserInactive {
				problems = append(problems, fmt.Sprintf(`--status %q: want "active" or "inactive"`, status))
			}
			if cmd.Flags().Changed("display-name") {
				problems = append(problems, displayNameProblems(displayName)...)
			}
			return c.withUser(cmd, &u, problems, func(ctx context.Context, st storage.Store, app storage.App, user storage.User) error {
				svc, err := c.service(st)
				if err != nil {
					return err
				}
				if cmd.Flags().Changed("display-name") {
					if user, err = svc.SetUserDisplayName(ctx, app, user.ID, displayName, actorCLI); err != nil {
						return u.ceremonyError(err)
					}
				}
				if cmd.Flags().Changed("status") {
					if user, err = svc.SetUserStatus(ctx, app, user.ID, status, actorCLI); err != nil {
						return u.ceremonyError(err)
					}
				}
				return c.printUser(user)
			})
		},
	}
	u.define(cmd, false)
	cmd.Flags().StringVar(&displayName, "display-name", "", `the name passkey managers show ("" falls back to the external ID)`)
	cmd.Flags().StringVar(&status, "status", "", "active or inactive")
	return cmd
}

// displayNameProblems checks a display name as the ceremony core will, so
// that a bad one is refused before anything is written.
func displayNameProblems(name string) []string {
	name = strings.TrimSpace(name)
	switch {
	case !utf8.ValidString(name):
		return []string{"--display-name is not valid UTF-8"}
	case utf8.RuneCountInString(name) > 255:
		return []string{fmt.Sprintf("--display-name %q is longer than 255 characters", string([]rune(name)[:20])+"…")}
	case strings.ContainsFunc(name, func(r rune) bool {
		// Controls, and the bidirectional overrides that could make a
		// name display as another (as the ceremony core refuses them).
		return unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
	}):
		return []string{fmt.Sprintf("--display-name %q contains a control character", name)}
	}
	return nil
}

func (c *cli) usersDelete() *cobra.Command {
	var u userTarget
	cmd := &cobra.Command{
		Use:   "delete --app APP_ID (USER_ID | --external-id ID)",
		Short: "Delete a user with their passkeys, sessions and tokens",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u.userID = argOr(args, "")
			return c.withUser(cmd, &u, nil, func(ctx context.Context, st storage.Store, app storage.App, user storage.User) error {
				svc, err := c.service(st)
				if err != nil {
					return err
				}
				if err := svc.DeleteUser(ctx, app, user.ID, actorCLI); err != nil {
					return u.ceremonyError(err)
				}
				if c.json {
					return printJSON(c.env.Stdout, map[string]any{"id": user.ID, "app_id": app.ID, "external_id": user.ExternalID, "deleted": true})
				}
				_, err = fmt.Fprintf(c.env.Stdout, "deleted user %s (%s)\n", user.ID, user.ExternalID)
				return err
			})
		},
	}
	u.define(cmd, false)
	return cmd
}

// argOr is the first argument, or def when there is none.
func argOr(args []string, def string) string {
	if len(args) > 0 {
		return args[0]
	}
	return def
}
