package httpapi_test

import (
	"fmt"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/provider/internal/apitest"
)

// newFakeClock returns a clock the test moves by hand.
func newFakeClock() *apitest.Clock {
	return apitest.NewClockAt(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}

func newLimiter(t *testing.T, cfg httpapi.RateLimiterConfig) *httpapi.RateLimiter {
	t.Helper()
	l, err := httpapi.NewRateLimiter(cfg)
	if err != nil {
		t.Fatalf("new limiter: %v", err)
	}
	return l
}

// limitedEngine serves GET /x behind RateLimit, keyed by the X-Client
// header (no header: not limited), and counts the requests served.
func limitedEngine(t *testing.T, l *httpapi.RateLimiter) (http.Handler, *atomic.Int64) {
	t.Helper()
	r, _ := newEngine(t, 0)
	var served atomic.Int64
	key := func(c *gin.Context) string { return c.GetHeader("X-Client") }
	r.GET("/x", httpapi.RateLimit(l, key), func(c *gin.Context) {
		served.Add(1)
		c.Status(http.StatusNoContent)
	})
	return r, &served
}

func TestRateLimit(t *testing.T) {
	clock := newFakeClock()
	var refused atomic.Int64
	l := newLimiter(t, httpapi.RateLimiterConfig{Rate: 1, Burst: 3, Now: clock.Now, Refused: func() { refused.Add(1) }})
	h, served := limitedEngine(t, l)
	call := func(client string) response {
		t.Helper()
		var header map[string]string
		if client != "" {
			header = map[string]string{"X-Client": client}
		}
		return do(t, h, "GET", "/x", nil, header)
	}
	allowed := func(client string) {
		t.Helper()
		if res := call(client); res.Status != http.StatusNoContent {
			t.Fatalf("client %q: got %d %q, want the request served", client, res.Status, res.Code)
		}
	}
	limited := func(client, retryAfter string) {
		t.Helper()
		res := call(client)
		if res.Status != http.StatusTooManyRequests || res.Code != "rate_limited" || res.Error != "too many requests; retry later" {
			t.Fatalf("client %q: got %d %q %q, want 429 rate_limited", client, res.Status, res.Code, res.Error)
		}
		if got := res.Header.Get("Retry-After"); got != retryAfter {
			t.Fatalf("client %q: Retry-After %q, want %q", client, got, retryAfter)
		}
	}

	// The burst passes, the next request is refused and takes nothing.
	for range 3 {
		allowed("a")
	}
	limited("a", "1")
	limited("a", "1")
	// Another client has a bucket of its own.
	for range 3 {
		allowed("b")
	}
	limited("b", "1")
	// Half a token is not enough; the wait is rounded up to a whole second.
	clock.Advance(500 * time.Millisecond)
	limited("a", "1")
	// One second after the burst, one token is back.
	clock.Advance(500 * time.Millisecond)
	allowed("a")
	limited("a", "1")
	// A long pause refills the bucket to the burst, no further.
	clock.Advance(time.Hour)
	for range 3 {
		allowed("a")
	}
	limited("a", "1")
	// A request without a key is not limited.
	for range 10 {
		allowed("")
	}

	if got := served.Load(); got != 3+3+1+3+10 {
		t.Fatalf("handler ran %d times; refused requests must not reach it", got)
	}
	if got := refused.Load(); got != 6 {
		t.Fatalf("Refused called %d times, want 6", got)
	}
}

func TestRateLimitRetryAfter(t *testing.T) {
	clock := newFakeClock()
	// One request per 4 seconds.
	l := newLimiter(t, httpapi.RateLimiterConfig{Rate: 0.25, Burst: 1, Now: clock.Now})
	h, _ := limitedEngine(t, l)
	header := map[string]string{"X-Client": "slow"}
	if res := do(t, h, "GET", "/x", nil, header); res.Status != http.StatusNoContent {
		t.Fatalf("first request: %d", res.Status)
	}
	for _, step := range []struct {
		advance time.Duration
		want    string
	}{
		{0, "4"},
		{1500 * time.Millisecond, "3"}, // 2.5 s to go
		{2 * time.Second, "1"},         // 0.5 s to go
	} {
		clock.Advance(step.advance)
		res := do(t, h, "GET", "/x", nil, header)
		if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") != step.want {
			t.Fatalf("after %v more: got %d, Retry-After %q; want 429, %q", step.advance, res.Status, res.Header.Get("Retry-After"), step.want)
		}
	}
	clock.Advance(500 * time.Millisecond)
	if res := do(t, h, "GET", "/x", nil, header); res.Status != http.StatusNoContent {
		t.Fatalf("after the wait: %d", res.Status)
	}
}

// Concurrent requests of one key share one bucket: exactly the burst passes.
func TestRateLimiterConcurrent(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(t, httpapi.RateLimiterConfig{Rate: 1, Burst: 10, Now: clock.Now})
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if ok, _ := l.Allow("one"); ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 10 {
		t.Fatalf("%d requests allowed, want the burst of 10", got)
	}
}

func TestRateLimiterEvictsLeastRecentlyUsed(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(t, httpapi.RateLimiterConfig{Rate: 1, Burst: 2, MaxKeys: 4, Now: clock.Now})
	allow := func(key string) bool {
		ok, _ := l.Allow(key)
		return ok
	}
	// "hot" spends its burst.
	for i, want := range []bool{true, true, false} {
		if got := allow("hot"); got != want {
			t.Fatalf("hot, request %d: allowed = %v, want %v", i+1, got, want)
		}
	}
	for _, k := range []string{"k0", "k1", "k2"} {
		allow(k)
	}
	if got := l.Len(); got != 4 {
		t.Fatalf("Len = %d, want 4", got)
	}
	// Used again, "hot" is the most recent; the next new key pushes out
	// the least recent (k0), not "hot", which stays refused.
	if allow("hot") {
		t.Fatal("hot: allowed with an empty bucket")
	}
	allow("k3")
	if got := l.Len(); got != 4 {
		t.Fatalf("Len = %d after a fifth key, want 4", got)
	}
	if allow("hot") {
		t.Fatal("hot lost its bucket to a newer key")
	}
	// A spray of addresses never grows the table past its bound.
	for i := range 1000 {
		allow(fmt.Sprintf("spray-%d", i))
		if got := l.Len(); got > 4 {
			t.Fatalf("Len = %d after %d keys, want at most 4", got, i+1)
		}
	}
	// The price of the bound: "hot" was pushed out and starts afresh.
	if !allow("hot") {
		t.Fatal("hot: still refused after it was evicted")
	}
}

func TestRateLimiterDropsRefilledBuckets(t *testing.T) {
	clock := newFakeClock()
	// A bucket of 2 at 1 per second is full again 2 s after its last use.
	l := newLimiter(t, httpapi.RateLimiterConfig{Rate: 1, Burst: 2, Now: clock.Now})
	for i := range 10 {
		l.Allow(fmt.Sprintf("k%d", i))
	}
	clock.Advance(time.Second)
	l.Allow("fresh")
	if got := l.Len(); got != 11 {
		t.Fatalf("Len = %d one second on, want 11: none has refilled", got)
	}
	clock.Advance(time.Second)
	l.Allow("fresher")
	if got := l.Len(); got != 2 {
		t.Fatalf("Len = %d two seconds on, want 2: the ten refilled buckets are dropped", got)
	}
}

func TestNewRateLimiterValidates(t *testing.T) {
	for name, cfg := range map[string]httpapi.RateLimiterConfig{
		"zero rate":         {Rate: 0, Burst: 1},
		"negative rate":     {Rate: -1, Burst: 1},
		"NaN rate":          {Rate: math.NaN(), Burst: 1},
		"infinite rate":     {Rate: math.Inf(1), Burst: 1},
		"zero burst":        {Rate: 1, Burst: 0},
		"negative max keys": {Rate: 1, Burst: 1, MaxKeys: -1},
		"negative burst":    {Rate: 1, Burst: -5},
	} {
		if _, err := httpapi.NewRateLimiter(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := httpapi.NewRateLimiter(httpapi.RateLimiterConfig{Rate: 0.001, Burst: 1}); err != nil {
		t.Errorf("a slow rate: %v", err)
	}
}
