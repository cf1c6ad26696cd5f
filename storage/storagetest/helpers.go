package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// errCallback is what update callbacks return to abort; the store must hand
// it back unchanged.
var errCallback = errors.New("storagetest: callback refused")

// base is the instant every test clock starts from. It is microsecond-aligned
// so that expiry boundaries computed from it are exact in every engine.
func base() time.Time {
	return time.Date(2031, time.March, 14, 15, 9, 26, 535897000, time.UTC)
}

// at is base+d: a microsecond-aligned "now" for expiry decisions.
func at(d time.Duration) time.Time {
	return base().Add(d)
}

// odd is base+d written the way a careless caller might: in a zone that is not
// UTC and with nanoseconds the store has to round (789 ns rounds up, so a
// truncating engine is caught too).
func odd(d time.Duration) time.Time {
	return base().Add(d + 123456789*time.Nanosecond).In(time.FixedZone("X", 5*3600+1800))
}

func mustOK(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func requireErrorIs(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func requireNotFound(t *testing.T, err error, what string) {
	t.Helper()
	requireErrorIs(t, err, storage.ErrNotFound, what)
}

func requireAlreadyExists(t *testing.T, err error, what string) {
	t.Helper()
	requireErrorIs(t, err, storage.ErrAlreadyExists, what)
}

// requireUpdateNotFound checks that an update of a row that is not there
// reports ErrNotFound without calling the callback.
func requireUpdateNotFound[T any](t *testing.T, what string, update func(fn func(T) (T, error)) (T, error)) {
	t.Helper()
	calls := 0
	_, err := update(func(v T) (T, error) {
		calls++
		return v, errCallback
	})
	requireNotFound(t, err, what)
	if calls != 0 {
		t.Errorf("%s: callback called %d times for a missing row", what, calls)
	}
}

// requireUpdateRefused checks that an update whose callback fails returns the
// callback's error and leaves the row as get reads it unchanged. The callback
// changes the row before failing, so a store that writes it anyway is caught.
func requireUpdateRefused[T any](t *testing.T, what string, want T, change func(T) T,
	update func(fn func(T) (T, error)) (T, error), get func() (T, error),
) {
	t.Helper()
	calls := 0
	_, err := update(func(v T) (T, error) {
		calls++
		checkSame(t, what+" callback input", v, want)
		return change(v), errCallback
	})
	requireErrorIs(t, err, errCallback, what)
	if calls != 1 {
		t.Errorf("%s: callback called %d times, want 1", what, calls)
	}
	got, err := get()
	mustOK(t, err, what+": get after refused update")
	checkSame(t, what+" after refused update", got, want)
}

// requireUpdated checks a successful update: the callback sees the current
// row once, and both the returned row and a fresh read equal what it wrote.
func requireUpdated[T any](t *testing.T, what string, current T, change func(T) T,
	update func(fn func(T) (T, error)) (T, error), get func() (T, error),
) T {
	t.Helper()
	calls := 0
	var want T
	got, err := update(func(v T) (T, error) {
		calls++
		checkSame(t, what+" callback input", v, current)
		want = change(v)
		return want, nil
	})
	mustOK(t, err, what)
	if calls != 1 {
		t.Errorf("%s: callback called %d times, want 1", what, calls)
	}
	checkSame(t, what+" result", got, want)
	read, err := get()
	mustOK(t, err, what+": get after update")
	checkSame(t, what+" after update", read, want)
	return want
}
