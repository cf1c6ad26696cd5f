package storagetest

import (
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
	}
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
	req := w.doneAuthRequest(t, s)
	c := mustCreateAuthCode(t, s, newAuthCode(req.ID))
	neighbour := mustCreateAuthCode(t, s, newAuthCode(req.ID))
	_, err := s.ConsumeAuthCode(ctx, c.Hash, odd(0))
	mustOK(t, err, "consume auth code")
	_, err = s.ConsumeAuthCode(ctx, c.Hash, odd(0))
	requireNotFound(t, err, "consume auth code twice")
	_, err = s.ConsumeAuthCode(ctx, storage.HashSecret("unknown"), odd(0))
	requireNotFound(t, err, "consume unknown auth code")
	got, err := s.ConsumeAuthCode(ctx, neighbour.Hash, odd(0))
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
