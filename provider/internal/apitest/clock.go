package apitest

import (
	"sync"
	"time"
)

// Clock is a test clock moved by hand. Made by NewClock it starts at the
// real time, so that go-webauthn's own session expiry (which reads the real
// clock) agrees.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock set to the current UTC time.
func NewClock() *Clock {
	return NewClockAt(time.Now().UTC())
}

// NewClockAt returns a clock set to t, for tests that need no real time.
func NewClockAt(t time.Time) *Clock {
	return &Clock{now: t}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
