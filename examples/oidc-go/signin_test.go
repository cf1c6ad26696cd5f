package main

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
)

// Sign in: the app sends an authorization request with PKCE S256, state
// and nonce, passbridge runs its login page with the passkey, and the app's
// page shows the verified ID token's claims. A second sign-in in the same
// browser needs no ceremony (passbridge's session: SSO).
func TestSignIn(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{BackupEligible: true, BackedUp: true})
	b.Register("alice")

	if p := b.open("/"); p.Status != http.StatusOK || !p.signedOut() {
		t.Fatalf("GET / before sign-in: %d %s", p.Status, p.Summary())
	}
	p := b.signIn("/login")
	if p.Status != http.StatusOK || !p.signedIn() || p.URL.String() != s.site+"/" {
		t.Fatalf("after sign-in: %d %s %s", p.Status, p.URL, p.Summary())
	}
	if got := p.Claim(t, "sub"); got != "alice" {
		t.Errorf("sub %q, want alice", got)
	}
	// A synced passkey (backup eligible), the user verified.
	if got := p.Claim(t, "acr"); got != "phr" {
		t.Errorf("acr %q, want phr", got)
	}
	if amr := strings.Fields(p.Claim(t, "amr")); !slices.Contains(amr, "swk") || !slices.Contains(amr, "mfa") {
		t.Errorf("amr %v, want swk and mfa", amr)
	}
	if p.Claim(t, "sid") == "" {
		t.Error("no sid")
	}
	if at := p.AuthTime(t); s.Clock.Now().Sub(at) > 5*time.Second || at.After(s.Clock.Now()) {
		t.Errorf("auth_time %s, want about now (%s)", at, s.Clock.Now())
	}

	// The authorization request: code flow, PKCE S256, state, nonce, and no
	// step-up parameters.
	q := b.LastRequest(s.Issuer, "/authorize").Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": s.client.ID,
		"redirect_uri": s.site + "/callback", "scope": "openid profile", "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Errorf("authorize %s=%q, want %q", k, q.Get(k), want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(k)) < 22 {
			t.Errorf("authorize %s=%q: not a random value", k, q.Get(k))
		}
	}
	for _, k := range []string{"acr_values", "max_age", "login_hint", "prompt"} {
		if q.Has(k) {
			t.Errorf("a plain sign-in sent %s=%q", k, q.Get(k))
		}
	}

	// The cookies: the flow's lived from /login to the callback, the
	// session's is the sign-in; neither is readable by script or sent on
	// other sites' subrequests.
	for _, name := range []string{flowCookie, sessionCookie} {
		c := b.Cookie(name)
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Errorf("cookie %s: HttpOnly %v SameSite %v Path %q", name, c.HttpOnly, c.SameSite, c.Path)
		}
	}
	if c := b.Cookie(flowCookie); c.MaxAge >= 0 {
		t.Errorf("the flow cookie outlived the callback: Max-Age %d", c.MaxAge)
	}
	if c := b.Cookie(sessionCookie); c.MaxAge != int(sessionLifetime/time.Second) || len(c.Value) < 26 {
		t.Errorf("session cookie: Max-Age %d, value of %d characters", c.MaxAge, len(c.Value))
	}

	// SSO: passbridge's session answers the next sign-in without a page.
	s.Clock.Advance(time.Minute)
	again := b.open("/login")
	if !again.signedIn() || again.Claim(t, "sub") != "alice" || !again.AuthTime(t).Equal(p.AuthTime(t)) ||
		again.Claim(t, "sid") != p.Claim(t, "sid") {
		t.Fatalf("second sign-in: %d %s %s", again.Status, again.URL, again.Summary())
	}
}

// Sign-up: "Create a passkey" asks passbridge for prompt=create; the
// default app allows sign-up, so passbridge registers a passkey for a new
// user, whose external ID it makes, and the app signs that user in.
func TestSignUp(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{BackupEligible: true})
	p := b.signIn("/login?signup=1")
	if q := b.LastRequest(s.Issuer, "/authorize").Query(); q.Get("prompt") != "create" {
		t.Errorf("sign-up authorize prompt=%q, want create", q.Get("prompt"))
	}
	sub := p.Claim(t, "sub")
	if !p.signedIn() || !strings.HasPrefix(sub, "pb_") {
		t.Fatalf("after sign-up: %d %s %s", p.Status, p.URL, p.Summary())
	}
	// The new passkey signs the same user in from now on.
	b.submit("/logout", url.Values{"csrf": {p.Field(t, "csrf")}})
	if again := b.signIn("/login"); again.Claim(t, "sub") != sub {
		t.Fatalf("signed in again as %q, want %q", again.Claim(t, "sub"), sub)
	}

	// An app that does not allow sign-up: passbridge's access_denied,
	// shown with its reason.
	_, err := s.Store.UpdateApp(t.Context(), s.app.ID, func(a storage.App) (storage.App, error) {
		a.AllowSignup = false
		return a, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	other := s.newBrowser(softauthn.Options{})
	if p := other.open("/login?signup=1"); p.Status != http.StatusForbidden || p.ErrorCode() != "access_denied" ||
		!strings.Contains(p.Body, "sign-up is not open") {
		t.Fatalf("sign-up refused by passbridge: %d %s %s", p.Status, p.URL, p.Summary())
	}
}

// Step-up: "Confirm with passkey" asks for a fresh ceremony of the
// signed-in user (acr_values, max_age=0, login_hint); the page then shows
// that auth_time moved, and when.
func TestStepUp(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{BackupEligible: true})
	b.Register("alice")
	first := b.signIn("/login")
	signedInAt := first.AuthTime(t)
	oldSession := b.Cookie(sessionCookie).Value

	s.Clock.Advance(90 * time.Second)
	login := b.open("/login?step_up=1")
	id := b.authRequestID(login) // a ceremony, though passbridge's session is alive
	q := b.LastRequest(s.Issuer, "/authorize").Query()
	for k, want := range map[string]string{"acr_values": "phr", "max_age": "0", "login_hint": "alice", "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Errorf("step-up authorize %s=%q, want %q", k, q.Get(k), want)
		}
	}
	if tx := b.CeremonyInfo(id)["transaction_id"]; tx == nil {
		t.Error("the step-up's ceremony is not bound to alice (no transaction)")
	}
	p := b.complete(id, b.Passkey(id))
	if !p.signedIn() || p.Claim(t, "sub") != "alice" {
		t.Fatalf("after step-up: %d %s %s", p.Status, p.URL, p.Summary())
	}
	confirmedAt := p.AuthTime(t)
	if confirmedAt.Sub(signedInAt) < 90*time.Second {
		t.Fatalf("auth_time %s after the step-up, signed in at %s: did not move", confirmedAt, signedInAt)
	}
	notice := regexp.MustCompile(`(?s)<p class="notice" id="step-up">.*?</p>`).FindString(p.Body)
	for _, at := range []time.Time{confirmedAt, signedInAt} {
		if !strings.Contains(notice, `datetime="`+at.Format(time.RFC3339)+`"`) {
			t.Errorf("the step-up notice does not show %s: %q", at, notice)
		}
	}
	if b.Cookie(sessionCookie).Value == oldSession {
		t.Error("the session kept its ID through the step-up")
	}
}

// A step-up answered by another user's passkey is refused: by passbridge
// when the request is bound to the user (login_hint), and by the app when
// someone removed the hint from the request on its way through the
// browser. Either way the session stays as it was.
func TestStepUpByAnotherUser(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{BackupEligible: true})
	b.Register("alice")
	b.Register("bob")
	bob := softauthn.WithCredential(b.Auth.Credentials()[1].ID)
	first := b.signIn("/login") // the oldest passkey: alice's
	if first.Claim(t, "sub") != "alice" {
		t.Fatalf("signed in as %q", first.Claim(t, "sub"))
	}
	s.Clock.Advance(30 * time.Second)

	// The request as the app sent it: passbridge refuses bob's passkey.
	id := b.authRequestID(b.open("/login?step_up=1"))
	refused := b.complete(id, b.Authenticate(map[string]any{}, bob))
	if refused.Status != http.StatusForbidden || refused.URL.Host != strings.TrimPrefix(s.Issuer, "http://") {
		t.Fatalf("bob's passkey for alice's step-up at passbridge: %d %s", refused.Status, refused.URL)
	}

	// The request without its login_hint: passbridge runs a discoverable
	// ceremony and signs bob in; the app refuses the answer.
	b.StopWhen(func(u *url.URL) bool { return u.Path == "/authorize" })
	authorize := b.open("/login?step_up=1").Location(t)
	b.StopWhen(nil)
	q := authorize.Query()
	q.Del("login_hint")
	authorize.RawQuery = q.Encode()
	id = b.authRequestID(b.open(authorize.String()))
	p := b.complete(id, b.Passkey(id, bob))
	if p.Status != http.StatusForbidden || p.ErrorCode() != "step_up_refused" || !strings.Contains(p.Body, "another account") {
		t.Fatalf("bob's answer to alice's step-up: %d %s %s", p.Status, p.URL, p.Summary())
	}

	after := b.open("/")
	if !after.signedIn() || after.Claim(t, "sub") != "alice" || !after.AuthTime(t).Equal(first.AuthTime(t)) ||
		strings.Contains(after.Body, `id="step-up"`) {
		t.Fatalf("alice's session after the refused step-up: %s", after.Summary())
	}
}

// With STEP_UP_ACR=phrh a step-up needs a device-bound passkey: a synced
// one ends in passbridge's unmet_authentication_requirements, which the
// page explains; a device-bound one confirms with acr phrh.
func TestStepUpDeviceBound(t *testing.T) {
	s := startStackWith(t, stackOptions{stepUpACR: "phrh"})

	synced := s.newBrowser(softauthn.Options{BackupEligible: true})
	synced.Register("carol")
	synced.signIn("/login")
	p := synced.signIn("/login?step_up=1")
	if p.Status != http.StatusForbidden || p.ErrorCode() != "unmet_authentication_requirements" ||
		!strings.Contains(p.Body, "still signed in as before") {
		t.Fatalf("step-up with a synced passkey for phrh: %d %s %s", p.Status, p.URL, p.Summary())
	}
	if q := synced.LastRequest(s.Issuer, "/authorize").Query(); q.Get("acr_values") != "phrh" {
		t.Errorf("acr_values %q, want phrh", q.Get("acr_values"))
	}
	if after := synced.open("/"); !after.signedIn() || after.Claim(t, "acr") != "phr" {
		t.Fatalf("carol's session after the failed step-up: %s", after.Summary())
	}

	bound := s.newBrowser(softauthn.Options{})
	bound.Register("dave")
	bound.signIn("/login")
	s.Clock.Advance(time.Second)
	p = bound.signIn("/login?step_up=1")
	if !p.signedIn() || p.Claim(t, "acr") != "phrh" || !strings.Contains(p.Body, `id="step-up"`) {
		t.Fatalf("step-up with a device-bound passkey: %d %s", p.Status, p.Summary())
	}
}

// An error passbridge sends back instead of a code is shown as such: here
// the client requires device-bound passkeys (clients update --require-acr
// phrh) and the user has a synced one.
func TestProviderError(t *testing.T) {
	s := startStack(t)
	s.updateClient(func(c *storage.Client) { c.RequireACR = "phrh" })
	b := s.newBrowser(softauthn.Options{BackupEligible: true})
	b.Register("erin")
	p := b.signIn("/login")
	if p.Status != http.StatusForbidden || p.ErrorCode() != "unmet_authentication_requirements" ||
		!strings.Contains(p.Body, "not meet what this app requires") {
		t.Fatalf("sign-in below the client's acr: %d %s %s", p.Status, p.URL, p.Summary())
	}
	if after := b.open("/"); !after.signedOut() {
		t.Fatalf("signed in after a refused sign-in: %s", after.Summary())
	}
}
