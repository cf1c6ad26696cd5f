package storagetest

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func concurrencyTests() []test {
	return []test{
		{"ConsumeNonce", testRaceConsumeNonce},
		{"ConsumeHandshake", testRaceConsumeHandshake},
		{"ConsumeAuthCode", testRaceConsumeAuthCode},
		{"ConsumeRefreshToken", testRaceConsumeRefreshToken},
		{"CompleteTransaction", testRaceCompleteTransaction},
		{"UpdateDevice", testRaceUpdateDevice},
		{"UpdateUser", testRaceUpdateUser},
		{"TouchAPIKey", testRaceTouchAPIKey},
	}
}

// race calls fn from n goroutines released at the same moment and returns
// each call's error.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// requireOneWinner checks that exactly one of the racing single-use calls
// got the row and every other one got ErrNotFound.
func requireOneWinner(t *testing.T, what string, errs []error) {
	t.Helper()
	requireOneWinnerOf(t, what, errs, storage.ErrNotFound)
}

// requireOneWinnerOf is requireOneWinner where every loser gets loss.
func requireOneWinnerOf(t *testing.T, what string, errs []error, loss error) {
	t.Helper()
	wins, lost := 0, 0
	var other []error
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, loss):
			lost++
		default:
			other = append(other, err)
		}
	}
	if wins != 1 || lost != len(errs)-1 {
		t.Errorf("%s by %d callers at once: %d got it, %d got %v, %d failed otherwise; want exactly 1 winner",
			what, len(errs), wins, lost, loss, len(other))
	}
	for i, err := range other {
		if i == 3 {
			t.Errorf("… and %d more", len(other)-3)
			break
		}
		t.Errorf("%s: unexpected error: %v", what, err)
	}
}

// requireNoErrors checks that every racing call succeeded.
func requireNoErrors(t *testing.T, what string, errs []error) {
	t.Helper()
	failed := 0
	for _, err := range errs {
		if err != nil {
			if failed < 3 {
				t.Errorf("%s: %v", what, err)
			}
			failed++
		}
	}
	if failed > 0 {
		t.Fatalf("%s: %d of %d concurrent calls failed", what, failed, len(errs))
	}
}

func testRaceConsumeNonce(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	n := mustCreateNonce(t, s, newNonce(w.App.ID, w.User.ID, w.Device.ID))
	errs := race(100, func(int) error {
		_, err := s.ConsumeNonce(ctx, w.App.ID, n.Hash, odd(0))
		return err
	})
	requireOneWinner(t, "ConsumeNonce", errs)
}

func testRaceConsumeHandshake(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	h := mustCreateHandshake(t, s, newHandshake(w.App.ID, "", w.User.ID))
	errs := race(50, func(int) error {
		_, err := s.ConsumeHandshake(ctx, w.App.ID, h.ID, odd(0))
		return err
	})
	requireOneWinner(t, "ConsumeHandshake", errs)
}

func testRaceConsumeAuthCode(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	c := mustCreateAuthCode(t, s, newAuthCode(w.doneAuthRequest(t, s).ID))
	errs := race(50, func(int) error {
		_, err := s.ConsumeAuthCode(ctx, c.Hash, odd(0))
		return err
	})
	requireOneWinnerOf(t, "ConsumeAuthCode", errs, storage.ErrReused)
}

func testRaceConsumeRefreshToken(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	r := mustCreateRefreshToken(t, s, w.refreshToken())
	mustCreateAccessToken(t, s, w.accessToken(r.ID))
	errs := race(50, func(int) error {
		_, err := s.ConsumeRefreshToken(ctx, r.Hash, odd(0))
		return err
	})
	requireOneWinnerOf(t, "ConsumeRefreshToken", errs, storage.ErrReused)
}

func testRaceCompleteTransaction(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	tx := mustCreateTransaction(t, s, w.pendingTransaction())
	errs := race(50, func(i int) error {
		_, err := s.CompleteTransaction(ctx, w.App.ID, tx.ID, odd(time.Duration(i)*time.Second))
		return err
	})
	requireOneWinner(t, "CompleteTransaction", errs)
}

// testRaceUpdateDevice is the sign-count bump of concurrent logins with one
// credential: every increment must land (no lost update).
func testRaceUpdateDevice(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	d := newDevice(w.App.ID, w.User.ID)
	d.SignCount = 1000
	d.UsageCount = 0
	mustOK(t, s.CreateDevice(ctx, d), "create device")
	const n = 50
	errs := race(n, func(int) error {
		_, err := s.UpdateDevice(ctx, w.App.ID, d.ID, func(d storage.Device) (storage.Device, error) {
			d.SignCount++
			d.UsageCount++
			return d, nil
		})
		return err
	})
	requireNoErrors(t, "UpdateDevice", errs)
	got, err := s.GetDevice(ctx, w.App.ID, d.ID)
	mustOK(t, err, "get device")
	if got.SignCount != d.SignCount+n || got.UsageCount != n {
		t.Errorf("after %d concurrent increments: SignCount %d, UsageCount %d; want %d and %d",
			n, got.SignCount, got.UsageCount, d.SignCount+n, n)
	}
}

func testRaceUpdateUser(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	u := newUser(app.ID)
	u.LoginCount = 0
	mustOK(t, s.CreateUser(ctx, u), "create user")
	const n = 30
	errs := race(n, func(int) error {
		_, err := s.UpdateUser(ctx, app.ID, u.ID, func(u storage.User) (storage.User, error) {
			u.LoginCount++
			return u, nil
		})
		return err
	})
	requireNoErrors(t, "UpdateUser", errs)
	got, err := s.GetUser(ctx, app.ID, u.ID)
	mustOK(t, err, "get user")
	if got.LoginCount != n {
		t.Errorf("after %d concurrent increments: LoginCount %d, want %d", n, got.LoginCount, n)
	}
}

// testRaceTouchAPIKey: concurrent requests with one key record its latest
// use, whatever order their writes land in.
func testRaceTouchAPIKey(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	k := newAPIKey(app.ID)
	k.LastUsedAt = time.Time{}
	mustOK(t, s.CreateAPIKey(ctx, k), "create api key")
	const n = 30
	order := rand.Perm(n)
	errs := race(n, func(i int) error {
		return s.TouchAPIKey(ctx, k.ID, odd(time.Duration(order[i])*time.Second))
	})
	requireNoErrors(t, "TouchAPIKey", errs)
	got, err := s.GetAPIKeyByHash(ctx, k.Hash)
	mustOK(t, err, "get api key")
	want := k
	want.LastUsedAt = odd((n - 1) * time.Second)
	checkSame(t, "APIKey after concurrent touches", got, want)
}
