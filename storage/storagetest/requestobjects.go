package storagetest

import (
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func requestObjectTests() []test {
	return []test{
		{"UseOnce", testRequestObjectUseOnce},
		{"ExpiredMayBeUsedAgain", testRequestObjectExpired},
		{"Concurrent", testRequestObjectConcurrent},
	}
}

func testRequestObjectUseOnce(t *testing.T, s storage.Store) {
	ctx := t.Context()
	h, other := storage.HashSecret("jti-1"), storage.HashSecret("jti-2")
	mustOK(t, s.UseRequestObject(ctx, h, at(0), at(time.Minute)), "use request object")
	requireAlreadyExists(t, s.UseRequestObject(ctx, h, at(30*time.Second), at(time.Hour)), "use a request object again")
	mustOK(t, s.UseRequestObject(ctx, other, at(0), at(time.Minute)), "use another request object")
}

// Once expired, a recorded object is forgotten (GC or not): the object it
// stood for is refused for its expiry anyway.
func testRequestObjectExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	h := storage.HashSecret("jti")
	mustOK(t, s.UseRequestObject(ctx, h, at(0), at(time.Minute)), "use request object")
	mustOK(t, s.UseRequestObject(ctx, h, at(time.Minute), at(2*time.Minute)), "use at the recorded expiry")
	requireAlreadyExists(t, s.UseRequestObject(ctx, h, at(90*time.Second), at(time.Hour)), "use again before the new expiry")
	res, err := s.DeleteExpired(ctx, at(2*time.Minute))
	mustOK(t, err, "delete expired")
	if res.Total() != 1 {
		t.Fatalf("GC removed %v, want the one recorded object", res)
	}
	mustOK(t, s.UseRequestObject(ctx, h, at(3*time.Minute), at(4*time.Minute)), "use after GC")
}

func testRequestObjectConcurrent(t *testing.T, s storage.Store) {
	const n = 30
	errs := make([]error, n)
	var wg sync.WaitGroup
	h := storage.HashSecret("jti-race")
	for i := range n {
		wg.Go(func() { errs[i] = s.UseRequestObject(t.Context(), h, at(0), at(time.Minute)) })
	}
	wg.Wait()
	requireOneWinnerOf(t, "UseRequestObject", errs, storage.ErrAlreadyExists)
}
