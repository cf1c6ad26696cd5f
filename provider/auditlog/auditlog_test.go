package auditlog_test

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/passbridge/passbridge/provider/auditlog"
	"github.com/passbridge/passbridge/storage"
)

func ptr(s string) *string { return &s }

func TestParseActor(t *testing.T) {
	for stored, want := range map[string]auditlog.Actor{
		"admin_key:k1": {Type: "admin_key", ID: ptr("k1")},
		"api_key:k2":   {Type: "api_key", ID: ptr("k2")},
		"user:u1":      {Type: "user", ID: ptr("u1")},
		"cli":          {Type: "cli"},
		"system":       {Type: "system"},
		// Forms no version writes are shown whole, as the system's.
		"":            {Type: "system", ID: ptr("")},
		"cli:x":       {Type: "system", ID: ptr("cli:x")},
		"api_key:":    {Type: "system", ID: ptr("api_key:")},
		"robot:r2-d2": {Type: "system", ID: ptr("robot:r2-d2")},
	} {
		if got := auditlog.ParseActor(stored); !reflect.DeepEqual(got, want) {
			t.Errorf("ParseActor(%q) = %+v, want %+v", stored, got, want)
		}
	}
}

func TestNewEvent(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.FixedZone("X", 3600))
	got := auditlog.NewEvent(storage.AuditEvent{
		ID: "e1", AppID: "a1", Type: "client.updated", Actor: "admin_key:k1", UserID: "u1",
		Detail: map[string]string{"client_id": "c1", "ip": "203.0.113.7", "changed": "name"}, CreatedAt: at,
	})
	want := auditlog.Event{
		ID: "e1", Time: at.UTC(), AppID: ptr("a1"), Actor: auditlog.Actor{Type: "admin_key", ID: ptr("k1")}, Type: "client.updated",
		UserID: "u1", ClientID: "c1", IP: "203.0.113.7", Details: map[string]string{"changed": "name"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("NewEvent = %+v, want %+v", got, want)
	}
	if ev := auditlog.NewEvent(storage.AuditEvent{ID: "e2", Actor: "cli"}); ev.AppID != nil || ev.Details == nil {
		t.Fatalf("a server-wide event without details: %+v", ev)
	}
}

func TestQuery(t *testing.T) {
	field := func(name string) string { return "--" + name }
	q, problems := auditlog.Query(auditlog.Filter{
		AppID: "a1", UserID: "u1", Type: "device.revoked", Actor: "admin_key",
		Since: "2030-01-02T03:04:05.0000005Z", Until: "2030-01-03T00:00:00.0000001+01:00",
	}, field)
	if len(problems) != 0 {
		t.Fatal(problems)
	}
	want := storage.AuditQuery{
		AppID: "a1", UserID: "u1", Type: "device.revoked", ActorType: "admin_key",
		// Widened to the microseconds they touch.
		Since: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		Until: time.Date(2030, 1, 2, 23, 0, 0, 1000, time.UTC),
	}
	if !reflect.DeepEqual(q, want) {
		t.Fatalf("Query = %+v, want %+v", q, want)
	}
	for actor, want := range map[string]storage.AuditQuery{
		"cli":          {Actor: "cli"},
		"system":       {Actor: "system"},
		"user":         {ActorType: "user"},
		"api_key:k1":   {Actor: "api_key:k1"},
		"admin_key:k1": {Actor: "admin_key:k1"},
	} {
		if q, p := auditlog.Query(auditlog.Filter{Actor: actor}, field); len(p) != 0 || !reflect.DeepEqual(q, want) {
			t.Errorf("actor %q: %+v %v, want %+v", actor, q, p, want)
		}
	}

	// Every problem at once, each naming its field.
	_, problems = auditlog.Query(auditlog.Filter{
		AppID: "a\x00", UserID: strings.Repeat("u", 129), Type: strings.Repeat("t", 101), Actor: "cli:x",
		Since: "2030-02-01T00:00:00Z", Until: "2030-01-01T00:00:00Z",
	}, field)
	for _, w := range []string{"--app_id", "--user_id", "--type", `--actor "cli:x"`, "--since must not be later than --until"} {
		if !strings.Contains(strings.Join(problems, "; "), w) {
			t.Errorf("problems %q do not name %s", problems, w)
		}
	}
	_, problems = auditlog.Query(auditlog.Filter{Since: "yesterday", Until: "2030-13-01T00:00:00Z"}, field)
	if len(problems) != 2 {
		t.Errorf("bad times: %q", problems)
	}
}

// FuzzQuery: whatever a client sends, Query answers without a panic, and
// what it accepts is text the store can hold.
func FuzzQuery(f *testing.F) {
	for _, seed := range []string{"", "cli", "admin_key:abc", "user:", "2030-01-02T03:04:05Z", "a\x00b", "\xff", strings.Repeat("x", 300)} {
		f.Add(seed, seed, seed)
	}
	f.Fuzz(func(t *testing.T, text, actor, at string) {
		q, problems := auditlog.Query(auditlog.Filter{AppID: text, UserID: text, Type: text, Actor: actor, Since: at, Until: at},
			func(name string) string { return name })
		if len(problems) > 0 {
			for _, p := range problems {
				if !utf8.ValidString(p) {
					t.Fatalf("problem %q is not UTF-8", p)
				}
			}
			return
		}
		for _, v := range []string{q.AppID, q.UserID, q.Type, q.Actor, q.ActorType} {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				t.Fatalf("accepted %q", v)
			}
		}
	})
}
