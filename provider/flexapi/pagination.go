package flexapi

import (
	"fmt"
	"math"
	"net/url"
	"strconv"

	"github.com/passbridge/passbridge/provider/httpapi"
)

// Find-users paging: Passage's defaults and bounds.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// maxOffset keeps (page-1)*limit far from overflowing anything a database
// takes as an offset; no app pages that deep.
const maxOffset = math.MaxInt32

// page is one validated page request of find users.
type page struct {
	identifier string // exact external ID, or "" for every user
	limit      int
	number     int // 1-based
}

func (p page) offset() int { return (p.number - 1) * p.limit }

// parsePage reads ?identifier=&limit=&page=. Absent values take the
// defaults; anything present must be a whole number in range.
func parsePage(q url.Values) (page, error) {
	p := page{identifier: q.Get("identifier"), limit: defaultLimit, number: 1}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return page{}, httpapi.BadRequest("limit must be a whole number between 1 and %d", maxLimit)
		}
		p.limit = n
	}
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return page{}, httpapi.BadRequest("page must be a whole number from 1")
		}
		if n-1 > maxOffset/p.limit {
			return page{}, httpapi.BadRequest("page is out of range")
		}
		p.number = n
	}
	return p, nil
}

// link is a HAL-style link, as Passage's paginated responses carry them.
type link struct {
	Href string `json:"href"`
}

// links point at the pages around the current one. Previous and next are
// null at the ends; last is page 1 when nothing matches.
type links struct {
	Self     link  `json:"self"`
	First    link  `json:"first"`
	Previous *link `json:"previous"`
	Next     *link `json:"next"`
	Last     link  `json:"last"`
}

// pageLinks builds the links of page p of total users, relative to the
// server root like every path of this API.
func pageLinks(appID string, p page, total int) links {
	last := max(1, (total+p.limit-1)/p.limit)
	href := func(n int) link {
		q := url.Values{}
		if p.identifier != "" {
			q.Set("identifier", p.identifier)
		}
		q.Set("limit", strconv.Itoa(p.limit))
		q.Set("page", strconv.Itoa(n))
		return link{Href: fmt.Sprintf("/v1/apps/%s/users?%s", url.PathEscape(appID), q.Encode())}
	}
	l := links{Self: href(p.number), First: href(1), Last: href(last)}
	if p.number > 1 {
		prev := href(min(p.number-1, last))
		l.Previous = &prev
	}
	if p.number < last {
		next := href(p.number + 1)
		l.Next = &next
	}
	return l
}
