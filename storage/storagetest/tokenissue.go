package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// tokensOf is what a grant of w is issued: an access token and the
// refresh token it names.
func (w world) tokensOf() storage.TokenIssue {
	refresh := w.refreshToken()
	return storage.TokenIssue{Access: w.accessToken(refresh.ID), Refresh: &refresh, Now: odd(0)}
}

// withCode is t issued for code c.
func withCode(t storage.TokenIssue, c storage.AuthCode) storage.TokenIssue {
	t.CodeHash, t.AuthRequestID = c.Hash, c.AuthRequestID
	return t
}

// requireIssued checks that t's tokens are stored as they are.
func requireIssued(t *testing.T, s storage.Store, ti storage.TokenIssue) {
	t.Helper()
	ctx := t.Context()
	a, err := s.GetAccessToken(ctx, ti.Access.ID, odd(0))
	mustOK(t, err, "get issued access token")
	checkSame(t, "issued AccessToken", a, ti.Access)
	if ti.Refresh != nil {
		r, err := s.GetRefreshTokenByHash(ctx, ti.Refresh.Hash, odd(0))
		mustOK(t, err, "get issued refresh token")
		checkSame(t, "issued RefreshToken", r, *ti.Refresh)
	}
}

// requireNotIssued checks that none of t's tokens is stored.
func requireNotIssued(t *testing.T, s storage.Store, ti storage.TokenIssue, what string) {
	t.Helper()
	ctx := t.Context()
	_, err := s.GetAccessToken(ctx, ti.Access.ID, odd(0))
	requireNotFound(t, err, what+": access token")
	if ti.Refresh != nil {
		_, err := s.GetRefreshTokenByHash(ctx, ti.Refresh.Hash, odd(0))
		requireNotFound(t, err, what+": refresh token")
	}
}

// requireCodeUsed checks that code c was redeemed.
func requireCodeUsed(t *testing.T, s storage.Store, c storage.AuthCode, what string) {
	t.Helper()
	got, err := s.ConsumeAuthCode(t.Context(), c.Hash, odd(0))
	requireReused(t, got, err, c, what)
}

func testIssueTokens(t *testing.T, s storage.Store) {
	w := activeWorld(t, s)
	full := w.tokensOf()
	accessOnly := w.tokensOf()
	accessOnly.Access.RefreshTokenID, accessOnly.Refresh = "", nil
	for name, ti := range map[string]storage.TokenIssue{"AccessAndRefresh": full, "AccessOnly": accessOnly} {
		t.Run(name, func(t *testing.T) {
			mustOK(t, s.IssueTokens(t.Context(), ti), "issue tokens")
			requireIssued(t, s, ti)
		})
	}
}

func testIssueTokensRedeemsCode(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := activeWorld(t, s)
	c := mustCreateAuthCode(t, s, newAuthCode(w.doneAuthRequest(t, s).ID))
	neighbour := mustCreateAuthCode(t, s, newAuthCode(w.doneAuthRequest(t, s).ID))
	first := withCode(w.tokensOf(), c)
	mustOK(t, s.IssueTokens(ctx, first), "issue tokens for a code")
	requireIssued(t, s, first)

	again := withCode(w.tokensOf(), c)
	requireErrorIs(t, s.IssueTokens(ctx, again), storage.ErrReused, "issue tokens for a used code")
	requireNotIssued(t, s, again, "tokens of a used code")
	requireCodeUsed(t, s, c, "consume a code tokens were issued for")
	got, err := s.ConsumeAuthCode(ctx, neighbour.Hash, odd(0))
	mustOK(t, err, "consume neighbour")
	checkSame(t, "untouched AuthCode", got, neighbour)
}

// An unknown or expired code, or one of another auth request, issues
// nothing; the other request's code stays unused.
func testIssueTokensRefusedCode(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := activeWorld(t, s)
	expired := newAuthCode(w.doneAuthRequest(t, s).ID)
	expired.CreatedAt, expired.ExpiresAt = at(-2*time.Minute), at(-time.Minute)
	mustCreateAuthCode(t, s, expired)
	unknown := newAuthCode(w.doneAuthRequest(t, s).ID)
	others := mustCreateAuthCode(t, s, newAuthCode(w.doneAuthRequest(t, s).ID))
	misnamed := others
	misnamed.AuthRequestID = expired.AuthRequestID
	for name, c := range map[string]storage.AuthCode{"an unknown": unknown, "an expired": expired, "another request's": misnamed} {
		ti := withCode(w.tokensOf(), c)
		requireNotFound(t, s.IssueTokens(ctx, ti), "issue tokens for "+name+" code")
		requireNotIssued(t, s, ti, "tokens of "+name+" code")
	}
	got, err := s.ConsumeAuthCode(ctx, others.Hash, odd(0))
	mustOK(t, err, "consume the code issued for another request")
	checkSame(t, "untouched AuthCode", got, others)
}

// An inactive or deleted user is issued nothing; a code is redeemed all
// the same, so that it cannot be redeemed once the user is active again.
func testIssueTokensInactiveUser(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s) // its user is inactive
	c := mustCreateAuthCode(t, s, newAuthCode(w.doneAuthRequest(t, s).ID))
	coded := withCode(w.tokensOf(), c)
	requireErrorIs(t, s.IssueTokens(ctx, coded), storage.ErrUserInactive, "issue tokens for an inactive user")
	requireNotIssued(t, s, coded, "tokens of an inactive user")
	requireCodeUsed(t, s, c, "consume the code of an inactive user")

	gone := newWorld(t, s)
	gone.User = setUserStatus(t, s, gone.User, storage.UserActive)
	ti := gone.tokensOf()
	mustOK(t, s.DeleteUser(ctx, gone.App.ID, gone.User.ID), "delete user")
	requireErrorIs(t, s.IssueTokens(ctx, ti), storage.ErrUserInactive, "issue tokens for a deleted user")
	requireNotIssued(t, s, ti, "tokens of a deleted user")
}

// Tokens of no user check none.
func testIssueTokensWithoutUser(t *testing.T, s storage.Store) {
	w := newWorld(t, s)
	ti := w.tokensOf()
	ti.Access.UserID, ti.Refresh.UserID = "", ""
	mustOK(t, s.IssueTokens(t.Context(), ti), "issue tokens of no user")
	requireIssued(t, s, ti)
}

// Tokens issued while their user is being deactivated wait for the
// deactivation, and then are not stored; the code is redeemed.
func testIssueTokensWaitsForDeactivation(t *testing.T, s storage.Store) {
	w := activeWorld(t, s)
	c := mustCreateAuthCode(t, s, newAuthCode(w.doneAuthRequest(t, s).ID))
	ti := withCode(w.tokensOf(), c)
	requireWaits(t, "IssueTokens", deactivateHeld(t, s, w.User), func() error {
		return s.IssueTokens(t.Context(), ti)
	})
	requireNotIssued(t, s, ti, "tokens issued during a deactivation")
	requireCodeUsed(t, s, c, "consume the code")
}

// Of concurrent redemptions of one code, one is issued tokens; the others
// are told the code was used and are issued nothing.
func testRaceIssueTokens(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := activeWorld(t, s)
	c := mustCreateAuthCode(t, s, newAuthCode(w.doneAuthRequest(t, s).ID))
	const n = 30
	issues := make([]storage.TokenIssue, n)
	for i := range issues {
		issues[i] = withCode(w.tokensOf(), c)
	}
	errs := race(n, func(i int) error { return s.IssueTokens(ctx, issues[i]) })
	requireOneWinnerOf(t, "IssueTokens", errs, storage.ErrReused)
	for i, err := range errs {
		if err == nil {
			requireIssued(t, s, issues[i])
			continue
		}
		requireNotIssued(t, s, issues[i], "a losing redemption's tokens")
	}
}
