package main

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Failed password sign-ins per username: a burst of maxFailures, then one
// more every failureInterval. Counting by username (known or not) slows a
// guesser down on each account whatever its address; a real deployment
// also limits by client address in front of the app.
const (
	maxFailures     = 5
	failureInterval = 30 * time.Second
	// maxThrottled bounds the usernames tracked.
	maxThrottled = 10000
)

// throttle limits failed password sign-ins.
type throttle struct {
	mu  sync.Mutex
	by  map[string]*rate.Limiter
	now func() time.Time
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{by: map[string]*rate.Limiter{}, now: now}
}

// allowed says whether username may try a password now; it takes nothing.
func (t *throttle) allowed(username string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.by[username]
	return !ok || l.TokensAt(t.now()) >= 1
}

// failed counts a failed attempt for username.
func (t *throttle) failed(username string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	l, ok := t.by[username]
	if !ok {
		if len(t.by) >= maxThrottled {
			// Forget the usernames whose limit has refilled.
			for k, v := range t.by {
				if v.TokensAt(now) >= maxFailures {
					delete(t.by, k)
				}
			}
			// Still full: someone is trying many usernames; drop one.
			for k := range t.by {
				if len(t.by) < maxThrottled {
					break
				}
				delete(t.by, k)
			}
		}
		l = rate.NewLimiter(rate.Every(failureInterval), maxFailures)
		t.by[username] = l
	}
	l.AllowN(now, 1)
}
