package cli

import (
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
)

// enrolLinkJSON is an enrolment link as the admin and Flex APIs answer it.
type enrolLinkJSON struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (c *cli) usersEnrolLink() *cobra.Command {
	var target userTarget
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "enrol-link --app APP_ID (--user USER_ID | --external-id ID) [--ttl D]",
		Short: "Issue a single-use link with which a user creates a new passkey and signs in",
		Long: "Issue a single-use link to passbridge's enrolment page, where the user creates a new passkey\n" +
			"and is signed in: the way back for a user who lost every passkey, the way in for an imported\n" +
			"or pre-created one. The link works once, for --ttl (a day by default); only a digest of it is\n" +
			"stored, so it is printed once. Its address is the configured issuer's (--issuer,\n" +
			"PASSBRIDGE_ISSUER or the configuration file, as serve reads it).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			problems := target.problems()
			if ttl < ceremony.MinEnrolmentLinkTTL || ttl > ceremony.MaxEnrolmentLinkTTL {
				problems = append(problems, fmt.Sprintf("--ttl %s: want %s to %s (7 days)", ttl,
					ceremony.MinEnrolmentLinkTTL, ceremony.MaxEnrolmentLinkTTL))
			}
			cfg, err := c.loadConfig(cmd)
			if err != nil {
				return err
			}
			if u, err := url.Parse(cfg.Issuer); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
				problems = append(problems, fmt.Sprintf("issuer %q is not an absolute http(s) URL: the link would lead nowhere", cfg.Issuer))
			}
			if err := refuse(problems); err != nil {
				return err
			}
			st, err := openStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := cmd.Context()
			app, user, err := target.load(ctx, st)
			if err != nil {
				return err
			}
			svc, err := c.service(st)
			if err != nil {
				return err
			}
			token, expires, err := svc.CreateEnrolmentLink(ctx, app, user.ID, ttl, actorCLI)
			if err != nil {
				return target.ceremonyError(err)
			}
			return c.printEnrolLink(enrolLinkJSON{URL: ceremony.EnrolmentURL(cfg.Issuer, token), ExpiresAt: expires.UTC()})
		},
	}
	target.define(cmd, true)
	cmd.Flags().DurationVar(&ttl, "ttl", ceremony.DefaultEnrolmentLinkTTL, "how long the link works: 5m to 168h (7 days)")
	config.AddFlags(cmd.Flags(), config.KeyIssuer)
	return cmd
}

func (c *cli) printEnrolLink(l enrolLinkJSON) error {
	if c.json {
		return printJSON(c.env.Stdout, l)
	}
	if err := printFields(c.env.Stdout, [][2]string{{"url", l.URL}, {"expires_at", timeText(l.ExpiresAt)}}); err != nil {
		return err
	}
	_, err := fmt.Fprintln(c.env.Stderr, "The link works once. Give it to the user over a channel you trust: whoever holds it can add "+
		"a passkey to the account. Only its digest is kept, so it cannot be shown again.")
	return err
}
