package oidc_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// setStatus deactivates or reactivates a user as an administrator does.
func (h *harness) setStatus(externalID, status string) {
	h.t.Helper()
	if _, err := h.svc.SetUserStatus(h.ctx, h.app, mustUserID(h.t, h, externalID), status, "cli"); err != nil {
		h.t.Fatal(err)
	}
}

// wantInvalidGrant checks a token request refused with invalid_grant.
func wantInvalidGrant(t testing.TB, what string, err error) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("%s: got %v, want invalid_grant", what, err)
	}
}

// userinfoStatus calls userinfo with an access token.
func (h *harness) userinfoStatus(token string) int {
	h.t.Helper()
	req, _ := http.NewRequestWithContext(h.ctx, http.MethodGet, h.issuer+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// discoverableFinish runs the login page's discoverable ceremony with the
// browser's passkey and returns the finish's answer, whatever it is.
func (b *browser) discoverableFinish() apitest.Response {
	b.h.t.Helper()
	hs := b.Flex("authenticate/transactions/webauthn/start", map[string]any{})
	resp, err := b.Auth.Authenticate(hs.Options, b.h.issuer)
	if err != nil {
		b.h.t.Fatal(err)
	}
	return b.Do(providertest.Request{Method: http.MethodPost, Path: "/v1/apps/" + b.h.app.ID + "/authenticate/transactions/webauthn/finish",
		Body: map[string]any{"handshake_id": hs.ID, "handshake_response": json.RawMessage(resp)}})
}

// accountPasskeys lists the signed-in user's passkeys on the account page.
func (b *browser) accountPasskeys() apitest.Response {
	b.h.t.Helper()
	return b.Do(providertest.Request{Method: http.MethodGet, Path: "/account/api/passkeys?app_id=" + url.QueryEscape(b.h.app.ID)})
}

// A deactivated user gets nothing more from anything issued before: codes
// are not redeemed, the refresh token, the access token, the session and a
// ceremony's nonce are gone; prompt=none, SSO and the account page see no
// session; the login page's ceremony is refused. Reactivation restores
// sign-in with the same passkey, and nothing of before.
func TestDeactivationMeansOff(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("dana")
		offline := h.signInOffline(b)
		if a := b.accountPasskeys(); a.Status != http.StatusOK {
			t.Fatalf("account page while signed in: %d %s", a.Status, a.Body)
		}
		// Codes issued before the deactivation (SSO from the session), one
		// for an access token only, one with a refresh token.
		u1, f1 := h.authorizeURL(h.confidential, nil)
		cb1 := b.authorize(u1).callback
		u2, f2 := h.authorizeURL(h.confidential, nil, "offline_access")
		cb2 := b.authorize(u2).callback
		if cb1.Get("code") == "" || cb2.Get("code") == "" {
			t.Fatalf("SSO before deactivation: %v %v", cb1, cb2)
		}
		// A login page's ceremony finished, its nonce not posted yet.
		u3, _ := h.authorizeURL(h.confidential, url.Values{"prompt": {"login"}})
		id3 := b.authorize(u3).authRequestID(t)
		nonce3 := b.passkey(id3)

		h.clock.Advance(time.Second)
		h.setStatus("dana", storage.UserInactive)

		_, err := h.exchange(f1, cb1)
		wantInvalidGrant(t, "code issued before deactivation", err)
		_, err = h.exchange(f2, cb2)
		wantInvalidGrant(t, "code with offline_access issued before deactivation", err)
		if s, out := h.refresh(offline.RefreshToken); s != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("refresh token of before: %d %v", s, out)
		}
		if h.introspect(offline.AccessToken) {
			t.Fatal("introspection: the access token of before is still active")
		}
		if s := h.userinfoStatus(offline.AccessToken); s != http.StatusUnauthorized {
			t.Fatalf("userinfo with the access token of before: %d, want 401", s)
		}
		if r := b.complete(id3, nonce3); r.status != http.StatusBadRequest || r.callback != nil || !strings.Contains(r.page, "invalid_nonce") {
			t.Fatalf("login page completed with a nonce of before: %d %v %s", r.status, r.callback, firstLine(r.page))
		}
		u4, _ := h.authorizeURL(h.confidential, url.Values{"prompt": {"none"}})
		if r := b.authorize(u4); r.callback.Get("error") != "login_required" {
			t.Fatalf("prompt=none: %v", r.callback)
		}
		// No SSO: the login page asks for a ceremony, which is refused.
		u5, _ := h.authorizeURL(h.confidential, nil)
		b.authorize(u5).authRequestID(t)
		apitest.WantError(t, b.discoverableFinish(), http.StatusForbidden, "user_inactive")
		if a := b.accountPasskeys(); a.Status != http.StatusUnauthorized {
			t.Fatalf("account page after deactivation: %d %s", a.Status, a.Body)
		}

		// Reactivated, the same passkey signs in; what ended stays ended.
		h.setStatus("dana", storage.UserActive)
		if s, _ := h.refresh(offline.RefreshToken); s != http.StatusBadRequest {
			t.Fatalf("refresh token of before, after reactivation: %d", s)
		}
		u6, f6 := h.authorizeURL(h.confidential, nil, "offline_access")
		tok := h.mustExchange(f6, b.signIn(u6))
		if tok.claims.Subject != "dana" || tok.RefreshToken == "" {
			t.Fatalf("sign-in after reactivation: %+v", tok.claims)
		}
		if s, out := h.refresh(tok.RefreshToken); s != http.StatusOK {
			t.Fatalf("refresh after reactivation: %d %v", s, out)
		}
	})
}

// Ending a user's sessions signs the browser out and revokes the tokens;
// the user signs in again at once.
func TestEndUserSessionsOverOIDC(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("erin")
		offline := h.signInOffline(b)
		n, err := h.svc.EndUserSessions(h.ctx, h.app, mustUserID(t, h, "erin"), "cli")
		if err != nil || n != 1 {
			t.Fatalf("EndUserSessions = %d, %v; want 1", n, err)
		}
		if s, _ := h.refresh(offline.RefreshToken); s != http.StatusBadRequest {
			t.Fatalf("refresh token after the sessions ended: %d", s)
		}
		if h.introspect(offline.AccessToken) {
			t.Fatal("access token still active after the sessions ended")
		}
		u, _ := h.authorizeURL(h.confidential, url.Values{"prompt": {"none"}})
		if r := b.authorize(u); r.callback.Get("error") != "login_required" {
			t.Fatalf("prompt=none after the sessions ended: %v", r.callback)
		}
		u, f := h.authorizeURL(h.confidential, nil)
		if tok := h.mustExchange(f, b.signIn(u)); tok.claims.Subject != "erin" {
			t.Fatalf("sign-in after the sessions ended: %+v", tok.claims)
		}
	})
}

// afterNonce is a store that runs a hook right after a nonce is redeemed:
// a deactivation landing between the login page's check of the nonce and
// the session it then writes.
type afterNonce struct {
	storage.Store
	mu   sync.Mutex
	hook func()
}

func (s *afterNonce) arm(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = fn
}

func (s *afterNonce) ConsumeNonce(ctx context.Context, appID string, hash []byte, now time.Time) (storage.Nonce, error) {
	n, err := s.Store.ConsumeNonce(ctx, appID, hash, now)
	s.mu.Lock()
	hook := s.hook
	s.hook = nil
	s.mu.Unlock()
	if hook != nil && err == nil {
		hook()
	}
	return n, err
}

// A user deactivated after the ceremony's nonce was redeemed gets no
// session: not from the login page (403 user_inactive; the sign-in is not
// completed), not from the account page.
func TestDeactivationBeforeSession(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		st := &afterNonce{Store: open(t)}
		h := newHarness(t, st)
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("fay")
		userID := mustUserID(t, h, "fay")
		deactivate := func() { h.setStatus("fay", storage.UserInactive) }

		u, _ := h.authorizeURL(h.confidential, nil)
		id := b.authorize(u).authRequestID(t)
		nonce := b.passkey(id)
		st.arm(deactivate)
		if r := b.complete(id, nonce); r.status != http.StatusForbidden || r.callback != nil || !strings.Contains(r.page, "user_inactive") {
			t.Fatalf("login completed for a user deactivated meanwhile: %d %v %s", r.status, r.callback, firstLine(r.page))
		}
		if ar, err := h.store.GetAuthRequest(h.ctx, id, h.clock.Now()); err != nil || ar.Done {
			t.Fatalf("auth request after the refusal: done %v, %v", ar.Done, err)
		}
		if ss, _ := h.store.ListSessions(h.ctx, h.app.ID, userID); len(ss) != 0 {
			t.Fatalf("%d sessions for a deactivated user", len(ss))
		}

		h.setStatus("fay", storage.UserActive)
		nonce = b.FlexAuthenticate("")
		st.arm(deactivate)
		a := b.Do(providertest.Request{Method: http.MethodPost, Path: "/account/session",
			Body: map[string]string{"app_id": h.app.ID, "nonce": nonce}})
		apitest.WantError(t, a, http.StatusForbidden, "user_inactive")
		if ss, _ := h.store.ListSessions(h.ctx, h.app.ID, userID); len(ss) != 0 {
			t.Fatalf("%d sessions for a deactivated user", len(ss))
		}
	})
}
