package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// signInTests cover the writes that sign a user in: StartSession,
// CompleteAuthRequest and IssueTokens.
func signInTests() []test {
	return []test{
		{"StartSession", testStartSession},
		{"StartSessionAlone", testStartSessionAlone},
		{"StartSessionWithCode", testStartSessionWithCode},
		{"StartSessionInactiveUser", testStartSessionInactiveUser},
		{"StartSessionCompletedRequest", testStartSessionCompletedRequest},
		{"StartSessionTakenHash", testStartSessionTakenHash},
		{"StartSessionReplacesOwnAppOnly", testStartSessionReplacesOwnAppOnly},
		{"StartSessionWaitsForDeactivation", testStartSessionWaitsForDeactivation},
		{"RaceStartSession", testRaceStartSession},
		{"CompleteAuthRequest", testCompleteAuthRequest},
		{"RaceCompleteAuthRequest", testRaceCompleteAuthRequest},
		{"IssueTokens", testIssueTokens},
		{"IssueTokensRedeemsCode", testIssueTokensRedeemsCode},
		{"IssueTokensRefusedCode", testIssueTokensRefusedCode},
		{"IssueTokensInactiveUser", testIssueTokensInactiveUser},
		{"IssueTokensWithoutUser", testIssueTokensWithoutUser},
		{"IssueTokensWaitsForDeactivation", testIssueTokensWaitsForDeactivation},
		{"RaceIssueTokens", testRaceIssueTokens},
	}
}

// activeWorld is newWorld with its user active, as a sign-in needs it.
func activeWorld(t *testing.T, s storage.Store) world {
	t.Helper()
	w := newWorld(t, s)
	w.User = setUserStatus(t, s, w.User, storage.UserActive)
	return w
}

func setUserStatus(t *testing.T, s storage.Store, u storage.User, status string) storage.User {
	t.Helper()
	u, err := s.UpdateUser(t.Context(), u.AppID, u.ID, func(u storage.User) (storage.User, error) {
		u.Status = status
		return u, nil
	})
	mustOK(t, err, "set user status")
	return u
}

// doneBy is auth request r as a sign-in with session se leaves it.
func doneBy(r storage.AuthRequest, se storage.Session) storage.AuthRequest {
	r.Done = true
	r.UserID, r.Subject, r.DeviceID, r.SessionID = se.UserID, se.Subject, se.DeviceID, se.ID
	r.AuthTime, r.AMR, r.ACR = se.AuthTime, se.AMR, se.ACR
	return r
}

// requireAuthRequest checks that auth request want is stored as it is.
func requireAuthRequest(t *testing.T, s storage.Store, want storage.AuthRequest, what string) {
	t.Helper()
	got, err := s.GetAuthRequest(t.Context(), want.ID, odd(0))
	mustOK(t, err, what)
	checkSame(t, what, got, want)
}

// requireNoSession checks that session id was not stored.
func requireNoSession(t *testing.T, s storage.Store, id, what string) {
	t.Helper()
	_, err := s.GetSession(t.Context(), id)
	requireNotFound(t, err, what)
}

func testStartSession(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := activeWorld(t, s)
	r := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	neighbour := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	other := mustCreateSession(t, s, w.App.ID, w.User.ID, w.Device.ID)
	se := newSession(w.App.ID, w.User.ID, w.Device.ID)
	mustOK(t, s.StartSession(ctx, storage.SessionStart{Session: se, Replaces: w.Session.Hash, AuthRequestID: r.ID}),
		"start session")
	got, err := s.GetSession(ctx, se.ID)
	mustOK(t, err, "get started session")
	checkSame(t, "started Session", got, se)
	requireNoSession(t, s, w.Session.ID, "get replaced session")
	got, err = s.GetSession(ctx, other.ID)
	mustOK(t, err, "get another session of the user")
	checkSame(t, "untouched Session", got, other)
	requireAuthRequest(t, s, doneBy(r, se), "completed AuthRequest")
	requireAuthRequest(t, s, neighbour, "untouched AuthRequest")
}

// A sign-in that answers its auth request at once stores the code with the
// session; a refused one stores no code.
func testStartSessionWithCode(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := activeWorld(t, s)
	r := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	se := newSession(w.App.ID, w.User.ID, w.Device.ID)
	c := newAuthCode(r.ID)
	mustOK(t, s.StartSession(ctx, storage.SessionStart{Session: se, AuthRequestID: r.ID, Code: &c}),
		"start session with a code")
	requireAuthRequest(t, s, doneBy(r, se), "completed AuthRequest")
	got, err := s.ConsumeAuthCode(ctx, c.Hash, odd(0))
	mustOK(t, err, "consume the sign-in's code")
	checkSame(t, "AuthCode", got, c)

	// The request is done now: a second sign-in is refused, with no code.
	again := newSession(w.App.ID, w.User.ID, w.Device.ID)
	c2 := newAuthCode(r.ID)
	err = s.StartSession(ctx, storage.SessionStart{Session: again, AuthRequestID: r.ID, Code: &c2})
	requireErrorIs(t, err, storage.ErrConflict, "start a second session for the request")
	_, err = s.ConsumeAuthCode(ctx, c2.Hash, odd(0))
	requireNotFound(t, err, "consume the refused sign-in's code")

	// An inactive user: nothing written, no code.
	pending := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	setUserStatus(t, s, w.User, storage.UserInactive)
	c3 := newAuthCode(pending.ID)
	err = s.StartSession(ctx, storage.SessionStart{Session: newSession(w.App.ID, w.User.ID, w.Device.ID),
		AuthRequestID: pending.ID, Code: &c3})
	requireErrorIs(t, err, storage.ErrUserInactive, "start session of an inactive user with a code")
	_, err = s.ConsumeAuthCode(ctx, c3.Hash, odd(0))
	requireNotFound(t, err, "consume the inactive user's code")
	requireAuthRequest(t, s, pending, "untouched AuthRequest")
}

// The provider's own pages start sessions that complete no auth request
// and, in a browser without one, replace none.
func testStartSessionAlone(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := activeWorld(t, s)
	se := newSession(w.App.ID, w.User.ID, "")
	mustOK(t, s.StartSession(ctx, storage.SessionStart{Session: se}), "start session")
	got, err := s.GetSessionByHash(ctx, se.Hash, odd(0))
	mustOK(t, err, "get started session")
	checkSame(t, "started Session", got, se)
	got, err = s.GetSession(ctx, w.Session.ID)
	mustOK(t, err, "get the session of before")
	checkSame(t, "untouched Session", got, w.Session)
}

// An inactive or deleted user gets no session, and nothing else is
// written: the old session stays, the auth request stays pending.
func testStartSessionInactiveUser(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s) // its user is inactive
	r := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	for name, userID := range map[string]string{"inactive": w.User.ID, "unknown": storage.NewID()} {
		se := newSession(w.App.ID, userID, "")
		err := s.StartSession(ctx, storage.SessionStart{Session: se, Replaces: w.Session.Hash, AuthRequestID: r.ID})
		requireErrorIs(t, err, storage.ErrUserInactive, "start session of an "+name+" user")
		requireNoSession(t, s, se.ID, "get the refused session")
	}
	got, err := s.GetSession(ctx, w.Session.ID)
	mustOK(t, err, "get the session a refused one would have replaced")
	checkSame(t, "untouched Session", got, w.Session)
	requireAuthRequest(t, s, r, "untouched AuthRequest")
}

// A request completed already (or gone) gets no second session.
func testStartSessionCompletedRequest(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := activeWorld(t, s)
	done := w.doneAuthRequest(t, s)
	for name, id := range map[string]string{"completed": done.ID, "unknown": storage.NewID()} {
		se := newSession(w.App.ID, w.User.ID, w.Device.ID)
		err := s.StartSession(ctx, storage.SessionStart{Session: se, Replaces: w.Session.Hash, AuthRequestID: id})
		requireErrorIs(t, err, storage.ErrConflict, "start session for a "+name+" auth request")
		requireNoSession(t, s, se.ID, "get the refused session")
	}
	got, err := s.GetSession(ctx, w.Session.ID)
	mustOK(t, err, "get the session a refused one would have replaced")
	checkSame(t, "untouched Session", got, w.Session)
	requireAuthRequest(t, s, done, "untouched AuthRequest")
}

// A session that cannot be stored completes nothing and replaces nothing.
func testStartSessionTakenHash(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := activeWorld(t, s)
	r := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	taken := mustCreateSession(t, s, w.App.ID, w.User.ID, w.Device.ID)
	se := newSession(w.App.ID, w.User.ID, w.Device.ID)
	se.Hash = taken.Hash
	err := s.StartSession(ctx, storage.SessionStart{Session: se, Replaces: w.Session.Hash, AuthRequestID: r.ID})
	requireAlreadyExists(t, err, "start session with a taken cookie digest")
	requireNoSession(t, s, se.ID, "get the refused session")
	got, err := s.GetSession(ctx, w.Session.ID)
	mustOK(t, err, "get the session a refused one would have replaced")
	checkSame(t, "untouched Session", got, w.Session)
	requireAuthRequest(t, s, r, "untouched AuthRequest")
}

// Replaces names a session of the new session's app only.
func testStartSessionReplacesOwnAppOnly(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := activeWorld(t, s)
	stranger := newWorld(t, s)
	se := newSession(w.App.ID, w.User.ID, w.Device.ID)
	mustOK(t, s.StartSession(ctx, storage.SessionStart{Session: se, Replaces: stranger.Session.Hash}), "start session")
	got, err := s.GetSession(ctx, stranger.Session.ID)
	mustOK(t, err, "get another app's session")
	checkSame(t, "untouched Session", got, stranger.Session)
}

// deactivateHeld deactivates u in a transaction that stays open until the
// returned release is called; release returns the transaction's error.
func deactivateHeld(t *testing.T, s storage.Store, u storage.User) (release func() error) {
	t.Helper()
	ctx := t.Context()
	locked, done := make(chan struct{}), make(chan struct{})
	result := make(chan error, 1)
	go func() {
		result <- s.InTx(ctx, func(tx storage.Store) error {
			_, err := tx.UpdateUser(ctx, u.AppID, u.ID, func(u storage.User) (storage.User, error) {
				u.Status = storage.UserInactive
				return u, nil
			})
			close(locked)
			<-done
			return err
		})
	}()
	<-locked
	return func() error {
		close(done)
		return <-result
	}
}

// requireWaits checks that call does not return while a deactivation of
// its user is uncommitted, and then returns ErrUserInactive.
func requireWaits(t *testing.T, what string, release func() error, call func() error) {
	t.Helper()
	returned := make(chan error, 1)
	go func() { returned <- call() }()
	select {
	case err := <-returned:
		mustOK(t, release(), "deactivation")
		t.Fatalf("%s returned (%v) while a deactivation of its user was uncommitted; want it to wait", what, err)
	case <-time.After(300 * time.Millisecond):
	}
	mustOK(t, release(), "deactivation")
	requireErrorIs(t, <-returned, storage.ErrUserInactive, what+" after the deactivation")
}

// A session started while its user is being deactivated waits for the
// deactivation, and then is not stored.
func testStartSessionWaitsForDeactivation(t *testing.T, s storage.Store) {
	w := activeWorld(t, s)
	r := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	se := newSession(w.App.ID, w.User.ID, w.Device.ID)
	requireWaits(t, "StartSession", deactivateHeld(t, s, w.User), func() error {
		return s.StartSession(t.Context(), storage.SessionStart{Session: se, AuthRequestID: r.ID})
	})
	requireNoSession(t, s, se.ID, "get the refused session")
	requireAuthRequest(t, s, r, "untouched AuthRequest")
}

// Of concurrent sign-ins completing one auth request, one stores its
// session and completes the request; the others store nothing.
func testRaceStartSession(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := activeWorld(t, s)
	r := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	const n = 20
	sessions := make([]storage.Session, n)
	for i := range sessions {
		sessions[i] = newSession(w.App.ID, w.User.ID, w.Device.ID)
	}
	errs := race(n, func(i int) error {
		return s.StartSession(ctx, storage.SessionStart{Session: sessions[i], AuthRequestID: r.ID})
	})
	requireOneWinnerOf(t, "StartSession", errs, storage.ErrConflict)
	for i, err := range errs {
		if err == nil {
			requireAuthRequest(t, s, doneBy(r, sessions[i]), "AuthRequest completed by the winner")
			continue
		}
		requireNoSession(t, s, sessions[i].ID, "get a loser's session")
	}
}

func testCompleteAuthRequest(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := activeWorld(t, s)
	r := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	neighbour := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	mustOK(t, s.CompleteAuthRequest(ctx, r.ID, w.Session), "complete auth request")
	requireAuthRequest(t, s, doneBy(r, w.Session), "completed AuthRequest")

	later := newSession(w.App.ID, w.User.ID, w.Device.ID)
	mustOK(t, s.CreateSession(ctx, later), "create session")
	err := s.CompleteAuthRequest(ctx, r.ID, later)
	requireErrorIs(t, err, storage.ErrConflict, "complete a completed auth request")
	requireAuthRequest(t, s, doneBy(r, w.Session), "AuthRequest completed once")
	requireNotFound(t, s.CompleteAuthRequest(ctx, storage.NewID(), w.Session), "complete an unknown auth request")
	requireAuthRequest(t, s, neighbour, "untouched AuthRequest")
}

func testRaceCompleteAuthRequest(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := activeWorld(t, s)
	r := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	errs := race(30, func(int) error { return s.CompleteAuthRequest(ctx, r.ID, w.Session) })
	requireOneWinnerOf(t, "CompleteAuthRequest", errs, storage.ErrConflict)
}
