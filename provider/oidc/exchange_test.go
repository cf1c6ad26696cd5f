package oidc_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
)

// Of concurrent redemptions of one code, exactly one is issued tokens;
// every other one is refused with invalid_grant.
func TestConcurrentCodeRedemption(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("ivo")
		u, f := h.authorizeURL(h.confidential, nil, "offline_access")
		cb := b.signIn(u)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")},
			"redirect_uri": {rpRedirect}, "code_verifier": {f.verifier}}
		const n = 12
		type answer struct {
			status int
			out    map[string]any
			err    error
		}
		answers := make([]answer, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				req, _ := http.NewRequestWithContext(h.ctx, http.MethodPost, h.issuer+"/oauth/token", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(url.QueryEscape(h.confidential.ID), url.QueryEscape(h.secret))
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					answers[i].err = err
					return
				}
				defer res.Body.Close()
				answers[i].status = res.StatusCode
				answers[i].err = json.NewDecoder(res.Body).Decode(&answers[i].out)
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, a := range answers {
			switch {
			case a.err != nil:
				t.Errorf("token request: %v", a.err)
			case a.status == http.StatusOK && a.out["access_token"] != nil && a.out["refresh_token"] != nil:
				won++
			case a.status != http.StatusBadRequest || a.out["error"] != "invalid_grant":
				t.Errorf("losing redemption: %d %v, want invalid_grant", a.status, a.out)
			}
		}
		if won != 1 {
			t.Fatalf("%d of %d concurrent redemptions of one code were issued tokens, want 1", won, n)
		}
	})
}

// A code presented while its user is inactive is spent: once the user is
// active again, the code of before still gets nothing.
func TestCodeSpentWhileUserInactive(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("jon")
		u, f := h.authorizeURL(h.confidential, nil)
		cb := b.signIn(u)
		h.setStatus("jon", storage.UserInactive)
		_, err := h.exchange(f, cb)
		wantInvalidGrant(t, "code of an inactive user", err)
		h.setStatus("jon", storage.UserActive)
		_, err = h.exchange(f, cb)
		wantInvalidGrant(t, "code of before, after the reactivation", err)
	})
}
