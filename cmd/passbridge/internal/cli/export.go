package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/ceremony/transfer"
	"github.com/passbridge/passbridge/storage"
)

// Audit event type of an export: it changes nothing, but hands every
// user's passkeys (public keys, user handles) to whoever runs it.
const eventAppExported = "app.exported"

func (c *cli) exportCommand() *cobra.Command {
	var appID, output string
	cmd := &cobra.Command{
		Use:   "export --app APP_ID [--output FILE]",
		Short: "Export an app's users and passkeys as NDJSON (passbridge's export format; no secrets)",
		Long: "Export writes a header line, then one line per user with its devices: external ID, display name,\n" +
			"status, WebAuthn user handle, and per passkey its credential ID, COSE public key, sign count, AAGUID,\n" +
			"transports, flags, name, times and usage count. It holds no secret: private keys never leave the\n" +
			"authenticators, and API keys, client secrets, sessions and tokens are not exported.\n" +
			"`passbridge import` reads it into an app of the same RP ID.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				app, err := getApp(ctx, st, appID)
				if err != nil {
					return err
				}
				return c.export(ctx, st, app, output)
			})
		},
	}
	cmd.Flags().StringVar(&appID, "app", "", "app ID (required)")
	cmd.Flags().StringVar(&output, "output", "", "file to write (created, readable by its owner only; default: standard output)")
	_ = cmd.MarkFlagRequired("app")
	return cmd
}

// export writes the export to output (stdout when ""), records it in the
// audit log and says what it wrote: on stderr, or as JSON on stdout when
// the export went to a file.
func (c *cli) export(ctx context.Context, st storage.Store, app storage.App, output string) error {
	var w io.Writer = c.env.Stdout
	var f *os.File
	if output != "" {
		var err error
		f, err = os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("--output %q exists already; remove it or name another file", output)
		}
		if err != nil {
			return fmt.Errorf("--output: %w", err)
		}
		w = f
	}
	lc := &lineCounter{w: w}
	err := transfer.Export(ctx, st, app, lc)
	if f != nil {
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		return err
	}
	users := max(lc.lines-1, 0) // the header is no user
	if err := c.audit(ctx, st, app.ID, eventAppExported, map[string]string{"users": strconv.Itoa(users)}); err != nil {
		return err
	}
	if output == "" {
		_, err := fmt.Fprintf(c.env.Stderr, "exported %d users of app %s\n", users, app.ID)
		return err
	}
	if c.json {
		return printJSON(c.env.Stdout, map[string]any{"app_id": app.ID, "rp_id": app.RPID, "users": users, "output": output})
	}
	_, err = fmt.Fprintf(c.env.Stdout, "exported %d users of app %s (RP ID %s) to %s\n", users, app.ID, app.RPID, output)
	return err
}

// lineCounter counts the lines written through it.
type lineCounter struct {
	w     io.Writer
	lines int
}

func (l *lineCounter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	l.lines += bytes.Count(p[:n], []byte{'\n'})
	return n, err
}
