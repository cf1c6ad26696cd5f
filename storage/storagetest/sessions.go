package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func sessionTests() []test {
	return []test{
		{"RoundTrip", testSessionRoundTrip},
		{"Expired", testSessionExpired},
		{"NotFound", testSessionNotFound},
		{"Unique", testSessionUnique},
		{"Update", testSessionUpdate},
		{"List", testSessionList},
		{"Delete", testSessionDelete},
	}
}

func sessionKey(s storage.Session) (time.Time, string) { return s.CreatedAt, s.ID }

func testSessionRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	got, err := s.GetSession(ctx, w.Session.ID)
	mustOK(t, err, "get session")
	checkSame(t, "GetSession", got, w.Session)
	got, err = s.GetSessionByHash(ctx, w.Session.Hash, odd(0))
	mustOK(t, err, "get session by hash")
	checkSame(t, "GetSessionByHash", got, w.Session)
}

func testSessionExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	ss := newSession(w.App.ID, w.User.ID, w.Device.ID)
	ss.CreatedAt = at(0)
	ss.LastSeenAt = at(0)
	ss.ExpiresAt = at(8 * time.Hour)
	mustOK(t, s.CreateSession(ctx, ss), "create session")
	for _, now := range []time.Time{at(8 * time.Hour), at(9 * time.Hour)} {
		_, err := s.GetSessionByHash(ctx, ss.Hash, now)
		requireNotFound(t, err, "get expired session by hash")
	}
	got, err := s.GetSessionByHash(ctx, ss.Hash, at(8*time.Hour-time.Microsecond))
	mustOK(t, err, "get session by hash just before expiry")
	checkSame(t, "Session", got, ss)
	// GetSession takes no clock: it finds the row whatever its expiry.
	got, err = s.GetSession(ctx, ss.ID)
	mustOK(t, err, "get expired session by id")
	checkSame(t, "Session", got, ss)
}

func testSessionNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	unknown := storage.NewID()
	_, err := s.GetSession(ctx, unknown)
	requireNotFound(t, err, "get unknown session")
	_, err = s.GetSessionByHash(ctx, storage.HashSecret("unknown"), odd(0))
	requireNotFound(t, err, "get session by unknown hash")
	requireUpdateNotFound(t, "update unknown session", func(fn func(storage.Session) (storage.Session, error)) (storage.Session, error) {
		return s.UpdateSession(ctx, unknown, fn)
	})
	requireNotFound(t, s.DeleteSession(ctx, unknown), "delete unknown session")
	got, err := s.GetSession(ctx, w.Session.ID)
	mustOK(t, err, "get session")
	checkSame(t, "Session", got, w.Session)
}

func testSessionUnique(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	sameHash := newSession(w.App.ID, w.User.ID, w.Device.ID)
	sameHash.Hash = w.Session.Hash
	requireAlreadyExists(t, s.CreateSession(ctx, sameHash), "create session with a taken hash")
	sameID := newSession(w.App.ID, w.User.ID, w.Device.ID)
	sameID.ID = w.Session.ID
	requireAlreadyExists(t, s.CreateSession(ctx, sameID), "create session with a taken id")
	got, err := s.GetSessionByHash(ctx, w.Session.Hash, odd(0))
	mustOK(t, err, "get session by hash")
	checkSame(t, "Session", got, w.Session)
}

func testSessionUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	neighbour := mustCreateSession(t, s, w.App.ID, w.User.ID, w.Device.ID)
	update := func(fn func(storage.Session) (storage.Session, error)) (storage.Session, error) {
		return s.UpdateSession(ctx, w.Session.ID, fn)
	}
	get := func() (storage.Session, error) { return s.GetSession(ctx, w.Session.ID) }
	// A step-up ceremony in the same browser: fresher, stronger, longer.
	stepUp := func(ss storage.Session) storage.Session {
		ss.AuthTime = odd(time.Minute)
		ss.AMR = []string{"hwk", "user", "mfa"}
		ss.ACR = "phr"
		ss.LastSeenAt = odd(time.Minute)
		ss.ExpiresAt = odd(9 * time.Hour)
		return ss
	}

	requireUpdateRefused(t, "UpdateSession", w.Session, stepUp, update, get)
	requireUpdated(t, "UpdateSession", w.Session, stepUp, update, get)

	got, err := s.GetSession(ctx, neighbour.ID)
	mustOK(t, err, "get neighbour")
	checkSame(t, "untouched Session", got, neighbour)
}

func testSessionList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	other := newWorld(t, s)
	sibling := mustCreateUser(t, s, w.App.ID)
	sessions := []storage.Session{w.Session}
	for _, h := range []time.Duration{2, 1, 2} {
		ss := newSession(w.App.ID, w.User.ID, w.Device.ID)
		ss.CreatedAt = odd(h * time.Hour)
		mustOK(t, s.CreateSession(ctx, ss), "create session")
		sessions = append(sessions, ss)
	}
	for _, tc := range []struct {
		name string
		app  string
		user string
		want []storage.Session
	}{
		{"user", w.App.ID, w.User.ID, sessions},
		{"user of another app", other.App.ID, other.User.ID, []storage.Session{other.Session}},
		{"user without sessions", w.App.ID, sibling.ID, nil},
		{"user through another app", other.App.ID, w.User.ID, nil},
	} {
		got, err := s.ListSessions(ctx, tc.app, tc.user)
		mustOK(t, err, "list sessions of "+tc.name)
		requireListed(t, "ListSessions of "+tc.name, got, tc.want, sessionKey, false)
	}
}

// testSessionDelete ends a session that tokens and a finished auth request
// still name: end_session must not be refused because of them.
func testSessionDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	kept := mustCreateSession(t, s, w.App.ID, w.User.ID, w.Device.ID)
	w.doneAuthRequest(t, s)
	rt := mustCreateRefreshToken(t, s, w.refreshToken())
	mustCreateAccessToken(t, s, w.accessToken(rt.ID))

	mustOK(t, s.DeleteSession(ctx, w.Session.ID), "delete session")
	_, err := s.GetSession(ctx, w.Session.ID)
	requireNotFound(t, err, "get deleted session")
	_, err = s.GetSessionByHash(ctx, w.Session.Hash, odd(0))
	requireNotFound(t, err, "get deleted session by hash")
	requireNotFound(t, s.DeleteSession(ctx, w.Session.ID), "delete session twice")
	got, err := s.GetSession(ctx, kept.ID)
	mustOK(t, err, "get kept session")
	checkSame(t, "untouched Session", got, kept)
}
