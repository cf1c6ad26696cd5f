package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func authCodeTests() []test {
	return []test{
		{"RoundTrip", testAuthCodeRoundTrip},
		{"ConsumeOnce", testAuthCodeConsumeOnce},
		{"Expired", testAuthCodeExpired},
		{"DuplicateHash", testAuthCodeDuplicateHash},
		{"OnePerAuthRequest", testAuthCodeOnePerRequest},
		{"WithAnsweredRequest", testAuthCodeWithAnsweredRequest},
	}
}

// An auth request the browser's session satisfied is stored with the code
// that answers it: both or neither.
func testAuthCodeWithAnsweredRequest(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	r := newAuthRequest(w.App.ID, w.Client.ID, w.User.ID, w.Device.ID, w.Session.ID)
	c := newAuthCode(r.ID)
	mustOK(t, s.CreateAnsweredAuthRequest(ctx, r, c), "create answered auth request")
	requireAuthRequest(t, s, r, "answered AuthRequest")

	// A taken ID: refused, and its code is not stored either.
	dup := newAuthRequest(w.App.ID, w.Client.ID, w.User.ID, w.Device.ID, w.Session.ID)
	dup.ID = r.ID
	dupCode := newAuthCode(r.ID)
	requireAlreadyExists(t, s.CreateAnsweredAuthRequest(ctx, dup, dupCode), "create an answered request with a taken id")
	_, err := s.ConsumeAuthCode(ctx, dupCode.Hash, odd(0))
	requireNotFound(t, err, "consume the refused request's code")
	requireAuthRequest(t, s, r, "AuthRequest after a refused duplicate")

	got, err := s.ConsumeAuthCode(ctx, c.Hash, odd(0))
	mustOK(t, err, "consume the answer's code")
	checkSame(t, "AuthCode", got, c)
}

// A code is issued once per auth request: a second one is refused, so a
// request cannot be redeemed twice through two codes.
func testAuthCodeOnePerRequest(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	req := w.doneAuthRequest(t, s)
	c := mustCreateAuthCode(t, s, newAuthCode(req.ID))
	requireAlreadyExists(t, s.CreateAuthCode(ctx, newAuthCode(req.ID)), "create a second code of one auth request")
	got, err := s.ConsumeAuthCode(ctx, c.Hash, odd(0))
	mustOK(t, err, "consume auth code")
	checkSame(t, "AuthCode", got, c)
}

// requireReused checks that err is ErrReused and that the row came back
// with it, so the caller can revoke what the first use granted.
func requireReused[T any](t *testing.T, got T, err error, want T, what string) {
	t.Helper()
	if !errors.Is(err, storage.ErrReused) {
		t.Fatalf("%s: %v, want ErrReused", what, err)
	}
	checkSame(t, what, got, want)
}

func (w world) doneAuthRequest(t *testing.T, s storage.Store) storage.AuthRequest {
	t.Helper()
	return mustCreateAuthRequest(t, s, newAuthRequest(w.App.ID, w.Client.ID, w.User.ID, w.Device.ID, w.Session.ID))
}

func testAuthCodeRoundTrip(t *testing.T, s storage.Store) {
	w := newWorld(t, s)
	c := mustCreateAuthCode(t, s, newAuthCode(w.doneAuthRequest(t, s).ID))
	got, err := s.ConsumeAuthCode(t.Context(), c.Hash, odd(0))
	mustOK(t, err, "consume auth code")
	checkSame(t, "AuthCode", got, c)
}

func testAuthCodeConsumeOnce(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	c := mustCreateAuthCode(t, s, newAuthCode(w.doneAuthRequest(t, s).ID))
	neighbour := mustCreateAuthCode(t, s, newAuthCode(w.doneAuthRequest(t, s).ID))
	_, err := s.ConsumeAuthCode(ctx, c.Hash, odd(0))
	mustOK(t, err, "consume auth code")
	got, err := s.ConsumeAuthCode(ctx, c.Hash, odd(0))
	requireReused(t, got, err, c, "consume auth code twice")
	// Once expired, a used code is forgotten like any other.
	_, err = s.ConsumeAuthCode(ctx, c.Hash, c.ExpiresAt)
	requireNotFound(t, err, "consume a used auth code after its expiry")
	_, err = s.ConsumeAuthCode(ctx, storage.HashSecret("unknown"), odd(0))
	requireNotFound(t, err, "consume unknown auth code")
	got, err = s.ConsumeAuthCode(ctx, neighbour.Hash, odd(0))
	mustOK(t, err, "consume neighbour")
	checkSame(t, "untouched AuthCode", got, neighbour)
}

func testAuthCodeExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	c := newAuthCode(w.doneAuthRequest(t, s).ID)
	c.CreatedAt = at(0)
	c.ExpiresAt = at(time.Minute)
	mustCreateAuthCode(t, s, c)
	for _, now := range []time.Time{at(time.Minute), at(time.Hour)} {
		_, err := s.ConsumeAuthCode(ctx, c.Hash, now)
		requireNotFound(t, err, "consume expired auth code")
	}
	got, err := s.ConsumeAuthCode(ctx, c.Hash, at(time.Minute-time.Microsecond))
	mustOK(t, err, "consume auth code just before expiry")
	checkSame(t, "AuthCode", got, c)
}

func testAuthCodeDuplicateHash(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	req := w.doneAuthRequest(t, s)
	c := mustCreateAuthCode(t, s, newAuthCode(req.ID))
	dup := newAuthCode(w.doneAuthRequest(t, s).ID)
	dup.Hash = c.Hash
	requireAlreadyExists(t, s.CreateAuthCode(ctx, dup), "create auth code with a taken hash")
	got, err := s.ConsumeAuthCode(ctx, c.Hash, odd(0))
	mustOK(t, err, "consume auth code")
	checkSame(t, "AuthCode", got, c)
}
