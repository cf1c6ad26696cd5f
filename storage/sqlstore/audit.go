package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/passbridge/passbridge/storage"
)

const auditColumns = `id, app_id, type, actor, user_id, device_id, detail, created_at`

const qAuditInsert = `INSERT INTO audit_events (` + auditColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`

type auditRow struct {
	ID        string         `db:"id"`
	AppID     sql.NullString `db:"app_id"`
	Type      string         `db:"type"`
	Actor     string         `db:"actor"`
	UserID    string         `db:"user_id"`
	DeviceID  string         `db:"device_id"`
	Detail    string         `db:"detail"`
	CreatedAt nullTime       `db:"created_at"`
}

// AppendAuditEvent records an event. An empty AppID (a server-wide event) is
// stored as NULL; any other must name an existing app.
func (s *Store) AppendAuditEvent(ctx context.Context, e storage.AuditEvent) error {
	err := s.insert(ctx, qAuditInsert, e.ID, strArg(e.AppID), e.Type, e.Actor, e.UserID, e.DeviceID,
		jsonText(e.Detail), timeArg(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("append audit event: %w", err)
	}
	return nil
}

// ListAuditEvents returns events newest first (CreatedAt, then ID,
// descending), filtered and paged by q.
func (s *Store) ListAuditEvents(ctx context.Context, q storage.AuditQuery) ([]storage.AuditEvent, error) {
	// One query text per combination of filters, each cached as its own
	// statement; a deployment uses a handful of them.
	var b strings.Builder
	b.WriteString(`SELECT ` + auditColumns + ` FROM audit_events WHERE 1 = 1`)
	var args []any
	if q.AppID != "" {
		b.WriteString(` AND app_id = ?`)
		args = append(args, q.AppID)
	}
	if q.UserID != "" {
		b.WriteString(` AND user_id = ?`)
		args = append(args, q.UserID)
	}
	if q.Type != "" {
		b.WriteString(` AND type = ?`)
		args = append(args, q.Type)
	}
	if q.Actor != "" {
		b.WriteString(` AND actor = ?`)
		args = append(args, q.Actor)
	}
	if q.ActorType != "" {
		// "api_key" is every "api_key:<id>"; an actor without an ID
		// ("cli") is its own kind. substr, not LIKE: "_" is a wildcard.
		prefix := q.ActorType + ":"
		b.WriteString(` AND (actor = ? OR substr(actor, 1, ?) = ?)`)
		args = append(args, q.ActorType, len(prefix), prefix)
	}
	if !q.Since.IsZero() {
		b.WriteString(` AND created_at >= ?`)
		args = append(args, timeArg(q.Since))
	}
	if !q.Until.IsZero() {
		b.WriteString(` AND created_at < ?`)
		args = append(args, timeArg(q.Until))
	}
	if !q.Before.IsZero() {
		b.WriteString(` AND created_at < ?`)
		args = append(args, timeArg(q.Before))
	}
	if q.After.ID != "" {
		// Listing order is (created_at, id) descending: what follows a
		// position is older, or as old with a smaller ID.
		b.WriteString(` AND (created_at < ? OR (created_at = ? AND id < ?))`)
		at := timeArg(q.After.CreatedAt)
		args = append(args, at, at, q.After.ID)
	}
	b.WriteString(` ORDER BY created_at DESC, id DESC LIMIT ?`)
	args = append(args, pageLimit(q.Limit))

	var rows []auditRow
	if err := s.list(ctx, &rows, b.String(), args...); err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	events := make([]storage.AuditEvent, len(rows))
	for i, r := range rows {
		detail, err := decodeMap("detail", r.Detail)
		if err != nil {
			return nil, fmt.Errorf("list audit events: %w", err)
		}
		events[i] = storage.AuditEvent{
			ID: r.ID, AppID: r.AppID.String, Type: r.Type, Actor: r.Actor, UserID: r.UserID, DeviceID: r.DeviceID,
			Detail: detail, CreatedAt: r.CreatedAt.t,
		}
	}
	return events, nil
}
