// Package auditlog is the audit log as operators read it: the filters a
// listing takes and the JSON form of an event (DESIGN §9), shared by the
// admin API and the command line so that both read the same way.
package auditlog

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/passbridge/passbridge/storage"
)

// Actor kinds (DESIGN §9). The store writes an actor as "<kind>:<id>", or
// as the kind alone for those without an ID.
const (
	ActorAdminKey = "admin_key"
	ActorAPIKey   = "api_key"
	ActorUser     = "user"
	ActorCLI      = "cli"
	ActorSystem   = "system"
)

// Bounds of the filters' values: what no stored value exceeds.
const (
	maxIDBytes   = 128
	maxTypeBytes = 100
)

// Actor is who acted.
type Actor struct {
	Type string  `json:"type"`
	ID   *string `json:"id"` // null for cli and system
}

// Event is an audit event as operators read it. The client ID and address
// an event's details carry are shown beside them.
type Event struct {
	ID       string            `json:"id"`
	Time     time.Time         `json:"time"`
	AppID    *string           `json:"app_id"` // null for server-wide events
	Actor    Actor             `json:"actor"`
	Type     string            `json:"type"`
	UserID   string            `json:"user_id,omitempty"`
	DeviceID string            `json:"device_id,omitempty"`
	ClientID string            `json:"client_id,omitempty"`
	IP       string            `json:"ip,omitempty"`
	Details  map[string]string `json:"details"`
}

// NewEvent renders a stored event.
func NewEvent(e storage.AuditEvent) Event {
	out := Event{
		ID: e.ID, Time: e.CreatedAt.UTC(), Actor: ParseActor(e.Actor), Type: e.Type,
		UserID: e.UserID, DeviceID: e.DeviceID, Details: map[string]string{},
	}
	if e.AppID != "" {
		out.AppID = &e.AppID
	}
	for k, v := range e.Detail {
		switch k {
		case "client_id":
			out.ClientID = v
		case "ip":
			out.IP = v
		default:
			out.Details[k] = v
		}
	}
	return out
}

// withID are the kinds of actor that carry an ID.
func withID(kind string) bool {
	return kind == ActorAdminKey || kind == ActorAPIKey || kind == ActorUser
}

// ParseActor reads the stored form of an actor. A form this version does
// not know is shown whole, as the system's.
func ParseActor(stored string) Actor {
	kind, id, hasID := strings.Cut(stored, ":")
	switch {
	case hasID && id != "" && withID(kind):
		return Actor{Type: kind, ID: &id}
	case stored == ActorCLI || stored == ActorSystem:
		return Actor{Type: stored}
	}
	return Actor{Type: ActorSystem, ID: &stored}
}

// Filter is what a listing was asked for, as text; "" leaves a filter out.
// Since and Until are RFC 3339 times.
type Filter struct {
	AppID, UserID, Type, Actor, Since, Until string
}

// Field names a filter in a problem, as the caller's users know it (a
// query parameter, a flag).
type Field func(name string) string

// Query turns a filter into a store query, or returns every problem, each
// naming its field through field ("app_id", "user_id", "type", "actor",
// "since", "until"). Actor is a kind ("admin_key", "api_key", "user",
// "cli", "system") or one actor ("admin_key:<id>", "api_key:<id>",
// "user:<id>"); since is inclusive, until exclusive.
func Query(f Filter, field Field) (storage.AuditQuery, []string) {
	var (
		q        storage.AuditQuery
		problems []string
	)
	text := func(name, v string, max int, dst *string) {
		if v == "" {
			return
		}
		if !plausible(v, max) {
			problems = append(problems, fmt.Sprintf("%s must be 1 to %d bytes of text without control characters", field(name), max))
			return
		}
		*dst = v
	}
	at := func(name, v string, dst *time.Time) {
		if v == "" {
			return
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s %q: want a time as RFC 3339 writes it, such as 2026-03-01T10:00:00Z", field(name), clip(v)))
			return
		}
		*dst = t.UTC()
	}
	text("app_id", f.AppID, maxIDBytes, &q.AppID)
	text("user_id", f.UserID, maxIDBytes, &q.UserID)
	text("type", f.Type, maxTypeBytes, &q.Type)
	at("since", f.Since, &q.Since)
	at("until", f.Until, &q.Until)
	// Events are kept to the microsecond: a bound finer than that is
	// widened to the microseconds it touches, so no event within it is
	// left out.
	q.Since = q.Since.Truncate(time.Microsecond)
	if t := q.Until.Truncate(time.Microsecond); !t.Equal(q.Until) {
		q.Until = t.Add(time.Microsecond)
	}
	if f.Actor != "" {
		kind, id, hasID := strings.Cut(f.Actor, ":")
		switch {
		case !hasID && (kind == ActorCLI || kind == ActorSystem):
			q.Actor = f.Actor
		case !hasID && withID(kind):
			q.ActorType = kind
		case hasID && withID(kind) && plausible(id, maxIDBytes):
			q.Actor = f.Actor
		default:
			problems = append(problems, fmt.Sprintf("%s %q: want admin_key, api_key, user, cli or system, or one actor such as admin_key:<id>",
				field("actor"), clip(f.Actor)))
		}
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Since.After(q.Until) {
		problems = append(problems, fmt.Sprintf("%s must not be later than %s", field("since"), field("until")))
	}
	return q, problems
}

// plausible reports whether s is 1 to max bytes of UTF-8 without control
// characters: anything else names nothing stored.
func plausible(s string, max int) bool {
	if s == "" || len(s) > max || !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, unicode.IsControl)
}

// clip shortens a value quoted in a problem, and keeps it printable.
func clip(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
