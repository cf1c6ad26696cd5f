package oidc_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// Malformed, oversized and hostile parameters on every endpoint of the
// provider and its login page: a 4xx with the endpoint's error shape,
// never a 5xx, never internal text, and nothing changed.
func TestBadInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("sam")
		u, _ := h.authorizeURL(h.confidential, nil)
		id := b.authorize(u).authRequestID(t)

		big := strings.Repeat("a", 70_000)
		bad := []string{"\xff\xfe", "\xed\xa0\x80", "%zz", "a\x00b", big, "' OR 1=1 --", "../../etc/passwd", "<script>"}
		type call struct{ method, path, body string }
		var calls []call
		for _, v := range bad {
			q := url.QueryEscape(v)
			calls = append(calls,
				call{"GET", "/authorize?client_id=" + q + "&redirect_uri=" + url.QueryEscape(rpRedirect) + "&response_type=code&scope=openid", ""},
				call{"GET", "/authorize?client_id=" + h.confidential.ID + "&redirect_uri=" + url.QueryEscape(rpRedirect) + "&response_type=code&scope=openid&max_age=" + q + "&prompt=" + q + "&acr_values=" + q + "&login_hint=" + q, ""},
				call{"GET", "/authorize?client_id=" + h.confidential.ID + "&redirect_uri=" + url.QueryEscape(rpRedirect) + "&response_type=code&scope=openid&request=" + q + "&claims=" + q, ""},
				call{"GET", "/authorize/callback?id=" + q, ""},
				call{"POST", "/oauth/token", "grant_type=authorization_code&code=" + q + "&client_id=" + q + "&client_secret=" + q},
				call{"POST", "/oauth/token", "grant_type=refresh_token&refresh_token=" + q + "&client_id=" + h.confidential.ID + "&client_secret=" + url.QueryEscape(h.secret)},
				call{"POST", "/oauth/token", "grant_type=" + q},
				call{"POST", "/oauth/introspect", "token=" + q + "&client_id=" + h.confidential.ID + "&client_secret=" + url.QueryEscape(h.secret)},
				call{"POST", "/revoke", "token=" + q + "&client_id=" + h.confidential.ID + "&client_secret=" + url.QueryEscape(h.secret)},
				call{"GET", "/end_session?id_token_hint=" + q + "&post_logout_redirect_uri=" + q + "&client_id=" + q, ""},
				call{"GET", "/userinfo?access_token=" + q, ""},
				call{"GET", "/login?auth_request_id=" + q, ""},
				call{"GET", "/login/ceremony?auth_request_id=" + q + "&display_name=" + q, ""},
				call{"POST", "/login/complete", "auth_request_id=" + q + "&nonce=" + q},
				call{"POST", "/login/complete", "auth_request_id=" + id + "&nonce=" + q},
			)
		}
		calls = append(calls,
			call{"POST", "/oauth/token", strings.Repeat("x=y&", 300_000)}, // over the body limit
			call{"POST", "/login/complete", `{"auth_request_id": 5, "nonce": ["x"]}`},
		)
		for _, c := range calls {
			req, _ := http.NewRequestWithContext(h.ctx, c.method, h.issuer+c.path, strings.NewReader(c.body))
			if c.method == "POST" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if strings.HasPrefix(c.body, "{") {
					req.Header.Set("Content-Type", "application/json")
				}
			}
			res, err := b.HTTP.Do(req)
			if err != nil {
				t.Fatalf("%s %.80s: %v", c.method, c.path, err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode >= 500 {
				t.Errorf("%s %.100s: %d %.200s", c.method, c.path, res.StatusCode, body)
			}
			for _, leak := range []string{"storage:", "pq:", "sqlite", "SQL", "goroutine", "panic"} {
				if strings.Contains(string(body), leak) {
					t.Errorf("%s %.100s: %q in the answer: %.300s", c.method, c.path, leak, body)
				}
			}
		}
		// Nothing was signed in, and the user's sign-in still works.
		if n := len(h.userDevices("sam")); n != 1 {
			t.Fatalf("sam has %d passkeys", n)
		}
		if r := b.complete(id, b.passkey(id)); r.callback.Get("code") == "" {
			t.Fatalf("the pending sign-in after the bad input: %d %v", r.status, r.callback)
		}
	})
}
