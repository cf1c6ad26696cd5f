package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// person is someone using the example site from a browser of their own
// (a cookie jar) with a passkey provider of their own, driving the site's
// API and passbridge's client API over HTTP as the page's script does.
type person struct {
	t    *testing.T
	s    *stack
	http *http.Client
	auth *softauthn.Authenticator
}

func newPerson(t *testing.T, s *stack) *person {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &person{t: t, s: s, http: &http.Client{Jar: jar},
		auth: softauthn.New(softauthn.Options{BackupEligible: true, BackedUp: true})}
}

// call posts body as JSON to url and returns the status and decoded answer.
func (p *person) call(url string, body any, origin string) (int, map[string]any) {
	p.t.Helper()
	return p.do(http.MethodPost, url, body, origin)
}

// do sends body (nil: none) as JSON to url with method and returns the
// status and decoded answer.
func (p *person) do(method, url string, body any, origin string) (int, map[string]any) {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			p.t.Fatal(err)
		}
		if b, ok := body.([]byte); ok {
			raw = b
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(p.t.Context(), method, url, rd)
	if err != nil {
		p.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := p.http.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(answer, &out)
	return res.StatusCode, out
}

// site calls the example's API.
func (p *person) site(path string, body any) (int, map[string]any) {
	p.t.Helper()
	return p.call(p.s.site+path, body, "")
}

// startSignUp asks the site to sign name up and returns the transaction.
func (p *person) startSignUp(name string) string {
	p.t.Helper()
	status, out := p.site("/api/register", map[string]string{"username": name})
	if status != http.StatusOK {
		p.t.Fatalf("sign up %s: %d %v", name, status, out)
	}
	return out["transaction_id"].(string)
}

// registerPasskey runs the browser's side of a registration for tx with
// passbridge and returns the nonce.
func (p *person) registerPasskey(tx string) string {
	p.t.Helper()
	// passbridge lists passkeys in the order they were made; its clock
	// moves only when a test moves it.
	p.s.Clock.Advance(time.Second)
	client := p.s.Issuer + "/v1/apps/" + p.s.appID + "/register/transactions/webauthn/"
	status, out := p.call(client+"start", map[string]string{"transaction_id": tx}, p.s.site)
	if status != http.StatusOK {
		p.t.Fatalf("register start: %d %v", status, out)
	}
	hs := out["handshake"].(map[string]any)
	options, _ := json.Marshal(hs["challenge"].(map[string]any)["publicKey"])
	resp, _, err := p.auth.Register(options, p.s.site)
	if err != nil {
		p.t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"transaction_id": tx, "handshake_id": hs["id"], "handshake_response": json.RawMessage(resp)})
	status, out = p.call(client+"finish", body, p.s.site)
	if status != http.StatusOK {
		p.t.Fatalf("register finish: %d %v", status, out)
	}
	return out["nonce"].(string)
}

// signIn runs a discoverable sign-in with the person's passkey and returns
// passbridge's status of the finish and the nonce.
func (p *person) signIn() (int, string) {
	p.t.Helper()
	client := p.s.Issuer + "/v1/apps/" + p.s.appID + "/authenticate/transactions/webauthn/"
	status, out := p.call(client+"start", map[string]string{}, p.s.site)
	if status != http.StatusOK {
		p.t.Fatalf("authenticate start: %d %v", status, out)
	}
	hs := out["handshake"].(map[string]any)
	options, _ := json.Marshal(hs["challenge"].(map[string]any)["publicKey"])
	resp, err := p.auth.Authenticate(options, p.s.site)
	if err != nil {
		p.t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"handshake_id": hs["id"], "handshake_response": json.RawMessage(resp)})
	status, out = p.call(client+"finish", body, p.s.site)
	nonce, _ := out["nonce"].(string)
	return status, nonce
}

// signInNonce is signIn that must succeed at passbridge.
func (p *person) signInNonce() string {
	p.t.Helper()
	status, nonce := p.signIn()
	if status != http.StatusOK {
		p.t.Fatalf("authenticate finish: %d", status)
	}
	return nonce
}

// verify hands a nonce to the site and returns its answer.
func (p *person) verify(nonce string) (int, map[string]any) {
	p.t.Helper()
	return p.site("/api/verify", map[string]string{"nonce": nonce})
}

// signedInAs is who the site says the person is ("" when signed out).
func (p *person) signedInAs() string {
	p.t.Helper()
	req, _ := http.NewRequestWithContext(p.t.Context(), http.MethodGet, p.s.site+"/api/me", nil)
	res, err := p.http.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	var me struct {
		Username string `json:"username"`
	}
	_ = json.NewDecoder(res.Body).Decode(&me)
	return me.Username
}

// clock is the example app's clock in these tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// mustRefuse checks that the site refused a nonce and signed nobody in.
func mustRefuse(t *testing.T, p *person, nonce string) {
	t.Helper()
	status, out := p.verify(nonce)
	if status != http.StatusForbidden || out["code"] != "passkey_not_accepted" {
		t.Fatalf("verify: %d %v, want 403 passkey_not_accepted", status, out)
	}
	if who := p.signedInAs(); who != "" {
		t.Fatalf("the refused nonce signed the person in as %q", who)
	}
}

// The attack: someone asks to sign up as victim and holds the register
// transaction; the reservation lapses and the real victim signs up; then the
// attacker finishes the held transaction. It must not sign the attacker in,
// and the attacker's passkey must not stay on the victim's account: not for
// a sign-in later either.
func TestSignUpHeldTransactionAfterVictimSignedUp(t *testing.T) {
	c := &clock{t: time.Now()}
	// passbridge's transactions outlive the site's reservation here: the
	// worst case of an app that lengthened them.
	s := startStackWith(t, stackOptions{now: c.now, transactionTTL: time.Hour})
	attacker, victim := newPerson(t, s), newPerson(t, s)

	held := attacker.startSignUp("victim")
	// Meanwhile the username is the attacker's reservation.
	if status, out := victim.site("/api/register", map[string]string{"username": "victim"}); status != http.StatusConflict || out["code"] != "username_taken" {
		t.Fatalf("sign up during another browser's reservation: %d %v, want 409 username_taken", status, out)
	}

	c.advance(reservationLifetime + time.Second)
	nonce := victim.registerPasskey(victim.startSignUp("victim"))
	if status, out := victim.verify(nonce); status != http.StatusOK || victim.signedInAs() != "victim" {
		t.Fatalf("victim's sign-up: %d %v", status, out)
	}

	stolen := attacker.registerPasskey(held) // passbridge registers it: the transaction is valid
	mustRefuse(t, attacker, stolen)
	if got := s.devices(t, "victim"); len(got) != 1 {
		t.Fatalf("victim has %d passkeys after the refused sign-up, want only their own", len(got))
	}
	// The attacker's passkey was removed, so it cannot sign in either.
	if status, _ := attacker.signIn(); status == http.StatusOK {
		t.Fatal("the attacker's refused passkey still signs in at passbridge")
	}
	// The victim still signs in with their own passkey.
	victim.site("/api/signout", map[string]string{})
	if status, out := victim.verify(victim.signInNonce()); status != http.StatusOK || victim.signedInAs() != "victim" {
		t.Fatalf("victim's sign-in: %d %v", status, out)
	}
}

// The held transaction finished while the victim's own sign-up is under
// way: the reservation is the victim's browser's, so the attacker's nonce is
// refused, and the victim's sign-up still completes.
func TestSignUpHeldTransactionDuringVictimsSignUp(t *testing.T) {
	c := &clock{t: time.Now()}
	s := startStackWith(t, stackOptions{now: c.now, transactionTTL: time.Hour})
	attacker, victim := newPerson(t, s), newPerson(t, s)

	held := attacker.startSignUp("victim")
	c.advance(reservationLifetime + time.Second)
	tx := victim.startSignUp("victim")

	mustRefuse(t, attacker, attacker.registerPasskey(held))
	if status, out := victim.verify(victim.registerPasskey(tx)); status != http.StatusOK || victim.signedInAs() != "victim" {
		t.Fatalf("victim's sign-up: %d %v", status, out)
	}
	if got := s.devices(t, "victim"); len(got) != 1 {
		t.Fatalf("victim has %d passkeys, want 1", len(got))
	}
}

// A passkey registered through a held sign-up but never verified is not a
// way in either: signing in with it is refused, and it is removed.
func TestSignInWithPasskeyOfUnfinishedSignUp(t *testing.T) {
	c := &clock{t: time.Now()}
	s := startStackWith(t, stackOptions{now: c.now, transactionTTL: time.Hour})
	attacker, victim := newPerson(t, s), newPerson(t, s)

	held := attacker.startSignUp("victim")
	c.advance(reservationLifetime + time.Second)
	tx := victim.startSignUp("victim")
	attacker.registerPasskey(held) // the nonce is thrown away
	mustRefuse(t, attacker, attacker.signInNonce())

	if status, out := victim.verify(victim.registerPasskey(tx)); status != http.StatusOK || victim.signedInAs() != "victim" {
		t.Fatalf("victim's sign-up: %d %v", status, out)
	}
	if got := s.devices(t, "victim"); len(got) != 1 {
		t.Fatalf("victim has %d passkeys, want 1", len(got))
	}
}

// An account that exists, with or without passkeys left, cannot be signed
// up again; a signed-in person cannot add a passkey to another account.
func TestSignUpOfExistingAccount(t *testing.T) {
	s := startStack(t)
	victim, attacker := newPerson(t, s), newPerson(t, s)
	if status, out := victim.verify(victim.registerPasskey(victim.startSignUp("victim"))); status != http.StatusOK {
		t.Fatalf("victim's sign-up: %d %v", status, out)
	}
	// The victim's passkeys are all revoked (a lost phone): the account is
	// still the victim's.
	for _, d := range s.devices(t, "victim") {
		s.revoke(t, "victim", d["id"].(string))
	}
	if status, out := attacker.site("/api/register", map[string]string{"username": "victim"}); status != http.StatusConflict || out["code"] != "username_taken" {
		t.Fatalf("sign up of an existing account without passkeys: %d %v, want 409 username_taken", status, out)
	}

	// Signed in as itself, the attacker finishes another browser's sign-up
	// transaction for zed and brings its nonce: refused, still mallory.
	if status, out := attacker.verify(attacker.registerPasskey(attacker.startSignUp("mallory"))); status != http.StatusOK {
		t.Fatalf("mallory's sign-up: %d %v", status, out)
	}
	held := newPerson(t, s).startSignUp("zed")
	status, out := attacker.verify(attacker.registerPasskey(held))
	if status != http.StatusForbidden || out["code"] != "passkey_not_accepted" {
		t.Fatalf("verify of another account's register nonce while signed in: %d %v, want 403 passkey_not_accepted", status, out)
	}
	if who := attacker.signedInAs(); who != "mallory" {
		t.Fatalf("signed in as %q after the refusal, want still mallory", who)
	}
	if got := s.devices(t, "zed"); len(got) != 0 {
		t.Fatalf("zed has %d passkeys after the refusal, want none", len(got))
	}
}
