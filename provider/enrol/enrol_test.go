package enrol_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/provider/web"
	"github.com/passbridge/passbridge/storage"
)

// TestEnrolment runs a link as its user does: the backend issues it, the
// page opens (twice: a link preview spends nothing), the page's calls
// create a passkey and sign the browser in, and the browser lands on the
// account page, signed in with that passkey. Then the link is spent: its
// page, its call and its completion refuse it.
func TestEnrolment(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		_, token := h.issue(h.app, h.key, h.user.ID, nil)
		h.tick()
		b := h.newBrowser()

		for range 2 {
			r := b.open(token)
			if r.Status != http.StatusOK {
				t.Fatalf("page: %d %s", r.Status, r.Body)
			}
			checkPageHeaders(t, r)
			body := string(r.Body)
			for _, want := range []string{"<title>Create a passkey for Shop</title>", "alice@example.com",
				`name="token" id="token" value="` + token + `"`, `href="` + h.srv.Issuer + `/account?app_id=` + h.app.ID + `"`,
				`src="` + h.srv.Issuer + `/static/pages/enrol.js"`} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q", want)
				}
			}
		}
		if l := h.link(token); !l.UsedAt.IsZero() {
			t.Fatalf("opening the page used the link: %+v", l)
		}

		tx := b.mustTransaction(token)
		nonce := b.FlexRegister(tx, "any")
		ds := h.devices(h.user.ID)
		if len(ds) != 1 {
			t.Fatalf("%d devices after the registration", len(ds))
		}
		if l := h.link(token); l.UsedAt.IsZero() || l.DeviceID != ds[0].ID {
			t.Fatalf("link after the registration %+v, want used by %s", l, ds[0].ID)
		}
		if _, _, signedIn := b.passkeys(); signedIn {
			t.Fatal("signed in before the completion")
		}

		r := b.complete(token, nonce)
		apitest.OK(t, r)
		var done struct{ Redirect string }
		r.Decode(t, &done)
		if done.Redirect != h.srv.Issuer+"/account?app_id="+h.app.ID || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("complete: %s, Cache-Control %q", r.Body, r.Header.Get("Cache-Control"))
		}
		if !setsCookie(r, web.SessionCookieName(h.app.ID)) {
			t.Errorf("complete set no session cookie: %v", r.Header["Set-Cookie"])
		}
		list, who, signedIn := b.passkeys()
		if !signedIn || who != "alice" || len(list) != 1 || list[0].ID != ds[0].ID || !list[0].Current {
			t.Fatalf("account after the enrolment: signed in %v as %q with %+v", signedIn, who, list)
		}
		if page := b.Do(providertest.Request{Method: http.MethodGet, Path: "/account?app_id=" + h.app.ID, Origin: "-"}); page.Status != http.StatusOK {
			t.Errorf("account page: %d", page.Status)
		}
		sessions, err := h.store.ListSessions(h.ctx, h.app.ID, h.user.ID)
		if err != nil || len(sessions) != 1 || sessions[0].DeviceID != ds[0].ID || sessions[0].Subject != "alice" || sessions[0].ACR == "" {
			t.Errorf("sessions %+v, %v", sessions, err)
		}

		// Spent: in this browser and in any other.
		other := h.newBrowser()
		for _, x := range []*browser{b, other} {
			r := x.open(token)
			if r.Status != http.StatusGone || errorCode(t, r) != "enrolment_link_used" {
				t.Errorf("page of a used link: %d %s", r.Status, r.Body)
			}
			if body := string(r.Body); strings.Contains(body, "alice") || strings.Contains(body, "Shop") {
				t.Errorf("the refusal names the account or the app: %s", body)
			}
			apitest.WantError(t, x.transaction(token), http.StatusGone, "enrolment_link_used")
		}
		r = other.complete(token, nonce)
		apitest.WantError(t, r, http.StatusBadRequest, "enrolment_incomplete")
		if setsCookie(r, web.SessionCookieName(h.app.ID)) {
			t.Errorf("a second completion set a session cookie: %v", r.Header["Set-Cookie"])
		}
		if _, _, signedIn := other.passkeys(); signedIn {
			t.Error("the second completion signed another browser in")
		}

		var types []string
		events, err := h.store.ListAuditEvents(h.ctx, storage.AuditQuery{AppID: h.app.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			types = append(types, e.Type)
		}
		if len(types) != 3 || types[2] != "enrolment_link.created" || !strings.HasPrefix(events[2].Actor, "api_key:") {
			t.Errorf("audit %q", types)
		}
	})
}

// setsCookie reports whether r sets a live cookie name.
func setsCookie(r apitest.Response, name string) bool {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name && c.Value != "" && c.MaxAge >= 0 {
			return true
		}
	}
	return false
}

// TestEnrolmentTwoTabs: the page of one link open in three tabs. The first
// to finish its registration keeps its passkey and signs in; a tab that
// started before is refused at its finish, one that starts after at its
// start, and neither stores anything or signs in.
func TestEnrolmentTwoTabs(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		_, token := h.issue(h.app, h.key, h.user.ID, nil)
		first, racing, late := h.newBrowser(), h.newBrowser(), h.newBrowser()
		txFirst, txRacing, txLate := first.mustTransaction(token), racing.mustTransaction(token), late.mustTransaction(token)

		hs := racing.Flex("register/transactions/webauthn/start", map[string]string{"transaction_id": txRacing})
		resp, _, err := racing.Auth.Register(hs.Options, h.srv.Issuer)
		if err != nil {
			t.Fatal(err)
		}
		nonce := first.FlexRegister(txFirst, "any")

		r := racing.Do(providertest.Request{Method: http.MethodPost, Path: "/v1/apps/" + h.app.ID + "/register/transactions/webauthn/finish",
			Body: finishBody(txRacing, hs.ID, resp)})
		apitest.WantError(t, r, http.StatusGone, "enrolment_link_used")
		r = late.Do(providertest.Request{Method: http.MethodPost, Path: "/v1/apps/" + h.app.ID + "/register/transactions/webauthn/start",
			Body: map[string]string{"transaction_id": txLate}})
		apitest.WantError(t, r, http.StatusGone, "enrolment_link_used")

		if ds := h.devices(h.user.ID); len(ds) != 1 || h.link(token).DeviceID != ds[0].ID {
			t.Fatalf("devices %+v, want the first tab's alone", ds)
		}
		apitest.OK(t, first.complete(token, nonce))
		for _, b := range []*browser{racing, late} {
			if _, _, signedIn := b.passkeys(); signedIn {
				t.Error("a refused tab is signed in")
			}
		}
	})
}

// finishBody is a Flex register finish's body.
func finishBody(tx, handshakeID string, response []byte) map[string]any {
	return map[string]any{"transaction_id": tx, "handshake_id": handshakeID, "handshake_response": rawJSON(response)}
}

type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

// TestEnrolmentConcurrentRedemptions: many tabs of one link finish their
// registrations at the same moment; exactly one keeps its passkey.
func TestEnrolmentConcurrentRedemptions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		_, token := h.issue(h.app, h.key, h.user.ID, nil)
		const n = 8
		type tab struct {
			b    *browser
			body map[string]any
		}
		tabs := make([]tab, n)
		for i := range tabs {
			b := h.newBrowser()
			tx := b.mustTransaction(token)
			hs := b.Flex("register/transactions/webauthn/start", map[string]string{"transaction_id": tx})
			resp, _, err := b.Auth.Register(hs.Options, h.srv.Issuer)
			if err != nil {
				t.Fatal(err)
			}
			tabs[i] = tab{b, finishBody(tx, hs.ID, resp)}
		}
		statuses := make([]apitest.Response, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, tb := range tabs {
			wg.Go(func() {
				<-start
				statuses[i] = tb.b.Do(providertest.Request{Method: http.MethodPost,
					Path: "/v1/apps/" + h.app.ID + "/register/transactions/webauthn/finish", Body: tb.body})
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, r := range statuses {
			if r.Status == http.StatusOK {
				won++
				continue
			}
			apitest.WantError(t, r, http.StatusGone, "enrolment_link_used")
		}
		ds := h.devices(h.user.ID)
		if won != 1 || len(ds) != 1 || h.link(token).DeviceID != ds[0].ID {
			t.Errorf("%d of %d finishes won, %d devices stored; want exactly one, the link's", won, n, len(ds))
		}
	})
}

// TestEnrolmentExpired: past its lifetime a link opens to a page that says
// so, and its call refuses it; a ceremony of it cannot start.
func TestEnrolmentExpired(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		_, token := h.issue(h.app, h.key, h.user.ID, map[string]any{"ttl": 300})
		b := h.newBrowser()
		tx := b.mustTransaction(token)
		h.clock.Advance(5 * time.Minute)

		r := b.open(token)
		if r.Status != http.StatusGone || errorCode(t, r) != "enrolment_link_expired" {
			t.Fatalf("page of an expired link: %d %s", r.Status, r.Body)
		}
		if body := string(r.Body); !strings.Contains(body, "This link has expired") || !strings.Contains(body, "Ask your administrator for a new link") {
			t.Errorf("the page does not say what happened and what to do: %s", body)
		}
		apitest.WantError(t, b.transaction(token), http.StatusGone, "enrolment_link_expired")
		r = b.Do(providertest.Request{Method: http.MethodPost, Path: "/v1/apps/" + h.app.ID + "/register/transactions/webauthn/start",
			Body: map[string]string{"transaction_id": tx}})
		if r.Status == http.StatusOK {
			t.Fatalf("a ceremony of an expired link started: %s", r.Body)
		}
		if len(h.devices(h.user.ID)) != 0 {
			t.Error("a device was stored")
		}
	})
}

// TestEnrolmentRefusedPages: what the page says of links it cannot use. An
// unknown token and the link of a deleted user get the same page, byte for
// byte: a refusal tells nothing about accounts.
func TestEnrolmentRefusedPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser()
		gone := h.createUser(h.app, "bob")
		_, goneToken := h.issue(h.app, h.key, gone.ID, nil)
		if err := h.store.DeleteUser(h.ctx, h.app.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		unknown := b.open(storage.PrefixEnrolmentLink + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
		if unknown.Status != http.StatusNotFound || errorCode(t, unknown) != "enrolment_link_not_found" {
			t.Fatalf("unknown token: %d %s", unknown.Status, unknown.Body)
		}
		if !strings.Contains(string(unknown.Body), "This link is not valid") {
			t.Errorf("unknown token's page: %s", unknown.Body)
		}
		for name, token := range map[string]string{"deleted user": goneToken, "no token": "", "not a token": "hello", "long": strings.Repeat("x", 5000)} {
			r := b.open(token)
			if r.Status != unknown.Status || string(r.Body) != string(unknown.Body) {
				t.Errorf("%s: %d %s; want the unknown token's page", name, r.Status, r.Body)
			}
		}

		// A deactivated user's link says so, naming no one.
		_, token := h.issue(h.app, h.key, h.user.ID, nil)
		if _, err := h.store.UpdateUser(h.ctx, h.app.ID, h.user.ID, func(u storage.User) (storage.User, error) {
			u.Status = storage.UserInactive
			return u, nil
		}); err != nil {
			t.Fatal(err)
		}
		r := b.open(token)
		if r.Status != http.StatusForbidden || errorCode(t, r) != "user_inactive" || strings.Contains(string(r.Body), "alice") {
			t.Errorf("inactive user's link: %d %s", r.Status, r.Body)
		}
		apitest.WantError(t, b.transaction(token), http.StatusForbidden, "user_inactive")

		// An app whose settings do not let this page run its ceremonies.
		elsewhere, key := apitest.CreateApp(t, h.ctx, h.store, h.clock.Now(), "Elsewhere", "localhost", "http://localhost:1")
		u := h.createUser(elsewhere, "carol")
		_, token = h.issue(elsewhere, key, u.ID, nil)
		r = b.open(token)
		if r.Status != http.StatusConflict || errorCode(t, r) != "app_misconfigured" || !strings.Contains(string(r.Body), "Tell your administrator") {
			t.Errorf("misfit app's link: %d %s", r.Status, r.Body)
		}
		apitest.WantError(t, b.transaction(token), http.StatusConflict, "app_misconfigured")
	})
}

// TestEnrolmentCallRefusals: the calls refuse what the page would never
// send, with their code, and change nothing.
func TestEnrolmentCallRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		_, token := h.issue(h.app, h.key, h.user.ID, nil)
		b := h.newBrowser()
		before := apitest.TakeSnapshot(t, h.ctx, h.store, h.app)

		for _, tc := range []struct {
			name   string
			req    providertest.Request
			status int
			code   string
		}{
			{"no origin", providertest.Request{Body: map[string]string{"token": token}, Origin: "-"}, 403, "origin_not_allowed"},
			{"another origin", providertest.Request{Body: map[string]string{"token": token}, Origin: "https://evil.example"}, 403, "origin_not_allowed"},
			{"a form", providertest.Request{Body: "token=" + token, ContentType: "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
			{"text", providertest.Request{Body: `{"token":"` + token + `"}`, ContentType: "text/plain"}, 415, "unsupported_media_type"},
			{"not JSON", providertest.Request{Body: `{"token":`}, 400, "invalid_request"},
			{"no token", providertest.Request{Body: map[string]string{}}, 400, "invalid_request"},
			{"token a number", providertest.Request{Body: `{"token": 5}`}, 400, "invalid_request"},
			{"unknown token", providertest.Request{Body: map[string]string{"token": "pbe_unknown"}}, 404, "enrolment_link_not_found"},
			{"not UTF-8", providertest.Request{Body: "{\"token\": \"pbe_\xff\"}"}, 400, "invalid_request"},
		} {
			t.Run("transaction/"+tc.name, func(t *testing.T) {
				tc.req.Method, tc.req.Path = http.MethodPost, "/enrol/transaction"
				r := b.Do(tc.req)
				apitest.WantError(t, r, tc.status, tc.code)
				if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control %q", cc)
				}
			})
		}

		for _, tc := range []struct {
			name   string
			req    providertest.Request
			status int
			code   string
		}{
			{"another origin", providertest.Request{Body: map[string]string{"token": token, "nonce": "n"}, Origin: "https://evil.example"},
				403, "origin_not_allowed"},
			// What a form post carries from a page whose Referrer-Policy is no-referrer.
			{"a form with a null origin", providertest.Request{Body: "token=" + token + "&nonce=n", Origin: "null",
				ContentType: "application/x-www-form-urlencoded"}, 403, "origin_not_allowed"},
			{"a form", providertest.Request{Body: "token=" + token + "&nonce=n", ContentType: "application/x-www-form-urlencoded"},
				415, "unsupported_media_type"},
			{"no nonce", providertest.Request{Body: map[string]string{"token": token}}, 400, "invalid_request"},
			{"no token", providertest.Request{Body: map[string]string{"nonce": "n"}}, 400, "invalid_request"},
			{"unknown token", providertest.Request{Body: map[string]string{"token": "pbe_unknown", "nonce": "n"}}, 404, "enrolment_link_not_found"},
			{"unused link", providertest.Request{Body: map[string]string{"token": token, "nonce": "n"}}, 400, "enrolment_incomplete"},
		} {
			t.Run("complete/"+tc.name, func(t *testing.T) {
				tc.req.Method, tc.req.Path = http.MethodPost, "/enrol/complete"
				r := b.Do(tc.req)
				apitest.WantError(t, r, tc.status, tc.code)
				if setsCookie(r, web.SessionCookieName(h.app.ID)) {
					t.Errorf("set a session cookie: %v", r.Header["Set-Cookie"])
				}
			})
		}

		apitest.SameSnapshot(t, before, apitest.TakeSnapshot(t, h.ctx, h.store, h.app))
		if after := h.link(token); !after.UsedAt.IsZero() || after.DeviceID != "" {
			t.Errorf("a refused call changed the link: %+v", after)
		}
		if _, _, signedIn := b.passkeys(); signedIn {
			t.Error("a refused call signed the browser in")
		}
	})
}

// TestEnrolmentRateLimit: the page's calls count against the per-address
// limit, as the login page's do; opening the page does not.
func TestEnrolmentRateLimit(t *testing.T) {
	h := newHarness(t, openSQLite(t), harnessOptions{rate: 0.001, burst: 2})
	b := h.newBrowser()
	for i, want := range []int{http.StatusNotFound, http.StatusNotFound, http.StatusTooManyRequests} {
		if r := b.transaction("pbe_unknown"); r.Status != want {
			t.Fatalf("call %d: %d %s, want %d", i+1, r.Status, r.Body, want)
		}
	}
	apitest.WantError(t, b.complete("pbe_unknown", "n"), http.StatusTooManyRequests, "rate_limited")
	for range 5 {
		if r := b.open("pbe_unknown"); r.Status != http.StatusNotFound {
			t.Fatalf("page: %d", r.Status)
		}
	}
}
