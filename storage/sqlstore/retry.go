package sqlstore

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// A transaction that PostgreSQL aborts for a serialization failure (40001:
// SERIALIZABLE isolation, and every transaction on CockroachDB) or a
// deadlock (40P01) did nothing, and the same work run again usually
// succeeds: the Store runs it again, whole. retry is the one loop that does
// it, around every top-level transaction (inTx) and every statement run
// outside one (run); a statement inside a transaction is never retried
// alone, since the transaction it belonged to is gone.
const (
	// retryAttempts bounds the runs of one transaction or statement. Each
	// failed run lost to a concurrent one that committed, so many
	// contenders for one row need about as many runs as there are of them
	// at once, and the backoff spreads them out.
	retryAttempts = 10
	// The sleep before run n+1 is drawn uniformly from [0, min(retryCap,
	// retryBase·2^(n-1))] (full jitter), so that contenders that failed
	// together do not start again together.
	retryBase = 2 * time.Millisecond
	retryCap  = 250 * time.Millisecond
)

// retryable reports the errors after which running a transaction again
// may succeed: a serialization failure or a deadlock.
func retryable(err error) bool {
	return pq.As(err, pqerror.TRSerializationFailure, pqerror.TRDeadlockDetected) != nil
}

// retryBackoff is the jittered sleep after the n-th failed run (n ≥ 1).
func retryBackoff(n int) time.Duration {
	ceiling := retryCap
	if n <= 16 {
		ceiling = min(retryCap, retryBase<<(n-1))
	}
	return rand.N(ceiling + 1)
}

// retry runs attempt until it returns anything but a serialization failure
// or a deadlock, at most retryAttempts times. It never sleeps past ctx's
// deadline: when the next sleep would end after it, or ctx ends during a
// sleep, it returns the last run's error. attempt must start afresh each
// time (a new transaction).
func (s *Store) retry(ctx context.Context, attempt func() error) error {
	for n := 1; ; n++ {
		err := attempt()
		if err == nil || n == retryAttempts || !retryable(err) {
			return err
		}
		sleep := retryBackoff(n)
		if s.backoff != nil {
			sleep = s.backoff(n)
		}
		if deadline, ok := ctx.Deadline(); ok && time.Now().Add(sleep).After(deadline) {
			return err
		}
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		s.retries.Add(1)
	}
}

// Retries is how many times the Store has run a transaction or a
// statement again after a serialization failure or a deadlock, since it
// was opened.
func (s *Store) Retries() uint64 { return s.retries.Load() }

// txState is what the statements of one transaction share: the first
// serialization failure or deadlock one of them met, which dooms the
// transaction to be run again even if the callback swallowed the error (a
// nested InTx whose failure it tolerates). Such a transaction cannot do
// what it was meant to anyway: PostgreSQL refuses to commit it, CockroachDB
// requires it to start again.
type txState struct {
	mu     sync.Mutex
	doomed error
}

// failure is the serialization failure or deadlock that doomed the
// transaction, or nil.
func (t *txState) failure() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.doomed
}

// driverError maps err as mapError does and, on a Store bound to a
// transaction, notes a serialization failure or deadlock, so that inTx
// runs the transaction again rather than commit what is left of it.
func (s *Store) driverError(err error) error {
	if err != nil && s.txs != nil && retryable(err) {
		s.txs.mu.Lock()
		if s.txs.doomed == nil {
			s.txs.doomed = err
		}
		s.txs.mu.Unlock()
	}
	return mapError(err)
}
