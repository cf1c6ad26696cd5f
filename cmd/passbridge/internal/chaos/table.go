package chaos

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Row is one scenario's line in the table.
type Row struct {
	Scenario   string
	Iterations int     // successful iterations of the load
	Rate       float64 // successful iterations per second
	Faults     string  // what was injected
	Failed     int     // failed requests (an iteration stops at its first, so also failed iterations)
	Why        string  // their reasons
	Lost       int     // acknowledged writes missing from the store
	Double     int     // nonces, codes spent twice
	Recovery   string  // recovery times
}

// Table collects the rows of a run.
type Table struct {
	mu   sync.Mutex
	rows []Row
}

// Add adds a row.
func (tb *Table) Add(r Row) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.rows = append(tb.rows, r)
}

// Markdown is the table as Markdown.
func (tb *Table) Markdown() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var b strings.Builder
	b.WriteString("| scenario | load held (iterations, iter/s) | faults injected | requests failed (why) | acknowledged writes lost | double spends | recovery |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, r := range tb.rows {
		why := r.Why
		if why == "" {
			why = "—"
		}
		held := fmt.Sprintf("%d, %.1f/s", r.Iterations, r.Rate)
		if r.Iterations == 0 {
			held = "the load of the rows above"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d (%s) | %d | %d | %s |\n",
			r.Scenario, held, r.Faults, r.Failed, why, r.Lost, r.Double, r.Recovery)
	}
	return b.String()
}

// ms formats a duration in milliseconds, or seconds above 10 s.
func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

// msList formats durations.
func msList(ds []time.Duration) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, ms(d))
	}
	return strings.Join(parts, ", ")
}
