package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/storage"
)

// userTarget is how a command names one user of an app: --app, and the
// user by passbridge ID (an argument, or --user) or by the app's own
// identifier (--external-id), exactly one of the two.
type userTarget struct {
	appID      string
	userID     string
	externalID string
	userFlag   bool // the ID comes from --user, not an argument
}

// define adds --app, --external-id and, for commands whose arguments name
// something else, --user.
func (u *userTarget) define(cmd *cobra.Command, userFlag bool) {
	u.userFlag = userFlag
	cmd.Flags().StringVar(&u.appID, "app", "", "app ID (required)")
	_ = cmd.MarkFlagRequired("app")
	if userFlag {
		cmd.Flags().StringVar(&u.userID, "user", "", "the user's passbridge ID (or give --external-id)")
	}
	cmd.Flags().StringVar(&u.externalID, "external-id", "", "the user's ID in the app, instead of the passbridge ID")
}

// problems lists what is wrong with how the user was named.
func (u *userTarget) problems() []string {
	name := "USER_ID"
	if u.userFlag {
		name = "--user"
	}
	switch {
	case u.userID != "" && u.externalID != "":
		return []string{fmt.Sprintf("give %s or --external-id, not both", name)}
	case u.userID == "" && u.externalID == "":
		return []string{fmt.Sprintf("a user is required: %s or --external-id", name)}
	}
	return nil
}

// withUser checks how the user was named, with the command's own
// problems after those, refusing them all at once; then it runs fn with
// the store, the app and the user.
func (c *cli) withUser(cmd *cobra.Command, u *userTarget, problems []string, fn func(ctx context.Context, st storage.Store, app storage.App, user storage.User) error) error {
	if err := refuse(append(u.problems(), problems...)); err != nil {
		return err
	}
	return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
		app, user, err := u.load(ctx, st)
		if err != nil {
			return err
		}
		return fn(ctx, st, app, user)
	})
}

// load finds the app and the user through st.
func (u *userTarget) load(ctx context.Context, st storage.Store) (storage.App, storage.User, error) {
	app, err := getApp(ctx, st, u.appID)
	if err != nil {
		return app, storage.User{}, err
	}
	var user storage.User
	if u.externalID != "" {
		user, err = st.GetUserByExternalID(ctx, app.ID, u.externalID)
	} else {
		user, err = st.GetUser(ctx, app.ID, u.userID)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return app, user, u.notFound()
	}
	if err != nil {
		return app, user, fmt.Errorf("get user: %w", err)
	}
	return app, user, nil
}

// notFound names the user that is not there.
func (u *userTarget) notFound() error {
	if u.externalID != "" {
		return fmt.Errorf("no user with external ID %q in app %q", u.externalID, u.appID)
	}
	return fmt.Errorf("user %q not found in app %q", u.userID, u.appID)
}

// refuse joins the problems of a command's input into one error, so that
// every bad value is named at once.
func refuse(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "; "))
}

// service is the ceremony core over st, for the changes to users and
// devices it makes (and audits) itself.
func (c *cli) service(st storage.Store) (*ceremony.Service, error) {
	return ceremony.New(ceremony.Config{Store: st, Now: c.env.Now})
}

// ceremonyError words a refusal of the ceremony core for the command line.
func (u *userTarget) ceremonyError(err error) error {
	switch ceremony.CodeOf(err) {
	case "":
		return err
	case ceremony.CodeUserNotFound:
		return u.notFound()
	}
	var ce *ceremony.Error
	errors.As(err, &ce)
	return errors.New(ce.Message)
}
