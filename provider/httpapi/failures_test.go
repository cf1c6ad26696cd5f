package httpapi_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/httpapi"
)

// Peek looks without taking or creating; Take charges without refusing.
func TestRateLimiterPeekAndTake(t *testing.T) {
	clock := newFakeClock()
	var refused atomic.Int64
	l := newLimiter(t, httpapi.RateLimiterConfig{Rate: 2, Burst: 2, Now: clock.Now, Refused: func() { refused.Add(1) }})

	if ok, _ := l.Peek("a"); !ok || l.Len() != 0 {
		t.Fatalf("peek of an unknown key: ok %v, %d buckets; want ok and none created", ok, l.Len())
	}
	l.Take("a")
	if ok, _ := l.Peek("a"); !ok {
		t.Fatal("peek after one take of two: refused")
	}
	l.Take("a")
	l.Take("a") // nothing left to take: no effect, no refusal counted
	ok, wait := l.Peek("a")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("peek of an empty bucket: ok %v, wait %v; want refused, 500ms", ok, wait)
	}
	if ok, _ := l.Peek("a"); ok {
		t.Fatal("peeking took nothing, yet the bucket refilled")
	}
	if n := refused.Load(); n != 2 {
		t.Fatalf("%d refusals counted, want 2 (one per refused peek)", n)
	}
	if ok, _ := l.Peek("b"); !ok {
		t.Fatal("another key: refused")
	}
	clock.Advance(500 * time.Millisecond)
	if ok, _ := l.Peek("a"); !ok {
		t.Fatal("after the wait: refused")
	}
}
