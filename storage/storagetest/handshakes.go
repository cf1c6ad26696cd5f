package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func handshakeTests() []test {
	return []test{
		{"RoundTrip", testHandshakeRoundTrip},
		{"GetDoesNotConsume", testHandshakeGetDoesNotConsume},
		{"ConsumeOnce", testHandshakeConsumeOnce},
		{"Expired", testHandshakeExpired},
		{"NotFound", testHandshakeNotFound},
		{"Unique", testHandshakeUnique},
		{"SameChallengeInTwoApps", testHandshakeTwoApps},
	}
}

func testHandshakeRoundTrip(t *testing.T, s storage.Store) {
	w := newWorld(t, s)
	tx := mustCreateTransaction(t, s, w.pendingTransaction())
	discoverable := newHandshake(w.App.ID, "", "")
	discoverable.Flow = storage.FlowStartFinish
	discoverable.Attachment = ""
	register := newHandshake(w.App.ID, tx.ID, w.User.ID)
	register.Kind = storage.KindRegister
	for _, tc := range []struct {
		name      string
		handshake storage.Handshake
	}{
		{"EveryField", register},
		{"Discoverable", discoverable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			h := tc.handshake
			mustCreateHandshake(t, s, h)
			now := odd(0)
			got, err := s.GetHandshake(ctx, w.App.ID, h.ID, now)
			mustOK(t, err, "get handshake")
			checkSame(t, "GetHandshake", got, h)
			got, err = s.GetHandshakeByChallenge(ctx, w.App.ID, h.Challenge, now)
			mustOK(t, err, "get handshake by challenge")
			checkSame(t, "GetHandshakeByChallenge", got, h)
			got, err = s.ConsumeHandshake(ctx, w.App.ID, h.ID, now)
			mustOK(t, err, "consume handshake")
			checkSame(t, "ConsumeHandshake", got, h)
		})
	}
}

func testHandshakeGetDoesNotConsume(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	h := mustCreateHandshake(t, s, newHandshake(w.App.ID, "", w.User.ID))
	now := odd(0)
	for range 2 {
		_, err := s.GetHandshake(ctx, w.App.ID, h.ID, now)
		mustOK(t, err, "get handshake")
		_, err = s.GetHandshakeByChallenge(ctx, w.App.ID, h.Challenge, now)
		mustOK(t, err, "get handshake by challenge")
	}
	got, err := s.ConsumeHandshake(ctx, w.App.ID, h.ID, now)
	mustOK(t, err, "consume handshake after reads")
	checkSame(t, "ConsumeHandshake", got, h)
}

func testHandshakeConsumeOnce(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	h := mustCreateHandshake(t, s, newHandshake(w.App.ID, "", w.User.ID))
	neighbour := mustCreateHandshake(t, s, newHandshake(w.App.ID, "", w.User.ID))
	now := odd(0)
	_, err := s.ConsumeHandshake(ctx, w.App.ID, h.ID, now)
	mustOK(t, err, "consume handshake")
	_, err = s.ConsumeHandshake(ctx, w.App.ID, h.ID, now)
	requireNotFound(t, err, "consume handshake twice")
	_, err = s.GetHandshake(ctx, w.App.ID, h.ID, now)
	requireNotFound(t, err, "get consumed handshake")
	_, err = s.GetHandshakeByChallenge(ctx, w.App.ID, h.Challenge, now)
	requireNotFound(t, err, "get consumed handshake by challenge")

	got, err := s.GetHandshake(ctx, w.App.ID, neighbour.ID, now)
	mustOK(t, err, "get neighbour")
	checkSame(t, "untouched Handshake", got, neighbour)
}

func testHandshakeExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	h := newHandshake(w.App.ID, "", w.User.ID)
	h.CreatedAt = at(0)
	h.ExpiresAt = at(2 * time.Minute)
	mustCreateHandshake(t, s, h)

	for _, now := range []time.Time{at(2 * time.Minute), at(time.Hour)} {
		_, err := s.GetHandshake(ctx, w.App.ID, h.ID, now)
		requireNotFound(t, err, "get expired handshake")
		_, err = s.GetHandshakeByChallenge(ctx, w.App.ID, h.Challenge, now)
		requireNotFound(t, err, "get expired handshake by challenge")
		_, err = s.ConsumeHandshake(ctx, w.App.ID, h.ID, now)
		requireNotFound(t, err, "consume expired handshake")
	}
	// The expired row was left for GC: before its expiry it is still there.
	got, err := s.ConsumeHandshake(ctx, w.App.ID, h.ID, at(2*time.Minute-time.Microsecond))
	mustOK(t, err, "consume handshake just before expiry")
	checkSame(t, "Handshake", got, h)
}

func testHandshakeNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	other := mustCreateApp(t, s)
	h := mustCreateHandshake(t, s, newHandshake(w.App.ID, "", w.User.ID))
	now := odd(0)
	cases := []struct {
		name             string
		appID, id, chall string
	}{
		{"unknown", w.App.ID, storage.NewID(), "unknown-challenge"},
		{"in another app", other.ID, h.ID, h.Challenge},
	}
	for _, tc := range cases {
		_, err := s.GetHandshake(ctx, tc.appID, tc.id, now)
		requireNotFound(t, err, "get handshake "+tc.name)
		_, err = s.GetHandshakeByChallenge(ctx, tc.appID, tc.chall, now)
		requireNotFound(t, err, "get handshake by challenge "+tc.name)
		_, err = s.ConsumeHandshake(ctx, tc.appID, tc.id, now)
		requireNotFound(t, err, "consume handshake "+tc.name)
	}
	got, err := s.ConsumeHandshake(ctx, w.App.ID, h.ID, now)
	mustOK(t, err, "consume handshake after attempts through another app")
	checkSame(t, "Handshake", got, h)
}

func testHandshakeUnique(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	h := mustCreateHandshake(t, s, newHandshake(w.App.ID, "", w.User.ID))
	sameChallenge := newHandshake(w.App.ID, "", "")
	sameChallenge.Challenge = h.Challenge
	requireAlreadyExists(t, s.CreateHandshake(ctx, sameChallenge), "create handshake with a taken challenge")
	sameID := newHandshake(w.App.ID, "", "")
	sameID.ID = h.ID
	requireAlreadyExists(t, s.CreateHandshake(ctx, sameID), "create handshake with a taken id")

	got, err := s.GetHandshakeByChallenge(ctx, w.App.ID, h.Challenge, odd(0))
	mustOK(t, err, "get handshake by challenge")
	checkSame(t, "Handshake", got, h)
}

func testHandshakeTwoApps(t *testing.T, s storage.Store) {
	ctx := t.Context()
	appA := mustCreateApp(t, s)
	appB := mustCreateApp(t, s)
	a := mustCreateHandshake(t, s, newHandshake(appA.ID, "", ""))
	b := newHandshake(appB.ID, "", "")
	b.Challenge = a.Challenge
	b.Session = []byte(`{"other":true}`)
	mustOK(t, s.CreateHandshake(ctx, b), "create handshake with the same challenge in another app")
	for _, want := range []storage.Handshake{a, b} {
		got, err := s.GetHandshakeByChallenge(ctx, want.AppID, want.Challenge, odd(0))
		mustOK(t, err, "get handshake by challenge")
		checkSame(t, "GetHandshakeByChallenge", got, want)
	}
}
