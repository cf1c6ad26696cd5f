package storagetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// requireListed checks that got holds exactly the rows of want, each equal to
// what was written, in the order the contract gives listings: CreatedAt, then
// ID, ascending (or descending when newestFirst).
func requireListed[T any](t *testing.T, what string, got, want []T, key func(T) (time.Time, string), newestFirst bool) {
	t.Helper()
	want = sortByCreated(want, key, newestFirst)
	if !slices.Equal(idsOf(got, key), idsOf(want, key)) {
		t.Fatalf("%s: got ids %s, want %s", what, strings.Join(idsOf(got, key), ","), strings.Join(idsOf(want, key), ","))
	}
	for i := range got {
		checkSame(t, fmt.Sprintf("%s[%d]", what, i), got[i], want[i])
	}
}

func idsOf[T any](items []T, key func(T) (time.Time, string)) []string {
	ids := make([]string, 0, len(items))
	for _, it := range items {
		_, id := key(it)
		ids = append(ids, id)
	}
	return ids
}

// sortByCreated returns a sorted copy of items in listing order.
func sortByCreated[T any](items []T, key func(T) (time.Time, string), newestFirst bool) []T {
	items = slices.Clone(items)
	slices.SortStableFunc(items, func(a, b T) int {
		at, aid := key(a)
		bt, bid := key(b)
		c := at.Round(time.Microsecond).Compare(bt.Round(time.Microsecond))
		if c == 0 {
			c = cmp.Compare(aid, bid)
		}
		if newestFirst {
			return -c
		}
		return c
	})
	return items
}
