package adminapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

// Page sizes of every list (DESIGN §9).
const (
	defaultLimit = 50
	maxLimit     = 200
)

// listPage is the envelope of every list.
type listPage[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"` // null on the last page
}

// paging is what a list request asks for: how many items, from where.
type paging struct {
	limit int
	// after is where the page starts: after this position; the zero
	// Cursor starts at the beginning. raw is the text it was given as.
	after storage.Cursor
	raw   string
}

// parsePaging reads ?limit= and ?cursor=; a bad value is a 400 naming it.
func parsePaging(q url.Values) (paging, error) {
	p := paging{limit: defaultLimit}
	if vs, ok := q["limit"]; ok {
		n, err := strconv.Atoi(vs[0])
		if len(vs) != 1 || err != nil || n < 1 || n > maxLimit {
			return p, httpapi.BadRequest("limit must be an integer from 1 to %d", maxLimit)
		}
		p.limit = n
	}
	if vs, ok := q["cursor"]; ok {
		if len(vs) != 1 {
			return p, errBadCursor
		}
		c, err := storage.ParseCursor(vs[0])
		if err != nil {
			return p, errBadCursor
		}
		p.after, p.raw = c, vs[0]
	}
	return p, nil
}

var errBadCursor = httpapi.BadRequest("cursor is not one a listing handed out: start again without it")

// pageOf answers one page of items, which are all there are, in listing
// order (CreatedAt, then ID, ascending; key gives them): those after the
// cursor, up to the limit. Lists that small (an app's keys, clients, a
// user's devices) are read whole; the cursor still keeps a page from
// shifting when items come and go between requests.
func pageOf[T, J any](c *gin.Context, p paging, items []T, key func(T) (time.Time, string), render func(T) J) {
	start := 0
	if p.after.ID != "" {
		start = len(items)
		for i, it := range items {
			if t, id := key(it); after(t, id, p.after) {
				start = i
				break
			}
		}
	}
	end := min(start+p.limit, len(items))
	out := listPage[J]{Items: make([]J, 0, end-start)}
	for _, it := range items[start:end] {
		out.Items = append(out.Items, render(it))
	}
	if end < len(items) {
		t, id := key(items[end-1])
		next := storage.Cursor{CreatedAt: t, ID: id}.String()
		out.NextCursor = &next
	}
	c.JSON(http.StatusOK, out)
}

// after reports whether the item at (t, id) comes after the cursor in
// ascending (CreatedAt, ID) order.
func after(t time.Time, id string, cur storage.Cursor) bool {
	t = t.UTC().Round(time.Microsecond)
	if c := t.Compare(cur.CreatedAt); c != 0 {
		return c > 0
	}
	return id > cur.ID
}
