package oidc_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// downStore is a real store whose reads and writes on the OIDC paths fail
// with storage.ErrUnavailable while down is set, as they do when the
// database cannot be reached (the driver's text wrapped, which must never
// reach a client).
type downStore struct {
	storage.Store
	down atomic.Bool
}

func (s *downStore) fail() error {
	if s.down.Load() {
		return &driverError{}
	}
	return nil
}

type driverError struct{}

func (*driverError) Error() string {
	return "dial tcp 10.1.2.3:5432: connect: secret-host refused (pq: password authentication)"
}
func (*driverError) Unwrap() error { return storage.ErrUnavailable }

func (s *downStore) GetClient(ctx context.Context, id string) (storage.Client, error) {
	if err := s.fail(); err != nil {
		return storage.Client{}, err
	}
	return s.Store.GetClient(ctx, id)
}

func (s *downStore) ConsumeAuthCode(ctx context.Context, h []byte, now time.Time) (storage.AuthCode, error) {
	if err := s.fail(); err != nil {
		return storage.AuthCode{}, err
	}
	return s.Store.ConsumeAuthCode(ctx, h, now)
}

func (s *downStore) GetAccessToken(ctx context.Context, id string, now time.Time) (storage.AccessToken, error) {
	if err := s.fail(); err != nil {
		return storage.AccessToken{}, err
	}
	return s.Store.GetAccessToken(ctx, id, now)
}

func (s *downStore) GetRefreshTokenByHash(ctx context.Context, h []byte, now time.Time) (storage.RefreshToken, error) {
	if err := s.fail(); err != nil {
		return storage.RefreshToken{}, err
	}
	return s.Store.GetRefreshTokenByHash(ctx, h, now)
}

func (s *downStore) GetAuthRequest(ctx context.Context, id string, now time.Time) (storage.AuthRequest, error) {
	if err := s.fail(); err != nil {
		return storage.AuthRequest{}, err
	}
	return s.Store.GetAuthRequest(ctx, id, now)
}

// While the store is down, the OAuth endpoints answer 503 server_error
// with a fixed description, the pages a plain error page: no 500, and no
// driver text anywhere. Service returns with the store.
func TestStoreDownLeaksNothing(t *testing.T) {
	st := &downStore{Store: sqlstoretest.Open(t, sqlstoretest.SQLite)}
	h := newHarness(t, st)
	b := h.newBrowser(softauthn.Options{BackupEligible: true})
	b.register("kim")
	u, f := h.authorizeURL(h.confidential, nil, "offline_access")
	cb := b.signIn(u)
	b.stopAtCallback()
	u2, _ := h.authorizeURL(h.confidential, url.Values{"prompt": {"login"}})
	id := b.authorize(u2).authRequestID(t)

	st.down.Store(true)
	check := func(what string, res *http.Response) {
		t.Helper()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: %d, want no 5xx other than 503: %s", what, res.StatusCode, body)
		}
		for _, leak := range []string{"secret-host", "pq:", "dial tcp", "storage:", "sql"} {
			if strings.Contains(string(body), leak) || strings.Contains(res.Header.Get("Location"), leak) {
				t.Errorf("%s: %q reached the client: %d %s %s", what, leak, res.StatusCode, res.Header.Get("Location"), body)
			}
		}
	}
	post := func(path string, form url.Values) *http.Response {
		req, _ := http.NewRequestWithContext(h.ctx, http.MethodPost, h.issuer+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(h.confidential.ID, h.secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := post("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")},
		"redirect_uri": {rpRedirect}, "code_verifier": {f.verifier}})
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("token endpoint while the store is down: %d, want 503 with Retry-After", res.StatusCode)
	}
	check("token", res)
	check("refresh", post("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"pbr_x"}}))
	check("introspect", post("/oauth/introspect", url.Values{"token": {"x"}}))
	check("revoke", post("/revoke", url.Values{"token": {"x"}}))
	check("authorize", b.get(u))
	check("login page", b.get(h.issuer+"/login?auth_request_id="+id))
	check("login ceremony", b.get(h.issuer+"/login/ceremony?auth_request_id="+id))
	check("callback", b.get(h.issuer+"/authorize/callback?id="+id))
	req, _ := http.NewRequestWithContext(h.ctx, http.MethodGet, h.issuer+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer x")
	ui, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	check("userinfo", ui)

	// Back up: the code (never redeemed) still works.
	st.down.Store(false)
	h.mustExchange(f, cb)
}
