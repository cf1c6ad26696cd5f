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
		{"AssertionHandshake", testAssertionHandshake},
	}
}

// An authentication's finish reads its handshake, by ID or by challenge,
// with the asserted credential's device and user: the credential only when
// it is the app's, the handshake never consumed, an expired or unknown
// handshake not found whatever the credential.
func testAssertionHandshake(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	other := newWorld(t, s) // another app, with a device of its own
	h := mustCreateHandshake(t, s, newHandshake(w.App.ID, "", ""))
	now := odd(0)
	for _, key := range []storage.HandshakeKey{{ID: h.ID}, {Challenge: h.Challenge}} {
		got, cred, err := s.GetAssertionHandshake(ctx, w.App.ID, key, w.Device.CredentialID, now)
		mustOK(t, err, "get assertion handshake")
		checkSame(t, "Handshake", got, h)
		if cred == nil {
			t.Fatalf("%+v: no credential for the app's device", key)
		}
		checkSame(t, "Device", cred.Device, w.Device)
		checkSame(t, "User", cred.User, w.User)

		for name, credentialID := range map[string][]byte{
			"unknown credential": storage.RandomBytes(32), "another app's credential": other.Device.CredentialID, "no credential": nil,
		} {
			got, cred, err := s.GetAssertionHandshake(ctx, w.App.ID, key, credentialID, now)
			mustOK(t, err, "get assertion handshake with "+name)
			checkSame(t, "Handshake with "+name, got, h)
			if cred != nil {
				t.Errorf("%+v: %s found %+v", key, name, cred.Device)
			}
		}
		_, _, err = s.GetAssertionHandshake(ctx, w.App.ID, key, w.Device.CredentialID, h.ExpiresAt)
		requireNotFound(t, err, "expired handshake")
		_, _, err = s.GetAssertionHandshake(ctx, other.App.ID, key, other.Device.CredentialID, now)
		requireNotFound(t, err, "handshake of another app")
	}
	for _, key := range []storage.HandshakeKey{{ID: storage.NewID()}, {Challenge: "unknown"}} {
		_, _, err := s.GetAssertionHandshake(ctx, w.App.ID, key, w.Device.CredentialID, now)
		requireNotFound(t, err, "unknown handshake")
	}
	got, err := s.ConsumeHandshake(ctx, w.App.ID, h.ID, now)
	mustOK(t, err, "consume the handshake read")
	checkSame(t, "ConsumeHandshake", got, h)
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
