package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func deadlineTests() []test {
	return []test{
		{"PassedDeadlineIsUnavailable", testPassedDeadline},
	}
}

// testPassedDeadline: a call whose context's deadline has passed (a
// request that waited too long) reports ErrUnavailable, as an unreachable
// database does, so that handlers answer 503 rather than 500; and the store
// serves the next call.
func testPassedDeadline(t *testing.T, s storage.Store) {
	app := newApp()
	mustOK(t, s.CreateApp(t.Context(), app), "create app")
	ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	calls := map[string]func() error{
		"GetUser": func() error { _, err := s.GetUser(ctx, app.ID, storage.NewID()); return err },
		"UpdateUser": func() error {
			_, err := s.UpdateUser(ctx, app.ID, storage.NewID(), func(u storage.User) (storage.User, error) { return u, nil })
			return err
		},
		"InTx": func() error {
			return s.InTx(ctx, func(tx storage.Store) error { _, err := tx.GetUser(ctx, app.ID, storage.NewID()); return err })
		},
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("%s after the deadline: %v, want ErrUnavailable", name, err)
		}
	}
	if _, err := s.GetApp(t.Context(), app.ID); err != nil {
		t.Errorf("get app after the calls that missed their deadline: %v", err)
	}
}
