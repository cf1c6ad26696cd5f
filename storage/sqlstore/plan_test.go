package sqlstore_test

import (
	"strings"
	"testing"

	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// No read of a sign-in flow scans a table: each finds its rows through an
// index, so its cost does not grow with the data (issue 10's 1,000,000
// devices). The plans are the engines' own (PostgreSQL with sequential
// scans disabled, so that one appears only where no index serves).
func TestHotQueriesUseIndexes(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		s := open(t)
		for query, args := range sqlstore.HotQueriesForTest() {
			plan, err := s.PlanForTest(t.Context(), query, args...)
			if err != nil {
				t.Fatalf("plan of %s: %v", firstWords(query), err)
			}
			for _, step := range plan {
				if strings.Contains(step, "Seq Scan") || strings.HasPrefix(step, "SCAN ") {
					t.Errorf("%s scans a table:\n%s", firstWords(query), strings.Join(plan, "\n"))
					break
				}
			}
		}
	})
}

// firstWords names a query in a failure: its text up to FROM and past it.
func firstWords(query string) string {
	q := strings.Join(strings.Fields(query), " ")
	if i := strings.Index(q, " FROM "); i >= 0 {
		q = q[i+1:]
	}
	if len(q) > 160 {
		q = q[:160] + "…"
	}
	return q
}
