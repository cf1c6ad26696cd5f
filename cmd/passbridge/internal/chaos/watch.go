package chaos

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// leaks are texts of a driver, a library or a crash that must never reach
// a client.
var leaks = []string{"pq:", "sql:", "sqlite", "SQLSTATE", "dial tcp", "connection refused", "broken pipe", "goroutine ", "panic", "runtime error"}

// Watch sees every answer the proxy relays: it counts the 5xx ones by
// "step status code", keeps any error answer that carries driver text, and
// the slowest answer.
type Watch struct {
	mu      sync.Mutex
	errors  map[string]int
	leaked  []string
	slowest time.Duration
	slowReq string
}

// NewWatch returns an empty watch.
func NewWatch() *Watch { return &Watch{errors: map[string]int{}} }

// Observe is a proxy observer.
func (w *Watch) Observe(x Exchange) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if x.Took > w.slowest {
		w.slowest, w.slowReq = x.Took, fmt.Sprintf("%s %s: %d", x.Method, routeOf(x.Path), x.Status)
	}
	if x.Status < http.StatusBadRequest {
		return
	}
	body := string(x.RBody)
	for _, l := range leaks {
		if strings.Contains(body, l) {
			w.leaked = append(w.leaked, fmt.Sprintf("%s %s: %d %.200s", x.Method, x.Path, x.Status, body))
			break
		}
	}
	if x.Status >= 500 {
		step := x.Step
		if step == "" {
			step = x.Method + " " + routeOf(x.Path)
		}
		code, _ := codeOfBody(x.RBody)
		w.errors[strings.TrimSpace(fmt.Sprintf("%s %d %s", step, x.Status, code))]++
	}
}

// Take returns the 5xx answers and leaks seen since the last Take.
func (w *Watch) Take() (errors map[string]int, leaked []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	errors, leaked = w.errors, w.leaked
	w.errors, w.leaked = map[string]int{}, nil
	w.slowest, w.slowReq = 0, ""
	return errors, leaked
}

// Slowest is the slowest answer since the last Take and its request.
func (w *Watch) Slowest() (time.Duration, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.slowest, w.slowReq
}

// routeOf shortens a path to its route: IDs become ":id".
func routeOf(p string) string {
	p, _, _ = strings.Cut(p, "?")
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if len(s) > 16 {
			parts[i] = ":id"
		}
	}
	return strings.Join(parts, "/")
}
