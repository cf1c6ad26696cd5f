package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func refreshTokenTests() []test {
	return []test{
		{"RoundTrip", testRefreshTokenRoundTrip},
		{"GetDoesNotConsume", testRefreshTokenGetDoesNotConsume},
		{"ConsumeOnce", testRefreshTokenConsumeOnce},
		{"ConsumeDeletesItsAccessTokens", testRefreshTokenConsumeCascade},
		{"Expired", testRefreshTokenExpired},
		{"NotFound", testRefreshTokenNotFound},
		{"Unique", testRefreshTokenUnique},
		{"Delete", testRefreshTokenDelete},
		{"DeleteTokensOfUser", testDeleteTokensOfUser},
		{"DeleteGrant", testDeleteGrant},
	}
}

// DeleteGrant revokes one sign-in's whole family of tokens, used or not,
// and nothing of another grant or of no grant.
func testDeleteGrant(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	grant, other := storage.NewID(), storage.NewID()
	family := func(g string) (storage.RefreshToken, storage.RefreshToken, storage.AccessToken) {
		used := w.refreshToken()
		used.GrantID = g
		mustCreateRefreshToken(t, s, used)
		_, err := s.ConsumeRefreshToken(ctx, used.Hash, odd(0))
		mustOK(t, err, "rotate refresh token")
		current := w.refreshToken()
		current.GrantID = g
		mustCreateRefreshToken(t, s, current)
		a := w.accessToken(current.ID)
		a.GrantID = g
		return used, current, mustCreateAccessToken(t, s, a)
	}
	used, current, access := family(grant)
	otherUsed, otherCurrent, otherAccess := family(other)
	noGrant := mustCreateAccessToken(t, s, w.accessToken(""))

	mustOK(t, s.DeleteGrant(ctx, grant), "delete grant")
	mustOK(t, s.DeleteGrant(ctx, grant), "delete a grant again")
	mustOK(t, s.DeleteGrant(ctx, ""), "delete the empty grant")
	for _, r := range []storage.RefreshToken{used, current} {
		_, err := s.GetRefreshTokenByHash(ctx, r.Hash, odd(0))
		requireNotFound(t, err, "refresh token of a deleted grant")
	}
	_, err := s.GetAccessToken(ctx, access.ID, odd(0))
	requireNotFound(t, err, "access token of a deleted grant")

	got, err := s.GetRefreshTokenByHash(ctx, otherUsed.Hash, odd(0))
	requireReused(t, got, err, otherUsed, "used refresh token of another grant")
	got, err = s.GetRefreshTokenByHash(ctx, otherCurrent.Hash, odd(0))
	mustOK(t, err, "refresh token of another grant")
	checkSame(t, "RefreshToken", got, otherCurrent)
	for _, a := range []storage.AccessToken{otherAccess, noGrant} {
		gotA, err := s.GetAccessToken(ctx, a.ID, odd(0))
		mustOK(t, err, "access token of another grant")
		checkSame(t, "AccessToken", gotA, a)
	}
}

func testRefreshTokenRoundTrip(t *testing.T, s storage.Store) {
	w := newWorld(t, s)
	noSession := w.refreshToken()
	noSession.SessionID = ""
	for _, tc := range []struct {
		name  string
		token storage.RefreshToken
	}{
		{"EveryField", w.refreshToken()},
		{"NoSession", noSession},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			r := mustCreateRefreshToken(t, s, tc.token)
			got, err := s.GetRefreshTokenByHash(ctx, r.Hash, odd(0))
			mustOK(t, err, "get refresh token by hash")
			checkSame(t, "GetRefreshTokenByHash", got, r)
			got, err = s.ConsumeRefreshToken(ctx, r.Hash, odd(0))
			mustOK(t, err, "consume refresh token")
			checkSame(t, "ConsumeRefreshToken", got, r)
		})
	}
}

func testRefreshTokenGetDoesNotConsume(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	r := mustCreateRefreshToken(t, s, w.refreshToken())
	for range 2 {
		_, err := s.GetRefreshTokenByHash(ctx, r.Hash, odd(0))
		mustOK(t, err, "get refresh token by hash")
	}
	_, err := s.ConsumeRefreshToken(ctx, r.Hash, odd(0))
	mustOK(t, err, "consume refresh token after reads")
}

func testRefreshTokenConsumeOnce(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	r := mustCreateRefreshToken(t, s, w.refreshToken())
	neighbour := mustCreateRefreshToken(t, s, w.refreshToken())
	_, err := s.ConsumeRefreshToken(ctx, r.Hash, odd(0))
	mustOK(t, err, "consume refresh token")
	got, err := s.ConsumeRefreshToken(ctx, r.Hash, odd(0))
	requireReused(t, got, err, r, "consume refresh token twice")
	got, err = s.GetRefreshTokenByHash(ctx, r.Hash, odd(0))
	requireReused(t, got, err, r, "get consumed refresh token")
	_, err = s.ConsumeRefreshToken(ctx, r.Hash, r.ExpiresAt)
	requireNotFound(t, err, "consume a used refresh token after its expiry")
	got, err = s.GetRefreshTokenByHash(ctx, neighbour.Hash, odd(0))
	mustOK(t, err, "get neighbour")
	checkSame(t, "untouched RefreshToken", got, neighbour)
}

func testRefreshTokenConsumeCascade(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	r := mustCreateRefreshToken(t, s, w.refreshToken())
	other := mustCreateRefreshToken(t, s, w.refreshToken())
	issued := []storage.AccessToken{
		mustCreateAccessToken(t, s, w.accessToken(r.ID)),
		mustCreateAccessToken(t, s, w.accessToken(r.ID)),
	}
	fromOther := mustCreateAccessToken(t, s, w.accessToken(other.ID))
	standalone := mustCreateAccessToken(t, s, w.accessToken(""))

	_, err := s.ConsumeRefreshToken(ctx, r.Hash, odd(0))
	mustOK(t, err, "consume refresh token")
	for _, a := range issued {
		_, err := s.GetAccessToken(ctx, a.ID, odd(0))
		requireNotFound(t, err, "get access token issued from a consumed refresh token")
	}
	for _, a := range []storage.AccessToken{fromOther, standalone} {
		got, err := s.GetAccessToken(ctx, a.ID, odd(0))
		mustOK(t, err, "get access token not issued from the consumed refresh token")
		checkSame(t, "untouched AccessToken", got, a)
	}
}

func testRefreshTokenExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	r := w.refreshToken()
	r.CreatedAt = at(0)
	r.ExpiresAt = at(24 * time.Hour)
	mustCreateRefreshToken(t, s, r)
	a := mustCreateAccessToken(t, s, w.accessToken(r.ID))
	for _, now := range []time.Time{at(24 * time.Hour), at(48 * time.Hour)} {
		_, err := s.GetRefreshTokenByHash(ctx, r.Hash, now)
		requireNotFound(t, err, "get expired refresh token")
		_, err = s.ConsumeRefreshToken(ctx, r.Hash, now)
		requireNotFound(t, err, "consume expired refresh token")
	}
	// A failed consumption takes nothing with it.
	_, err := s.GetAccessToken(ctx, a.ID, odd(0))
	mustOK(t, err, "get access token of an expired refresh token")
	got, err := s.ConsumeRefreshToken(ctx, r.Hash, at(24*time.Hour-time.Microsecond))
	mustOK(t, err, "consume refresh token just before expiry")
	checkSame(t, "RefreshToken", got, r)
}

func testRefreshTokenNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	mustCreateRefreshToken(t, s, w.refreshToken())
	unknown := storage.HashSecret("unknown")
	_, err := s.GetRefreshTokenByHash(ctx, unknown, odd(0))
	requireNotFound(t, err, "get refresh token by unknown hash")
	_, err = s.ConsumeRefreshToken(ctx, unknown, odd(0))
	requireNotFound(t, err, "consume unknown refresh token")
	requireNotFound(t, s.DeleteRefreshToken(ctx, storage.NewID()), "delete unknown refresh token")
}

func testRefreshTokenUnique(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	r := mustCreateRefreshToken(t, s, w.refreshToken())
	sameHash := w.refreshToken()
	sameHash.Hash = r.Hash
	requireAlreadyExists(t, s.CreateRefreshToken(ctx, sameHash), "create refresh token with a taken hash")
	sameID := w.refreshToken()
	sameID.ID = r.ID
	requireAlreadyExists(t, s.CreateRefreshToken(ctx, sameID), "create refresh token with a taken id")
	got, err := s.GetRefreshTokenByHash(ctx, r.Hash, odd(0))
	mustOK(t, err, "get refresh token")
	checkSame(t, "RefreshToken", got, r)
}

func testRefreshTokenDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	r := mustCreateRefreshToken(t, s, w.refreshToken())
	kept := mustCreateRefreshToken(t, s, w.refreshToken())
	mustOK(t, s.DeleteRefreshToken(ctx, r.ID), "delete refresh token")
	_, err := s.GetRefreshTokenByHash(ctx, r.Hash, odd(0))
	requireNotFound(t, err, "get deleted refresh token")
	requireNotFound(t, s.DeleteRefreshToken(ctx, r.ID), "delete refresh token twice")
	got, err := s.GetRefreshTokenByHash(ctx, kept.Hash, odd(0))
	mustOK(t, err, "get kept refresh token")
	checkSame(t, "untouched RefreshToken", got, kept)
}

// tokenPair is one access token and the refresh token it came with.
type tokenPair struct {
	access  storage.AccessToken
	refresh storage.RefreshToken
}

func mustIssue(t *testing.T, s storage.Store, appID, clientID, userID, deviceID string) tokenPair {
	t.Helper()
	r := mustCreateRefreshToken(t, s, newRefreshToken(appID, clientID, userID, "", deviceID))
	a := mustCreateAccessToken(t, s, newAccessToken(appID, clientID, userID, "", deviceID, r.ID))
	return tokenPair{access: a, refresh: r}
}

func requireTokens(t *testing.T, s storage.Store, what string, p tokenPair, present bool) {
	t.Helper()
	_, errA := s.GetAccessToken(t.Context(), p.access.ID, odd(0))
	_, errR := s.GetRefreshTokenByHash(t.Context(), p.refresh.Hash, odd(0))
	for _, err := range []error{errA, errR} {
		if present {
			mustOK(t, err, what+": tokens should remain")
		} else {
			requireNotFound(t, err, what+": tokens should be gone")
		}
	}
}

func testDeleteTokensOfUser(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	otherApp := mustCreateApp(t, s)
	client2 := mustCreateClient(t, s, w.App.ID)
	user2 := mustCreateUser(t, s, w.App.ID)
	device2 := mustCreateDevice(t, s, w.App.ID, user2.ID)

	u1c1 := mustIssue(t, s, w.App.ID, w.Client.ID, w.User.ID, w.Device.ID)
	u1c2 := mustIssue(t, s, w.App.ID, client2.ID, w.User.ID, w.Device.ID)
	u2c1 := mustIssue(t, s, w.App.ID, w.Client.ID, user2.ID, device2.ID)

	// Through another app nothing goes (whether or not it reports ErrNotFound).
	if err := s.DeleteTokensOfUser(ctx, otherApp.ID, user2.ID, ""); err != nil && !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete tokens of a user through another app: %v", err)
	}
	requireTokens(t, s, "after deleting through another app", u2c1, true)

	mustOK(t, s.DeleteTokensOfUser(ctx, w.App.ID, w.User.ID, w.Client.ID), "delete tokens of a user for one client")
	requireTokens(t, s, "user's tokens of that client", u1c1, false)
	requireTokens(t, s, "user's tokens of another client", u1c2, true)
	requireTokens(t, s, "another user's tokens of that client", u2c1, true)

	mustOK(t, s.DeleteTokensOfUser(ctx, w.App.ID, w.User.ID, ""), "delete tokens of a user for every client")
	requireTokens(t, s, "user's tokens of another client", u1c2, false)
	requireTokens(t, s, "another user's tokens", u2c1, true)
}
