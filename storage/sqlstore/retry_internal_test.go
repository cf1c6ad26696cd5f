package sqlstore

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

var errSerialization = &pq.Error{Code: pqerror.TRSerializationFailure, Message: "could not serialize access"}

// A retry whose next sleep would end after the context's deadline gives
// up at once with the failure, instead of sleeping into the deadline.
func TestRetryStopsBeforeDeadline(t *testing.T) {
	s := &Store{retries: new(atomic.Uint64), backoff: func(int) time.Duration { return time.Minute }}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	runs := 0
	start := time.Now()
	err := s.retry(ctx, func() error {
		runs++
		return errSerialization
	})
	if took := time.Since(start); took > time.Second {
		t.Errorf("retry returned after %s; want at once, its next sleep ending past the deadline", took)
	}
	if !errors.Is(err, errSerialization) || runs != 1 {
		t.Errorf("got %v after %d runs, want the serialization failure after 1", err, runs)
	}
}

// Without a deadline, a serialization failure is run again up to
// retryAttempts times; anything else is returned at once.
func TestRetryBounded(t *testing.T) {
	s := &Store{retries: new(atomic.Uint64), backoff: func(int) time.Duration { return time.Microsecond }}
	for _, tc := range []struct {
		name string
		err  error
		runs int
	}{
		{"serialization failure", errSerialization, retryAttempts},
		{"deadlock", &pq.Error{Code: pqerror.TRDeadlockDetected}, retryAttempts},
		{"other", &pq.Error{Code: pqerror.UniqueViolation}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs := 0
			err := s.retry(t.Context(), func() error {
				runs++
				return tc.err
			})
			if !errors.Is(err, tc.err) || runs != tc.runs {
				t.Errorf("got %v after %d runs, want %v after %d", err, runs, tc.err, tc.runs)
			}
		})
	}
}

// The backoff grows and stays within its cap.
func TestRetryBackoff(t *testing.T) {
	for n := 1; n <= 40; n++ {
		ceiling := min(retryCap, retryBase<<min(n-1, 16))
		for range 100 {
			if d := retryBackoff(n); d < 0 || d > ceiling {
				t.Fatalf("backoff %d: %s, want within [0, %s]", n, d, ceiling)
			}
		}
	}
}

// A server without LISTEN (CockroachDB) has no change feed: the cache then
// relies on its TTL instead of failing to start.
func TestListenUnsupported(t *testing.T) {
	for _, tc := range []struct {
		err         error
		unsupported bool
	}{
		{&pq.Error{Code: pqerror.FeatureNotSupported, Message: "unimplemented: LISTEN"}, true},
		{&pq.Error{Code: pqerror.InsufficientPrivilege}, false},
	} {
		if got := errors.Is(listenError(tc.err), errors.ErrUnsupported); got != tc.unsupported {
			t.Errorf("%v: unsupported %v, want %v", tc.err, got, tc.unsupported)
		}
	}
}
