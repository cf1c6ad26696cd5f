package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/aaguid"
	"github.com/passbridge/passbridge/ceremony/transfer"
	"github.com/passbridge/passbridge/cmd/passbridge/internal/importsrc"
	"github.com/passbridge/passbridge/storage"
)

// Sources the import reads.
const (
	fromPassbridge = "passbridge"
	fromPocketID   = importsrc.PocketID
	fromHanko      = importsrc.Hanko
	fromCSV        = importsrc.CSV
)

// importFlags are the import command's flags.
type importFlags struct {
	appID, from, sourceURL, sourceRPID, tenant string
	csvMap                                     []string
	dryRun                                     bool
	batchSize                                  int
}

func (c *cli) importCommand() *cobra.Command {
	var f importFlags
	cmd := &cobra.Command{
		Use:   "import --app APP_ID [FILE] [--dry-run] [--from passbridge|pocket-id|hanko|csv]",
		Short: "Import users and passkeys: a passbridge export, a Pocket ID or Hanko database, or a CSV file",
		Long: `Import adds users and their passkeys to an app. Each user is all or nothing: it is created,
found as it is (the same user handle with the same credentials: unchanged, so an import can run
again), or refused with the reason, changing nothing. --dry-run checks everything and writes nothing.
The summary counts users and devices created, unchanged and refused, and lists every refusal; the
command exits with status 1 when any user was refused.

A passkey works only with the RP ID it was made for: the app's RP ID must be the source's.

  --from passbridge  FILE (or - for standard input) is an export of passbridge export; its header
                     names its RP ID.
  --from pocket-id   reads Pocket ID's database (--source-database-url sqlite://PATH or
                     postgres://…); --source-rp-id is the host of Pocket ID's APP_URL. The user
                     ID becomes the external ID (the sub of Pocket ID's ID tokens).
  --from hanko       reads the database of Hanko's passkey server (postgres://…); the tenant's
                     RP ID is in it; --source-tenant picks a tenant when there are several. The
                     user_id becomes the external ID.
  --from csv         FILE is a CSV file, one passkey a row, its first row naming the columns;
                     rows of one external_id are one user. --source-rp-id is the RP ID of the
                     passkeys. --csv-map FIELD=COLUMN[:ENCODING] (repeatable, or comma-separated)
                     reads a field from another column; a field not mapped is read from the
                     column of its own name. Fields: external_id, cred_id, public_key (required),
                     user_handle (required with passkeys), display_name, status, user_created_at,
                     sign_count, aaguid, transports, backup_eligible, backed_up, user_verified,
                     attestation_type, friendly_name, created_at, last_login_at, usage_count.
                     ENCODING of user_handle, cred_id and public_key: base64 (url or standard,
                     the default), hex, or text (the cell's UTF-8 bytes). public_key is a
                     COSE_Key, or a SubjectPublicKeyInfo (DER, or PEM in the cell) converted.
                     Example: --csv-map external_id=user_id,cred_id=credential_id:hex`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := ""
			if len(args) == 1 {
				file = args[0]
			}
			if err := f.check(cmd, file); err != nil {
				return err
			}
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				app, err := getApp(ctx, st, f.appID)
				if err != nil {
					return err
				}
				return c.runImport(ctx, st, app, f, file, cmd.InOrStdin())
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.appID, "app", "", "app ID (required)")
	fl.StringVar(&f.from, "from", fromPassbridge, "what to read: passbridge, pocket-id, hanko or csv")
	fl.BoolVar(&f.dryRun, "dry-run", false, "check everything, write nothing")
	fl.StringVar(&f.sourceURL, "source-database-url", "", "database of pocket-id or hanko: sqlite://PATH or postgres://… (read only)")
	fl.StringVar(&f.sourceRPID, "source-rp-id", "", "RP ID the passkeys were made for (pocket-id, csv: required)")
	fl.StringVar(&f.tenant, "source-tenant", "", "hanko: the tenant ID, when the database has several")
	fl.StringArrayVar(&f.csvMap, "csv-map", nil, "csv: FIELD=COLUMN[:ENCODING] (repeatable, or comma-separated)")
	fl.IntVar(&f.batchSize, "batch-size", transfer.DefaultBatchSize, "users committed per transaction")
	_ = cmd.MarkFlagRequired("app")
	return cmd
}

// check reports every flag that does not fit the source, at once.
func (f importFlags) check(cmd *cobra.Command, file string) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	set := cmd.Flags().Changed
	fileBased := f.from == fromPassbridge || f.from == fromCSV
	switch f.from {
	case fromPassbridge, fromPocketID, fromHanko, fromCSV:
	default:
		add("--from %q: want passbridge, pocket-id, hanko or csv", f.from)
	}
	switch {
	case fileBased && file == "":
		add("--from %s reads a FILE (- for standard input)", f.from)
	case !fileBased && file != "":
		add("--from %s reads --source-database-url, not the file %q", f.from, file)
	}
	switch {
	case !fileBased && f.sourceURL == "":
		add("--from %s needs --source-database-url", f.from)
	case fileBased && set("source-database-url"):
		add("--source-database-url is for --from pocket-id or hanko")
	}
	switch {
	case (f.from == fromPocketID || f.from == fromCSV) && f.sourceRPID == "":
		add("--from %s needs --source-rp-id: the RP ID its passkeys were made for (%s)", f.from, rpIDHint(f.from))
	case f.from == fromPassbridge && set("source-rp-id"):
		add("--source-rp-id is not for --from passbridge: the export's header names its RP ID")
	}
	if set("csv-map") && f.from != fromCSV {
		add("--csv-map is for --from csv")
	}
	if _, err := importsrc.ParseCSVMapping(f.csvMap); err != nil {
		errs = append(errs, err)
	}
	if set("source-tenant") && f.from != fromHanko {
		add("--source-tenant is for --from hanko")
	}
	if f.batchSize < 1 || f.batchSize > 10000 {
		add("--batch-size %d: want 1 to 10000", f.batchSize)
	}
	return errors.Join(errs...)
}

func rpIDHint(from string) string {
	if from == fromPocketID {
		return "the host of Pocket ID's APP_URL"
	}
	return "the RP ID the exporting service used"
}

// runImport reads the source, imports it and prints the summary.
func (c *cli) runImport(ctx context.Context, st storage.Store, app storage.App, f importFlags, file string, stdin io.Reader) error {
	input, src, err := c.openImport(ctx, f, file, stdin)
	if err != nil {
		return err
	}
	defer input.Close()
	names, err := aaguid.Load()
	if err != nil {
		return err
	}
	progress := &progress{w: c.env.Stderr, now: c.env.Now}
	sum, err := transfer.Import(ctx, st, app, input, transfer.Options{
		DryRun: f.dryRun, Progress: progress.report, BatchSize: f.batchSize, Actor: actorCLI,
		AAGUIDs: names, Now: c.now,
	})
	var refused *ceremony.Error
	switch {
	case errors.As(err, &refused):
		// The input as a whole: nothing was written.
		return errors.New(refused.Message)
	case err != nil:
		// Batches committed before stay: say what they held.
		if sum.Users.Created+sum.Devices.Created > 0 {
			_ = c.printImport(app, f, sum, src)
		}
		return fmt.Errorf("import stopped at line %d: %w", sum.Lines, err)
	}
	if src != nil {
		for _, r := range src.Rejected {
			sum.Users.Refused++
			sum.Devices.Refused += r.Devices
		}
	}
	if err := c.printImport(app, f, sum, src); err != nil {
		return err
	}
	if sum.Users.Refused > 0 {
		total := sum.Users.Created + sum.Users.Unchanged + sum.Users.Refused
		if f.dryRun {
			return fmt.Errorf("%d of %d users would be refused (dry run: nothing was written)", sum.Users.Refused, total)
		}
		return fmt.Errorf("%d of %d users refused; the others were imported", sum.Users.Refused, total)
	}
	return nil
}

// openImport opens what the flags name, as an export to read. src is the
// reader's result for the sources other than passbridge's own export.
func (c *cli) openImport(ctx context.Context, f importFlags, file string, stdin io.Reader) (io.ReadCloser, *importsrc.Source, error) {
	open := func() (io.ReadCloser, error) {
		if file == "-" {
			return io.NopCloser(stdin), nil
		}
		return os.Open(file)
	}
	var src *importsrc.Source
	var err error
	switch f.from {
	case fromPassbridge:
		in, err := open()
		return in, nil, err
	case fromCSV:
		m, err := importsrc.ParseCSVMapping(f.csvMap)
		if err != nil {
			return nil, nil, err
		}
		in, err := open()
		if err != nil {
			return nil, nil, err
		}
		defer in.Close()
		if src, err = importsrc.ReadCSV(in, m); err != nil {
			return nil, nil, err
		}
		src.RPID = f.sourceRPID
	case fromPocketID:
		if src, err = importsrc.ReadPocketID(ctx, f.sourceURL); err != nil {
			return nil, nil, err
		}
		src.RPID = f.sourceRPID
	case fromHanko:
		if src, err = importsrc.ReadHanko(ctx, f.sourceURL, f.tenant); err != nil {
			return nil, nil, err
		}
		if f.sourceRPID != "" && f.sourceRPID != src.RPID {
			return nil, nil, fmt.Errorf("--source-rp-id %q: the tenant's RP ID is %q", f.sourceRPID, src.RPID)
		}
	}
	_, _ = fmt.Fprintf(c.env.Stderr, "%s: read %d users with %d passkeys\n", f.from, len(src.Users)+len(src.Rejected), src.Devices())
	return src.NDJSON(c.now()), src, nil
}

// progress reports the lines read on stderr, at most once a second.
type progress struct {
	w    io.Writer
	now  func() time.Time
	last time.Time
}

func (p *progress) report(lines int) {
	if t := p.now(); t.Sub(p.last) >= time.Second {
		p.last = t
		_, _ = fmt.Fprintf(p.w, "import: %d lines read\n", lines)
	}
}

// importJSON is the summary as --json prints it.
type importJSON struct {
	AppID    string              `json:"app_id"`
	From     string              `json:"from"`
	DryRun   bool                `json:"dry_run"`
	Lines    int                 `json:"lines"`
	Users    transfer.Counts     `json:"users"`
	Devices  transfer.Counts     `json:"devices"`
	Refusals []importRefusalJSON `json:"refusals"`
}

// importRefusalJSON is a refused user: by its line in the file, or, when
// another server's database or a CSV file was read, by where it came from.
type importRefusalJSON struct {
	Line       int    `json:"line,omitempty"`
	Source     string `json:"source,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	Reason     string `json:"reason"`
}

func (c *cli) printImport(app storage.App, f importFlags, sum transfer.Summary, src *importsrc.Source) error {
	out := importJSON{AppID: app.ID, From: f.from, DryRun: sum.DryRun, Lines: sum.Lines, Users: sum.Users,
		Devices: sum.Devices, Refusals: []importRefusalJSON{}}
	if src != nil {
		for _, r := range src.Rejected {
			out.Refusals = append(out.Refusals, importRefusalJSON{Source: r.Origin, ExternalID: r.ExternalID, Reason: r.Reason})
		}
	}
	for _, r := range sum.Refusals {
		j := importRefusalJSON{Line: r.Line, ExternalID: r.ExternalID, Reason: r.Reason}
		if src != nil {
			j.Line, j.Source = 0, src.Origin(r.Line)
		}
		out.Refusals = append(out.Refusals, j)
	}
	if c.json {
		return printJSON(c.env.Stdout, out)
	}
	var b strings.Builder
	if out.DryRun {
		b.WriteString("dry run: nothing was written\n")
	}
	fmt.Fprintf(&b, "users:   %d created, %d unchanged, %d refused\n", out.Users.Created, out.Users.Unchanged, out.Users.Refused)
	fmt.Fprintf(&b, "devices: %d created, %d unchanged, %d refused\n", out.Devices.Created, out.Devices.Unchanged, out.Devices.Refused)
	if len(out.Refusals) > 0 {
		b.WriteString("refused:\n")
	}
	for _, r := range out.Refusals {
		where := r.Source
		if r.Line > 0 {
			where = fmt.Sprintf("line %d", r.Line)
		}
		if r.ExternalID != "" {
			where += fmt.Sprintf(" (external_id %q)", r.ExternalID)
		}
		fmt.Fprintf(&b, "  %s: %s\n", where, r.Reason)
	}
	_, err := io.WriteString(c.env.Stdout, b.String())
	return err
}
