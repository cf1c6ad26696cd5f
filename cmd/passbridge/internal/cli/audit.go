package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/provider/auditlog"
	"github.com/passbridge/passbridge/storage"
)

// Page sizes of audit list: those of the admin API's lists.
const (
	auditDefaultLimit = 50
	auditMaxLimit     = 200
)

// auditPage is what audit list --json prints: the admin API's page.
type auditPage struct {
	Items      []auditlog.Event `json:"items"`
	NextCursor *string          `json:"next_cursor"` // null on the last page
}

func (c *cli) auditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit log",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(c.auditList())
	return cmd
}

// auditFlagNames are the flags of audit list by the filter each sets.
var auditFlagNames = map[string]string{
	"app_id": "--app", "user_id": "--user", "type": "--type", "actor": "--actor", "since": "--since", "until": "--until",
}

func (c *cli) auditList() *cobra.Command {
	var (
		f      auditlog.Filter
		limit  int
		cursor string
	)
	cmd := &cobra.Command{
		Use:   "list [--app APP_ID] [--user USER_ID] [--type T] [--actor A] [--since T] [--until T] [--limit N] [--cursor C]",
		Short: "List audit events, newest first",
		Long: "List audit events, newest first. --actor is a kind of actor (admin_key, api_key, user,\n" +
			"cli, system) or one actor (admin_key:<id>, api_key:<id>, user:<id>); --since and --until are\n" +
			"RFC 3339 times (since inclusive, until exclusive). A page holds --limit events (1 to 200,\n" +
			"default 50); the next page starts at the cursor the last line (or next_cursor) gives.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, problems := auditlog.Query(f, func(name string) string { return auditFlagNames[name] })
			if cmd.Flags().Changed("limit") && (limit < 1 || limit > auditMaxLimit) {
				problems = append(problems, fmt.Sprintf("--limit %d: want 1 to %d", limit, auditMaxLimit))
			}
			if cmd.Flags().Changed("cursor") {
				after, err := storage.ParseCursor(cursor)
				if err != nil {
					problems = append(problems, fmt.Sprintf("--cursor %q: not a cursor audit list printed", clipText(cursor)))
				}
				q.After = after
			}
			if len(problems) > 0 {
				return errors.New(strings.Join(problems, "; "))
			}
			q.Limit = limit + 1 // one more tells whether another page follows
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				events, err := st.ListAuditEvents(ctx, q)
				if err != nil {
					return fmt.Errorf("list audit events: %w", err)
				}
				var next *string
				if len(events) > limit {
					last := events[limit-1]
					s := storage.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}.String()
					next, events = &s, events[:limit]
				}
				return c.printAudit(events, next)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.AppID, "app", "", "only events of this app")
	fl.StringVar(&f.UserID, "user", "", "only events naming this user (passbridge's user ID)")
	fl.StringVar(&f.Type, "type", "", "only events of this type, such as device.revoked")
	fl.StringVar(&f.Actor, "actor", "", "only events of this kind of actor, or of this one actor")
	fl.StringVar(&f.Since, "since", "", "only events at or after this time (RFC 3339)")
	fl.StringVar(&f.Until, "until", "", "only events before this time (RFC 3339)")
	fl.IntVar(&limit, "limit", auditDefaultLimit, fmt.Sprintf("events per page (1 to %d)", auditMaxLimit))
	fl.StringVar(&cursor, "cursor", "", "where the page starts: the cursor the page before printed")
	return cmd
}

func (c *cli) printAudit(events []storage.AuditEvent, next *string) error {
	if c.json {
		out := auditPage{Items: make([]auditlog.Event, 0, len(events)), NextCursor: next}
		for _, e := range events {
			out.Items = append(out.Items, auditlog.NewEvent(e))
		}
		return printJSON(c.env.Stdout, out)
	}
	t := newTable(c.env.Stdout, "TIME", "TYPE", "ACTOR", "APP", "USER", "DETAILS")
	for _, e := range events {
		ev := auditlog.NewEvent(e)
		details := make([]string, 0, len(ev.Details)+3)
		for _, kv := range [][2]string{{"device", ev.DeviceID}, {"client", ev.ClientID}, {"ip", ev.IP}} {
			if kv[1] != "" {
				details = append(details, kv[0]+"="+kv[1])
			}
		}
		keys := make([]string, 0, len(ev.Details))
		for k := range ev.Details {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			details = append(details, k+"="+ev.Details[k])
		}
		t.row(timeText(e.CreatedAt), e.Type, orDash(e.Actor), orDash(e.AppID), orDash(e.UserID), orDash(strings.Join(details, " ")))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if next != nil {
		_, err := fmt.Fprintf(c.env.Stderr, "More events: --cursor %s\n", *next)
		return err
	}
	return nil
}

// clipText shortens a value quoted in a refusal.
func clipText(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
