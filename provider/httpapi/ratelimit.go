package httpapi

import (
	"container/list"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// DefaultRateLimitKeys bounds the keys a RateLimiter tracks when its config
// sets no bound. A key costs a few hundred bytes, so the table stays within
// tens of megabytes however many addresses a flood comes from.
const DefaultRateLimitKeys = 100_000

// RateLimiterConfig configures a RateLimiter.
type RateLimiterConfig struct {
	// Rate is how many requests per second a key may make in the long run;
	// it must be positive and finite.
	Rate float64
	// Burst is how many requests a key may make at once; at least 1.
	Burst int
	// MaxKeys bounds the keys tracked; 0 means DefaultRateLimitKeys.
	MaxKeys int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Refused, when set, is called once for every refused request (to count
	// them), outside the limiter's lock.
	Refused func()
}

// RateLimiter keeps a token bucket per key (golang.org/x/time/rate): a key
// may make Burst requests at once and Rate per second after that. Buckets
// live in this process only, so behind a load balancer every instance
// limits on its own; nothing is stored, so a flood never becomes database
// load.
//
// The number of buckets is bounded. A bucket idle long enough to have
// refilled is dropped, since a fresh one behaves the same; when the table is
// still full, the least recently used bucket goes, which is the price of
// bounded memory under a spray of addresses.
type RateLimiter struct {
	limit   rate.Limit
	burst   int
	maxKeys int
	refill  time.Duration // how long an empty bucket takes to fill up
	now     func() time.Time
	refused func()

	mu      sync.Mutex
	buckets map[string]*list.Element // of *bucket
	lru     *list.List               // most recently used first
}

type bucket struct {
	key  string
	lim  *rate.Limiter
	used time.Time // last request, allowed or not
}

// NewRateLimiter returns a limiter for cfg, or an error naming what is
// wrong with it.
func NewRateLimiter(cfg RateLimiterConfig) (*RateLimiter, error) {
	if !(cfg.Rate > 0) || math.IsInf(cfg.Rate, 1) {
		return nil, fmt.Errorf("rate %v: want a positive number of requests per second", cfg.Rate)
	}
	if cfg.Burst < 1 {
		return nil, fmt.Errorf("burst %d: want at least 1", cfg.Burst)
	}
	if cfg.MaxKeys < 0 {
		return nil, errors.New("max keys must not be negative")
	}
	maxKeys := cfg.MaxKeys
	if maxKeys == 0 {
		maxKeys = DefaultRateLimitKeys
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &RateLimiter{
		limit:   rate.Limit(cfg.Rate),
		burst:   cfg.Burst,
		maxKeys: maxKeys,
		refill:  seconds(float64(cfg.Burst) / cfg.Rate),
		now:     now,
		refused: cfg.Refused,
		buckets: make(map[string]*list.Element),
		lru:     list.New(),
	}, nil
}

// Allow takes a token from key's bucket. When the bucket is empty it
// reports false and how long until a token is there; the refused request
// takes nothing.
func (l *RateLimiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	now := l.now()
	lim := l.bucket(key, now)
	ok = lim.AllowN(now, 1)
	if !ok {
		retryAfter = seconds((1 - lim.TokensAt(now)) / float64(l.limit))
	}
	l.mu.Unlock()
	if !ok && l.refused != nil {
		l.refused()
	}
	return ok, retryAfter
}

// Peek reports whether key's bucket holds a token, taking none. When it is
// empty it reports false and how long until a token is there, and counts a
// refused request. A key without a bucket has a full one, and Peek creates
// none: peeking costs no memory.
func (l *RateLimiter) Peek(key string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	ok = true
	if e, found := l.buckets[key]; found {
		now := l.now()
		if tokens := e.Value.(*bucket).lim.TokensAt(now); tokens < 1 {
			ok = false
			retryAfter = seconds((1 - tokens) / float64(l.limit))
		}
	}
	l.mu.Unlock()
	if !ok && l.refused != nil {
		l.refused()
	}
	return ok, retryAfter
}

// Take takes a token from key's bucket if one is there. It refuses nothing:
// it charges for something already done.
func (l *RateLimiter) Take(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.bucket(key, now).AllowN(now, 1)
}

// Len is the number of buckets held.
func (l *RateLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// bucket returns key's limiter, creating it if needed, and marks it used.
// l.mu must be held.
func (l *RateLimiter) bucket(key string, now time.Time) *rate.Limiter {
	if e, ok := l.buckets[key]; ok {
		b := e.Value.(*bucket)
		b.used = now
		l.lru.MoveToFront(e)
		return b.lim
	}
	l.prune(now)
	b := &bucket{key: key, lim: rate.NewLimiter(l.limit, l.burst), used: now}
	l.buckets[key] = l.lru.PushFront(b)
	return b.lim
}

// prune makes room for one more bucket: it drops the buckets that have
// refilled (the least recently used come first, so it stops at the first
// that has not), then, while the table is full, the least recently used.
// l.mu must be held.
func (l *RateLimiter) prune(now time.Time) {
	for e := l.lru.Back(); e != nil; e = l.lru.Back() {
		if now.Sub(e.Value.(*bucket).used) < l.refill && l.lru.Len() < l.maxKeys {
			return
		}
		delete(l.buckets, e.Value.(*bucket).key)
		l.lru.Remove(e)
	}
}

// seconds converts s seconds to a Duration, saturating instead of
// overflowing for the tiny rates that make waits astronomically long.
func seconds(s float64) time.Duration {
	if s >= float64(math.MaxInt64)/float64(time.Second) {
		return math.MaxInt64
	}
	return time.Duration(s * float64(time.Second))
}

var errRateLimited = NewError(http.StatusTooManyRequests, CodeRateLimited, "too many requests; retry later")

// RateLimit refuses a request whose key has no token left with 429
// rate_limited and a Retry-After header (RFC 9110 §10.2.3, whole seconds, at
// least 1). key names whom a request counts against; an empty key exempts
// the request. The refusal goes through Fail, so ErrorWriter must run
// before this middleware.
func RateLimit(l *RateLimiter, key func(*gin.Context) string) gin.HandlerFunc {
	return func(c *gin.Context) {
		k := key(c)
		if k == "" {
			c.Next()
			return
		}
		if ok, wait := l.Allow(k); !ok {
			Fail(c, tooManyRequests(c, wait))
			return
		}
		c.Next()
	}
}

// tooManyRequests sets the headers of a 429 that may be retried after wait
// and returns the error to answer it with.
func tooManyRequests(c *gin.Context, wait time.Duration) error {
	c.Header("Retry-After", strconv.FormatInt(retryAfterSeconds(wait), 10))
	// A browser page must be able to read the refusal (its code and
	// Retry-After) to back off, and the limiter runs before anything knows
	// the app's origins. The answer carries no data and no credentials are
	// allowed, so any origin may read it.
	if origin := c.GetHeader("Origin"); origin != "" {
		c.Header("Access-Control-Allow-Origin", origin)
		c.Header("Access-Control-Expose-Headers", "Retry-After")
		c.Header("Vary", "Origin")
	}
	return errRateLimited
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1: a client
// told 0 would retry at once and be refused again.
func retryAfterSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return max(s, 1)
}
