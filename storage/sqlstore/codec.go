package sqlstore

import (
	"encoding/json"
	"fmt"
	"time"
)

// The storage conventions (see package storage): times in UTC at PostgreSQL's
// microsecond precision, the zero time as NULL, empty optional references as
// NULL. These helpers convert at the edge, in both directions.

// utc is the form in which a time is stored and returned.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Round(time.Microsecond)
}

// timeArg is a time as a query argument: NULL for the zero time.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return utc(t)
}

// strArg is an optional reference as a query argument: NULL for "".
func strArg(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// bytesArg is a byte string as a query argument: NULL when empty (which
// reads back as nil, see bytesOut).
func bytesArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// bytesOut returns a scanned byte string; an empty one reads as nil on both
// engines (modernc returns nil for an empty BLOB, lib/pq an empty slice).
func bytesOut(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nullTime scans a timestamp column; NULL is the zero time. It also parses
// text, which is what SQLite hands back where the driver does not know a
// column's declared type (e.g. in RETURNING results).
type nullTime struct{ t time.Time }

// Scan implements sql.Scanner.
func (n *nullTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		n.t = time.Time{}
	case time.Time:
		n.t = utc(v)
	case string:
		return n.parse(v)
	case []byte:
		return n.parse(string(v))
	default:
		return fmt.Errorf("scan time: unsupported type %T", v)
	}
	return nil
}

// parse reads the forms SQLite text times come in, the driver's "sqlite"
// write format first.
func (n *nullTime) parse(s string) error {
	layouts := [...]string{
		"2006-01-02 15:04:05.999999999-07:00",
		"2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04:05.999999999",
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			n.t = utc(t)
			return nil
		}
	}
	return fmt.Errorf("scan time: unrecognised format %q", s)
}

// jsonText encodes a list or map column. nil and empty encode differently
// ("null", "[]"), so both read back as they were written.
func jsonText(v any) string {
	b, _ := json.Marshal(v) // only []string and map[string]string come here: they always encode
	return string(b)
}

// decodeList decodes a list column.
func decodeList(column, text string) ([]string, error) {
	var l []string
	if err := json.Unmarshal([]byte(text), &l); err != nil {
		return nil, fmt.Errorf("decode %s: %w", column, err)
	}
	return l, nil
}

// decodeMap decodes a map column.
func decodeMap(column, text string) (map[string]string, error) {
	var m map[string]string
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		return nil, fmt.Errorf("decode %s: %w", column, err)
	}
	return m, nil
}
