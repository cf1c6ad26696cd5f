package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func accessTokenTests() []test {
	return []test{
		{"RoundTrip", testAccessTokenRoundTrip},
		{"Expired", testAccessTokenExpired},
		{"NotFound", testAccessTokenNotFound},
		{"DuplicateID", testAccessTokenDuplicateID},
		{"Delete", testAccessTokenDelete},
	}
}

func (w world) accessToken(refreshTokenID string) storage.AccessToken {
	return newAccessToken(w.App.ID, w.Client.ID, w.User.ID, w.Session.ID, w.Device.ID, refreshTokenID)
}

func (w world) refreshToken() storage.RefreshToken {
	return newRefreshToken(w.App.ID, w.Client.ID, w.User.ID, w.Session.ID, w.Device.ID)
}

func testAccessTokenRoundTrip(t *testing.T, s storage.Store) {
	w := newWorld(t, s)
	rt := mustCreateRefreshToken(t, s, w.refreshToken())
	// Issued without a refresh token, outside a browser session.
	bare := w.accessToken("")
	bare.SessionID = ""
	bare.Audience = nil
	for _, tc := range []struct {
		name  string
		token storage.AccessToken
	}{
		{"EveryField", w.accessToken(rt.ID)},
		{"NoRefreshTokenNoSession", bare},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustCreateAccessToken(t, s, tc.token)
			got, err := s.GetAccessToken(t.Context(), tc.token.ID, odd(0))
			mustOK(t, err, "get access token")
			checkSame(t, "AccessToken", got, tc.token)
		})
	}
}

func testAccessTokenExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	a := w.accessToken("")
	a.CreatedAt = at(0)
	a.ExpiresAt = at(time.Hour)
	mustCreateAccessToken(t, s, a)
	for _, now := range []time.Time{at(time.Hour), at(2 * time.Hour)} {
		_, err := s.GetAccessToken(ctx, a.ID, now)
		requireNotFound(t, err, "get expired access token")
	}
	got, err := s.GetAccessToken(ctx, a.ID, at(time.Hour-time.Microsecond))
	mustOK(t, err, "get access token just before expiry")
	checkSame(t, "AccessToken", got, a)
}

func testAccessTokenNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	mustCreateAccessToken(t, s, w.accessToken(""))
	unknown := storage.NewID()
	_, err := s.GetAccessToken(ctx, unknown, odd(0))
	requireNotFound(t, err, "get unknown access token")
	requireNotFound(t, s.DeleteAccessToken(ctx, unknown), "delete unknown access token")
}

func testAccessTokenDuplicateID(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	a := mustCreateAccessToken(t, s, w.accessToken(""))
	dup := w.accessToken("")
	dup.ID = a.ID
	dup.Subject = "impostor"
	requireAlreadyExists(t, s.CreateAccessToken(ctx, dup), "create access token with a taken id")
	got, err := s.GetAccessToken(ctx, a.ID, odd(0))
	mustOK(t, err, "get access token")
	checkSame(t, "AccessToken", got, a)
}

func testAccessTokenDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	a := mustCreateAccessToken(t, s, w.accessToken(""))
	kept := mustCreateAccessToken(t, s, w.accessToken(""))
	mustOK(t, s.DeleteAccessToken(ctx, a.ID), "delete access token")
	_, err := s.GetAccessToken(ctx, a.ID, odd(0))
	requireNotFound(t, err, "get deleted access token")
	requireNotFound(t, s.DeleteAccessToken(ctx, a.ID), "delete access token twice")
	got, err := s.GetAccessToken(ctx, kept.ID, odd(0))
	mustOK(t, err, "get kept access token")
	checkSame(t, "untouched AccessToken", got, kept)
}
