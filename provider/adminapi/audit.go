package adminapi

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/auditlog"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

// listAudit lists audit events, newest first, filtered by ?app_id=,
// ?user_id=, ?type=, ?actor= (a kind such as "admin_key", or one actor
// such as "admin_key:<id>" or "cli"), ?since= and ?until= (RFC 3339; since
// inclusive, until exclusive).
func (a *API) listAudit(c *gin.Context) error {
	query := c.Request.URL.Query()
	p, err := parsePaging(query)
	if err != nil {
		return err
	}
	var f auditlog.Filter
	for name, dst := range map[string]*string{"app_id": &f.AppID, "user_id": &f.UserID, "type": &f.Type,
		"actor": &f.Actor, "since": &f.Since, "until": &f.Until} {
		v, given, err := oneQuery(query, name)
		if err != nil {
			return err
		}
		if given && v == "" {
			return httpapi.BadRequest("%s must not be empty", name)
		}
		*dst = v
	}
	q, problems := auditlog.Query(f, func(name string) string { return name })
	if len(problems) > 0 {
		return httpapi.BadRequest("%s", strings.Join(problems, "; "))
	}
	// One more than a page tells whether another page follows.
	q.Limit, q.After = p.limit+1, p.after
	events, err := a.store.ListAuditEvents(c.Request.Context(), q)
	if err != nil {
		return err
	}
	out := listPage[auditlog.Event]{Items: make([]auditlog.Event, 0, min(len(events), p.limit))}
	for i, e := range events {
		if i == p.limit {
			last := events[i-1]
			next := storage.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}.String()
			out.NextCursor = &next
			break
		}
		out.Items = append(out.Items, auditlog.NewEvent(e))
	}
	c.JSON(http.StatusOK, out)
	return nil
}
