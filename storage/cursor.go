package storage

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalidCursor: a paging cursor that no listing handed out (malformed,
// or edited). Callers answer it as a bad request.
var ErrInvalidCursor = errors.New("storage: invalid cursor")

// maxCursorChars bounds a cursor before it is decoded: a listing hands out
// far shorter ones (a time and an ID).
const maxCursorChars = 512

// Cursor is a position in a listing ordered by CreatedAt, then ID: the last
// row of a page. The next page starts after it. Its text form (String) is
// opaque to clients.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// String encodes the cursor as URL-safe text.
func (c Cursor) String() string {
	raw := strconv.FormatInt(c.CreatedAt.UTC().Round(time.Microsecond).UnixMicro(), 10) + "." + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCursor decodes a cursor String made; anything else is
// ErrInvalidCursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" || len(s) > maxCursorChars {
		return Cursor{}, ErrInvalidCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, ErrInvalidCursor
	}
	micros, id, ok := strings.Cut(string(raw), ".")
	if !ok || id == "" || !utf8.ValidString(id) || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return Cursor{}, ErrInvalidCursor
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return Cursor{}, ErrInvalidCursor
	}
	return Cursor{CreatedAt: time.UnixMicro(us).UTC(), ID: id}, nil
}
