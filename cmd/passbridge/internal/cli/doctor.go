package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
)

// Outcomes of a doctor check.
const (
	checkOK   = "ok"
	checkWarn = "warn" // serving works, but the operator should know or act
	checkFail = "fail" // serving, or part of it, does not work
	checkSkip = "skip" // not checked: what the check needs failed
)

// doctorTimeout bounds the checks that reach the database, so that an
// unreachable host is reported rather than waited on.
const doctorTimeout = 15 * time.Second

// finding is one outcome of passbridge doctor.
type finding struct {
	Check   string `json:"check"`             // config, deployment, store, migrations, master_key, signing_keys, app, client
	Subject string `json:"subject,omitempty"` // the setting, key, app or client it is about
	Status  string `json:"status"`            // ok | warn | fail | skip
	Message string `json:"message"`           // what was found, naming the bad value, and what to do
}

// doctorReport is what passbridge doctor prints.
type doctorReport struct {
	OK       bool      `json:"ok"` // no check failed
	Failures int       `json:"failures"`
	Warnings int       `json:"warnings"`
	Checks   []finding `json:"checks"`
}

// doctor collects findings; a check never stops the ones after it.
type doctor struct {
	findings []finding
}

func (d *doctor) add(status, check, subject, format string, args ...any) {
	d.findings = append(d.findings, finding{Check: check, Subject: subject, Status: status, Message: fmt.Sprintf(format, args...)})
}

func (d *doctor) report() doctorReport {
	r := doctorReport{Checks: d.findings}
	for _, f := range d.findings {
		switch f.Status {
		case checkFail:
			r.Failures++
		case checkWarn:
			r.Warnings++
		}
	}
	r.OK = r.Failures == 0
	return r
}

func (c *cli) doctorCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the configuration, the store, the master key, and every app and client; print every problem",
		Long: "Check what serve would run with, and change nothing: the configuration (the flags, environment\n" +
			"and file serve reads), that the database answers and its migrations are current, the master\n" +
			"key against the store's key check, that the signing keys decrypt with it, every app's origins\n" +
			"and RP ID against the issuer, and every client's redirect URIs. Every problem is printed, each\n" +
			"naming the bad value and what to do. Exit status 0 when no check fails (warnings allowed), 1\n" +
			"otherwise.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep := c.diagnose(cmd)
			var err error
			if c.json {
				err = printJSON(c.env.Stdout, rep)
			} else {
				err = c.printDoctor(rep)
			}
			if err != nil {
				return err
			}
			if !rep.OK {
				return fmt.Errorf("doctor: %d check(s) failed", rep.Failures)
			}
			return nil
		},
	}
	config.AddFlags(cmd.Flags(), serveSettings()...)
	return cmd
}

// diagnose runs every check. Checks that need something that failed (the
// store, the master key, a usable issuer) are reported as skipped.
func (c *cli) diagnose(cmd *cobra.Command) doctorReport {
	d := &doctor{}
	cfg, err := c.loadConfig(cmd)
	d.checkConfig(cfg, err)
	d.checkDeployment(cfg)
	mk := d.checkMasterKeySource(cfg)

	ctx, cancel := context.WithTimeout(cmd.Context(), doctorTimeout)
	defer cancel()
	st := d.checkStore(ctx, cfg)
	if st == nil {
		for _, check := range []string{"master_key", "signing_keys", "apps"} {
			d.add(checkSkip, check, "", "not checked: the store is not usable (see store and migrations)")
		}
		return d.report()
	}
	defer st.Close()
	d.checkMasterKeyInStore(ctx, st, mk)
	d.checkSigningKeys(ctx, st, cfg, mk)
	d.checkApps(ctx, st, cfg, mk)
	return d.report()
}

// printDoctor writes the findings as a table and a summary line.
func (c *cli) printDoctor(rep doctorReport) error {
	t := newTable(c.env.Stdout, "STATUS", "CHECK", "SUBJECT", "MESSAGE")
	for _, f := range rep.Checks {
		t.row(f.Status, f.Check, orDash(f.Subject), f.Message)
	}
	if err := t.flush(); err != nil {
		return err
	}
	count := map[string]int{}
	for _, f := range rep.Checks {
		count[f.Status]++
	}
	_, err := fmt.Fprintf(c.env.Stdout, "\n%d failed, %d warned, %d ok, %d skipped\n",
		count[checkFail], count[checkWarn], count[checkOK], count[checkSkip])
	return err
}
