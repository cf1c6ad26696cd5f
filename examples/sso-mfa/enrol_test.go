package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// The whole journey: the password, then (no passkey yet) an enrolment
// through prompt=create with a request object the app signed; the ID
// token's sub is the app's user ID and the session is MFA-complete. The
// next sign-in takes the password and a step-up with that passkey.
func TestEnrolThenStepUp(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{BackupEligible: true, BackedUp: true})

	// The password sends the browser straight on to passbridge's page, in
	// registration mode, for alice.
	atPB := b.signInWithPassword("alice", s.passwords["alice"])
	id := b.authRequestID(atPB)
	passwordSession := b.Cookie(sessionCookie).Value
	if mode := b.CeremonyInfo(id)["mode"]; mode != "register" {
		t.Fatalf("passbridge's page is in %v mode, want register", mode)
	}

	// The authorization request: code flow, PKCE S256, state, and the
	// enrolment's parameters only inside the signed request object.
	q := b.LastRequest(s.Issuer, "/authorize").Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": s.client.ID,
		"redirect_uri": s.site + "/callback", "scope": "openid", "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Errorf("authorize %s=%q, want %q", k, q.Get(k), want)
		}
	}
	for _, k := range []string{"login_hint", "prompt", "acr_values", "max_age"} {
		if q.Has(k) {
			t.Errorf("the enrolment sent %s=%q outside the request object", k, q.Get(k))
		}
	}
	claims := verifyRequestObject(t, q.Get("request"), s.secret)
	now := s.Clock.Now()
	for k, want := range map[string]any{"iss": s.client.ID, "aud": s.Issuer, "client_id": s.client.ID,
		"login_hint": "u-alice", "prompt": "create", "response_type": "code", "scope": "openid",
		"redirect_uri": s.site + "/callback", "state": q.Get("state"), "code_challenge": q.Get("code_challenge"),
		"code_challenge_method": "S256"} {
		if claims[k] != want {
			t.Errorf("request object %s=%v, want %v", k, claims[k], want)
		}
	}
	if jti, _ := claims["jti"].(string); len(jti) < 26 {
		t.Errorf("request object jti %q: not a random value", jti)
	}
	if nonce, _ := claims["nonce"].(string); len(nonce) < 26 {
		t.Errorf("request object nonce %q: not a random value", nonce)
	}
	exp := time.Unix(int64(claims["exp"].(float64)), 0)
	if d := exp.Sub(now); d < 4*time.Minute || d > 5*time.Minute {
		t.Errorf("request object expires in %s, want 5 minutes", d)
	}

	p := b.complete(id, b.Passkey(id))
	if !p.signedIn() || p.URL.String() != s.site+"/" {
		t.Fatalf("after the enrolment: %d %s %s", p.Status, p.URL, p.Summary())
	}
	if got := p.Claim(t, "sub"); got != "u-alice" {
		t.Errorf("sub %q, want u-alice", got)
	}
	if got := p.Claim(t, "acr"); got != "phr" {
		t.Errorf("acr %q, want phr", got)
	}
	if !strings.Contains(p.Body, `id="enrolled"`) {
		t.Error("the page does not say the passkey was set up")
	}
	if s.user("u-alice").PasskeyEnrolledAt == nil {
		t.Error("the users file does not record alice's enrolment")
	}
	if n := len(s.devices("u-alice")); n != 1 {
		t.Errorf("passbridge has %d passkeys of alice's, want 1", n)
	}
	mfaSession := b.Cookie(sessionCookie)
	if mfaSession.Value == passwordSession || mfaSession.MaxAge != int(sessionLifetime/time.Second) {
		t.Errorf("the MFA-complete session: same ID %v, Max-Age %d", mfaSession.Value == passwordSession, mfaSession.MaxAge)
	}
	for _, name := range []string{flowCookie, sessionCookie, loginCookie} {
		c := b.Cookie(name)
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Errorf("cookie %s: HttpOnly %v SameSite %v Path %q", name, c.HttpOnly, c.SameSite, c.Path)
		}
	}

	// Sign out, and in again: the password, then a step-up with the
	// passkey alice has (never a second enrolment).
	b.press(p, "/logout")
	s.Clock.Advance(90 * time.Second)
	atPB = b.signInWithPassword("alice", s.passwords["alice"])
	id = b.authRequestID(atPB)
	q = b.LastRequest(s.Issuer, "/authorize").Query()
	for k, want := range map[string]string{"login_hint": "u-alice", "acr_values": "phr", "prompt": "login",
		"max_age": "0", "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Errorf("step-up authorize %s=%q, want %q", k, q.Get(k), want)
		}
	}
	if q.Has("request") || len(q.Get("nonce")) < 26 || len(q.Get("state")) < 26 {
		t.Errorf("step-up authorize: request %v, nonce %q, state %q", q.Has("request"), q.Get("nonce"), q.Get("state"))
	}
	// The browser holds no session of passbridge's since the sign-out, so
	// passbridge does not bind the ceremony to the login_hint (a bound one
	// would tell whoever wrote the hint whether alice has passkeys): it is
	// discoverable, and passbridge checks its passkey against the hint
	// (TestStepUpByAnotherUser).
	info := b.CeremonyInfo(id)
	if info["mode"] != "authenticate" || info["transaction_id"] != nil {
		t.Fatalf("the step-up's ceremony is not a discoverable authentication: %v", info)
	}
	again := b.complete(id, b.Passkey(id))
	if !again.signedIn() || again.Claim(t, "sub") != "u-alice" || strings.Contains(again.Body, `id="enrolled"`) {
		t.Fatalf("after the step-up: %d %s %s", again.Status, again.URL, again.Summary())
	}
	if again.AuthTime(t).Sub(p.AuthTime(t)) < 90*time.Second {
		t.Errorf("auth_time %s, at the enrolment %s: did not move", again.AuthTime(t), p.AuthTime(t))
	}
	if n := len(s.devices("u-alice")); n != 1 {
		t.Errorf("passbridge has %d passkeys of alice's after signing in again, want 1", n)
	}

	// A sensitive action asks for the passkey again, now.
	s.Clock.Advance(time.Minute)
	before := b.Cookie(sessionCookie).Value
	id = b.authRequestID(b.press(again, "/sensitive"))
	if q := b.LastRequest(s.Issuer, "/authorize").Query(); q.Get("prompt") != "login" || q.Get("login_hint") != "u-alice" {
		t.Errorf("sensitive action's authorize: %v", q)
	}
	done := b.complete(id, b.Passkey(id))
	if !done.signedIn() || !strings.Contains(done.Body, `id="sensitive-done"`) {
		t.Fatalf("after the sensitive action: %d %s %s", done.Status, done.URL, done.Summary())
	}
	if done.AuthTime(t).Sub(again.AuthTime(t)) < time.Minute {
		t.Errorf("auth_time did not move for the sensitive action")
	}
	if b.Cookie(sessionCookie).Value == before {
		t.Error("the session kept its ID through the step-up")
	}
}

// verifyRequestObject checks a request object's header and HS256
// signature with the client secret, and returns its claims.
func verifyRequestObject(t *testing.T, raw, secret string) map[string]any {
	t.Helper()
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatalf("request object: %v", err)
	}
	if typ := jws.Signatures[0].Protected.ExtraHeaders["typ"]; typ != "oauth-authz-req+jwt" {
		t.Errorf("request object typ %v", typ)
	}
	payload, err := jws.Verify([]byte(secret))
	if err != nil {
		t.Fatalf("request object signature: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// A bare login_hint never enrols: the enrolment's authorization request
// without its signed request object (prompt=create and login_hint in the
// query instead) is refused by passbridge (invalid_request), for a user it
// knows and for one it does not, and the app explains it. The request object itself is
// single-use, short-lived and cannot be changed.
func TestEnrolNeedsSignedRequest(t *testing.T) {
	s := startStack(t)
	b := s.newBrowser(softauthn.Options{BackupEligible: true})
	if p := b.signIn("alice"); !p.signedIn() {
		t.Fatalf("alice's enrolment: %s", p.Summary())
	}
	b.press(b.open("/"), "/logout")

	// An administrator resets alice's MFA in the app (the users file): her
	// next sign-in enrols again. Someone between the browser and
	// passbridge swaps the signed request for a bare login_hint.
	s.forgetEnrolment("u-alice")
	authorize := b.enrolmentRequest("alice")
	bare := withoutRequestObject(t, authorize, "u-alice")
	p := b.open(bare.String())
	if p.Status != http.StatusBadRequest || p.ErrorCode() != "invalid_request" || p.URL.Path != callbackPath ||
		!strings.Contains(p.Body, "only when this app signs the request") ||
		!strings.Contains(p.Body, "needs a request object") {
		t.Fatalf("an unsigned enrolment of a user passbridge knows: %d %s %s", p.Status, p.URL, p.Summary())
	}
	if n := len(s.devices("u-alice")); n != 1 {
		t.Errorf("alice has %d passkeys, want her one", n)
	}
	home := b.open("/")
	if home.state() != statePasswordOnly || s.user("u-alice").PasskeyEnrolledAt != nil {
		t.Fatalf("after the refusal the page is %q, want password-only", home.state())
	}
	// The request as the app signed it adds her new passkey (on a new
	// device: she lost the old one, which is why her MFA was reset).
	b.Auth = softauthn.New(softauthn.Options{BackupEligible: true})
	if p := b.atPassbridge(b.press(home, "/mfa")); !p.signedIn() || p.Claim(t, "sub") != "u-alice" {
		t.Fatalf("alice's signed enrolment after the reset: %d %s", p.Status, p.Summary())
	}
	if n := len(s.devices("u-alice")); n != 2 {
		t.Errorf("alice has %d passkeys after enrolling again, want 2", n)
	}

	// carol, whom passbridge does not know: the same refusal (an unsigned
	// login_hint never makes a user either).
	c := s.newBrowser(softauthn.Options{BackupEligible: true})
	p = c.open(withoutRequestObject(t, c.enrolmentRequest("carol"), "u-carol").String())
	if p.Status != http.StatusBadRequest || p.ErrorCode() != "invalid_request" || !strings.Contains(p.Body, "needs a request object") {
		t.Fatalf("an unsigned enrolment of a user passbridge does not know: %d %s %s", p.Status, p.URL, p.Summary())
	}
	if s.user("u-carol").PasskeyEnrolledAt != nil || len(s.devices("u-carol")) != 0 {
		t.Error("carol was enrolled without a signed request")
	}

	// The signed request, used once, is refused the second time.
	c = s.newBrowser(softauthn.Options{BackupEligible: true})
	authorize = c.enrolmentRequest("carol")
	id := c.authRequestID(c.open(authorize.String()))
	replayed := c.open(authorize.String())
	if replayed.Status != http.StatusBadRequest || !strings.Contains(replayed.Body, "invalid_request_object") ||
		!strings.Contains(replayed.Body, "used already") {
		t.Errorf("a replayed request object: %d %s", replayed.Status, replayed.Body)
	}
	if done := c.complete(id, c.Passkey(id)); !done.signedIn() || done.Claim(t, "sub") != "u-carol" {
		t.Fatalf("carol's enrolment after the replay: %s", done.Summary())
	}

	// One that expired, or whose login_hint was changed, is refused.
	d := s.newBrowser(softauthn.Options{})
	stale := d.enrolmentRequest("bob")
	s.Clock.Advance(requestObjectLifetime + time.Second)
	if p := d.open(stale.String()); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "expired") {
		t.Errorf("an expired request object: %d %s", p.Status, p.Body)
	}
	e := s.newBrowser(softauthn.Options{})
	forged := e.enrolmentRequest("bob")
	q := forged.Query()
	q.Set("request", tamper(t, q.Get("request"), "login_hint", "u-alice"))
	forged.RawQuery = q.Encode()
	if p := e.open(forged.String()); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "signature does not verify") {
		t.Errorf("a request object with another login_hint: %d %s", p.Status, p.Body)
	}
}

// enrolmentRequest signs username in with their password and returns the
// authorization request the app sends the browser to, without following
// it.
func (b *browser) enrolmentRequest(username string) *url.URL {
	b.t.Helper()
	b.StopWhen(func(u *url.URL) bool { return u.Path == "/authorize" })
	defer b.StopWhen(nil)
	u := b.signInWithPassword(username, b.s.passwords[username]).Location(b.t)
	if !u.Query().Has("request") {
		b.t.Fatalf("%s's passkey step is not an enrolment: %s", username, u)
	}
	return u
}

// withoutRequestObject is an enrolment's authorization request with its
// request object replaced by the bare parameters: prompt=create and
// login_hint in the query.
func withoutRequestObject(t *testing.T, authorize *url.URL, userID string) *url.URL {
	t.Helper()
	u := *authorize
	q := u.Query()
	q.Del("request")
	q.Set("prompt", "create")
	q.Set("login_hint", userID)
	u.RawQuery = q.Encode()
	return &u
}

// tamper sets one claim of a JWS's payload and keeps the signature.
func tamper(t *testing.T, jws, claim, value string) string {
	t.Helper()
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", jws)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	claims[claim] = value
	if raw, err = json.Marshal(claims); err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}
