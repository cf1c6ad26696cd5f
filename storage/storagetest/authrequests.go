package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func authRequestTests() []test {
	return []test{
		{"RoundTrip", testAuthRequestRoundTrip},
		{"Expired", testAuthRequestExpired},
		{"NotFound", testAuthRequestNotFound},
		{"DuplicateID", testAuthRequestDuplicateID},
		{"Update", testAuthRequestUpdate},
		{"Delete", testAuthRequestDelete},
		{"Hint", testAuthRequestHint},
	}
}

// pendingAuthRequest is a request as /authorize stores it: nobody has
// authenticated yet, no max_age was asked.
func (w world) pendingAuthRequest() storage.AuthRequest {
	r := newAuthRequest(w.App.ID, w.Client.ID, "", "", "")
	r.MaxAge = nil
	r.Prompt = nil
	r.ACRValues = nil
	r.UILocales = nil
	r.LoginHint = ""
	r.HintSubject = ""
	r.Enroll = false
	r.ResponseMode = ""
	r.Done = false
	r.Subject = ""
	r.AuthTime = time.Time{}
	r.AMR = nil
	r.ACR = ""
	return r
}

func testAuthRequestRoundTrip(t *testing.T, s storage.Store) {
	w := newWorld(t, s)
	zero := int64(0)
	maxAgeZero := w.pendingAuthRequest()
	maxAgeZero.MaxAge = &zero // max_age=0 asks for a fresh login; it is not "unset"
	for _, tc := range []struct {
		name string
		req  storage.AuthRequest
	}{
		{"EveryField", newAuthRequest(w.App.ID, w.Client.ID, w.User.ID, w.Device.ID, w.Session.ID)},
		{"Pending", w.pendingAuthRequest()},
		{"MaxAgeZero", maxAgeZero},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustCreateAuthRequest(t, s, tc.req)
			got, err := s.GetAuthRequest(t.Context(), tc.req.ID, odd(0))
			mustOK(t, err, "get auth request")
			checkSame(t, "AuthRequest", got, tc.req)
		})
	}
}

func testAuthRequestExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	r := w.pendingAuthRequest()
	r.CreatedAt = at(0)
	r.ExpiresAt = at(30 * time.Minute)
	mustCreateAuthRequest(t, s, r)
	for _, now := range []time.Time{at(30 * time.Minute), at(time.Hour)} {
		_, err := s.GetAuthRequest(ctx, r.ID, now)
		requireNotFound(t, err, "get expired auth request")
	}
	got, err := s.GetAuthRequest(ctx, r.ID, at(30*time.Minute-time.Microsecond))
	mustOK(t, err, "get auth request just before expiry")
	checkSame(t, "AuthRequest", got, r)
}

func testAuthRequestNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	unknown := storage.NewID()
	_, err := s.GetAuthRequest(ctx, unknown, odd(0))
	requireNotFound(t, err, "get unknown auth request")
	requireUpdateNotFound(t, "update unknown auth request", func(fn func(storage.AuthRequest) (storage.AuthRequest, error)) (storage.AuthRequest, error) {
		return s.UpdateAuthRequest(ctx, unknown, fn)
	})
	requireNotFound(t, s.DeleteAuthRequest(ctx, unknown), "delete unknown auth request")
}

func testAuthRequestDuplicateID(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	r := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	dup := w.pendingAuthRequest()
	dup.ID = r.ID
	dup.State = "impostor"
	requireAlreadyExists(t, s.CreateAuthRequest(ctx, dup), "create auth request with a taken id")
	got, err := s.GetAuthRequest(ctx, r.ID, odd(0))
	mustOK(t, err, "get auth request")
	checkSame(t, "AuthRequest", got, r)
}

func testAuthRequestUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	r := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	neighbour := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	update := func(fn func(storage.AuthRequest) (storage.AuthRequest, error)) (storage.AuthRequest, error) {
		return s.UpdateAuthRequest(ctx, r.ID, fn)
	}
	get := func() (storage.AuthRequest, error) { return s.GetAuthRequest(ctx, r.ID, odd(0)) }
	// What the login page records when the user has authenticated.
	authenticate := func(r storage.AuthRequest) storage.AuthRequest {
		r.Done = true
		r.UserID = w.User.ID
		r.Subject = w.User.ExternalID
		r.DeviceID = w.Device.ID
		r.SessionID = w.Session.ID
		r.AuthTime = odd(time.Minute)
		r.AMR = []string{"hwk", "user", "mfa"}
		r.ACR = "phrh"
		return r
	}

	requireUpdateRefused(t, "UpdateAuthRequest", r, authenticate, update, get)
	done := requireUpdated(t, "UpdateAuthRequest", r, authenticate, update, get)
	maxAge := int64(300)
	requireUpdated(t, "UpdateAuthRequest again", done, func(r storage.AuthRequest) storage.AuthRequest {
		r.MaxAge = &maxAge
		r.AMR = []string{"swk", "user"}
		r.ACR = "phr"
		return r
	}, update, get)

	got, err := s.GetAuthRequest(ctx, neighbour.ID, odd(0))
	mustOK(t, err, "get neighbour")
	checkSame(t, "untouched AuthRequest", got, neighbour)
}

func testAuthRequestDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	r := mustCreateAuthRequest(t, s, newAuthRequest(w.App.ID, w.Client.ID, w.User.ID, w.Device.ID, w.Session.ID))
	kept := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	// A code issued for the request does not keep it from being deleted.
	mustCreateAuthCode(t, s, newAuthCode(r.ID))

	mustOK(t, s.DeleteAuthRequest(ctx, r.ID), "delete auth request")
	_, err := s.GetAuthRequest(ctx, r.ID, odd(0))
	requireNotFound(t, err, "get deleted auth request")
	requireNotFound(t, s.DeleteAuthRequest(ctx, r.ID), "delete auth request twice")
	got, err := s.GetAuthRequest(ctx, kept.ID, odd(0))
	mustOK(t, err, "get kept auth request")
	checkSame(t, "untouched AuthRequest", got, kept)
}

// testAuthRequestHint: what an external hint adds is stored with its
// request, read back as it was, absent for other requests, and goes with
// its request.
func testAuthRequestHint(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	r := w.pendingAuthRequest()
	h := storage.AuthRequestHint{AuthRequestID: r.ID, Subject: "mBfcvuhSHkDWVgV72x2ruIYdSsPSvcj2R0qfc6mGEAA",
		AMRValues: []string{"face", "fido", "hwk"}, Tenant: "aaaabbbb-0000-cccc-1111-dddd2222eeee",
		ClientRequestID: "0000aaaa-11bb-cccc-dd22-eeeeee333333"}
	mustOK(t, s.CreateHintedAuthRequest(ctx, r, h), "create hinted auth request")
	got, err := s.GetAuthRequest(ctx, r.ID, at(0))
	mustOK(t, err, "get auth request")
	checkSame(t, "AuthRequest", got, r)
	gotHint, err := s.GetAuthRequestHint(ctx, r.ID)
	mustOK(t, err, "get hint")
	checkSame(t, "AuthRequestHint", gotHint, h)

	dup := h
	dup.Subject = "someone else"
	requireAlreadyExists(t, s.CreateHintedAuthRequest(ctx, r, dup), "create a hinted request with a taken id")
	gotHint, err = s.GetAuthRequestHint(ctx, r.ID)
	mustOK(t, err, "get hint")
	checkSame(t, "AuthRequestHint after a refused duplicate", gotHint, h)

	plain := w.pendingAuthRequest()
	mustOK(t, s.CreateAuthRequest(ctx, plain), "create auth request")
	_, err = s.GetAuthRequestHint(ctx, plain.ID)
	requireNotFound(t, err, "hint of a request without one")

	mustOK(t, s.DeleteAuthRequest(ctx, r.ID), "delete auth request")
	_, err = s.GetAuthRequestHint(ctx, r.ID)
	requireNotFound(t, err, "hint of a deleted request")
}
