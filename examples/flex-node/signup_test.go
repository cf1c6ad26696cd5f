//go:build e2e

package flexnode

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// The sign-up rules, replayed over HTTP with a software authenticator
// against the example's Node.js process and a real passbridge: a register
// nonce counts only for the browser that reserved the username and only as
// the account's first passkey; signed in, only for the session's own
// account; a refused passkey is removed at passbridge.
func TestFlexNodeSignUpRules(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := startStack(t, engine)

		t.Run("held transaction finished by another browser", func(t *testing.T) {
			victim, attacker := newPerson(t, s), newPerson(t, s)
			// The victim's browser reserves the username; the transaction
			// reaches the attacker, whose browser holds a reservation of
			// its own, of another username.
			held := victim.startSignUp("victim")
			attacker.startSignUp("attacker")
			attacker.mustRefuse("/api/verify", map[string]string{"nonce": attacker.registerPasskey(held)}, "passkey_not_accepted", "")
			if ids := s.deviceIDs(t, "victim"); len(ids) != 0 {
				t.Fatalf("victim has passkeys %v after the refused sign-up, want none: the refused one is removed", ids)
			}
			if status, _ := attacker.authenticate(""); status == http.StatusOK {
				t.Fatal("the refused passkey still signs in at passbridge")
			}
			// The victim's browser asks again (its reservation is its own)
			// and signs up.
			victim.signUp("victim")
			if who := victim.signedInAs(); who != "victim" {
				t.Fatalf("victim's sign-up left them signed in as %q", who)
			}
		})

		t.Run("taken username", func(t *testing.T) {
			// The account exists (previous subtest): another browser cannot
			// sign it up again, not even once its passkeys are all revoked.
			other := newPerson(t, s)
			status, out := other.site("/api/register", map[string]string{"username": "victim"})
			if status != http.StatusConflict || out["code"] != "username_taken" {
				t.Fatalf("sign-up of an existing account: %d %v, want 409 username_taken", status, out)
			}
			for _, id := range s.deviceIDs(t, "victim") {
				s.revoke(t, "victim", id)
			}
			status, out = other.site("/api/register", map[string]string{"username": "victim"})
			if status != http.StatusConflict || out["code"] != "username_taken" {
				t.Fatalf("sign-up of an existing account without passkeys: %d %v, want 409 username_taken", status, out)
			}
			// A reservation by another browser takes the username too.
			newPerson(t, s).startSignUp("reserved")
			status, out = other.site("/api/register", map[string]string{"username": "reserved"})
			if status != http.StatusConflict || out["code"] != "username_taken" {
				t.Fatalf("sign-up during another browser's reservation: %d %v, want 409 username_taken", status, out)
			}
		})

		t.Run("a sign-up nonce whose passkey is not the account's only one", func(t *testing.T) {
			// The reserving browser asked twice; the first transaction went
			// astray and someone registered a passkey with it. The sign-up
			// nonce's passkey is then not the account's only one: refused,
			// and removed; the reservation stays this browser's.
			dave, stray := newPerson(t, s), newPerson(t, s)
			leaked := dave.startSignUp("dave")
			tx := dave.startSignUp("dave")
			stray.registerPasskey(leaked)
			dave.mustRefuse("/api/verify", map[string]string{"nonce": dave.registerPasskey(tx)}, "passkey_not_accepted", "")
			if ids := s.deviceIDs(t, "dave"); len(ids) != 1 {
				t.Fatalf("dave has passkeys %v, want only the stray one left", ids)
			}
			if status, out := newPerson(t, s).site("/api/register", map[string]string{"username": "dave"}); status != http.StatusConflict {
				t.Fatalf("another browser's sign-up of dave: %d %v, want 409", status, out)
			}
		})

		t.Run("signed in, another account's register nonce", func(t *testing.T) {
			mallory := newPerson(t, s)
			mallory.signUp("mallory")
			held := newPerson(t, s).startSignUp("zed")
			mallory.mustRefuse("/api/verify", map[string]string{"nonce": mallory.registerPasskey(held)}, "passkey_not_accepted", "mallory")
			if ids := s.deviceIDs(t, "zed"); len(ids) != 0 {
				t.Fatalf("zed has passkeys %v after the refusal, want none", ids)
			}
		})

		t.Run("passkey the account never accepted", func(t *testing.T) {
			// A passkey registered for a sign-up whose nonce never came back
			// is the user's at passbridge, but no account accepted it.
			walker := newPerson(t, s)
			walker.registerPasskey(walker.startSignUp("walker"))
			ids := s.deviceIDs(t, "walker")
			if len(ids) != 1 {
				t.Fatalf("walker has %d passkeys at passbridge, want 1", len(ids))
			}
			walker.mustRefuse("/api/verify", map[string]string{"nonce": walker.signInNonce()}, "passkey_not_accepted", "")
			if left := s.deviceIDs(t, "walker"); len(left) != 0 {
				t.Fatalf("the refused passkey is still at passbridge: %v", left)
			}
		})

		t.Run("add a passkey to one's own account", func(t *testing.T) {
			erin := newPerson(t, s)
			erin.signUp("erin")
			laptop := newPerson(t, s)
			laptop.http = erin.http // the same browser, another authenticator
			if status, out := laptop.verify(laptop.registerPasskey(laptop.transaction("/api/register", map[string]string{}))); status != http.StatusOK {
				t.Fatalf("add a passkey: %d %v", status, out)
			}
			ids := s.deviceIDs(t, "erin")
			if len(ids) != 2 || !s.accepted(t, "erin", ids[0]) || !s.accepted(t, "erin", ids[1]) {
				t.Fatalf("erin's passkeys %v, want 2 accepted", ids)
			}
			// The new passkey signs in from a browser of its own.
			fresh := newPerson(t, s)
			fresh.auth = laptop.auth
			if status, out := fresh.verify(fresh.signInNonce()); status != http.StatusOK || fresh.signedInAs() != "erin" {
				t.Fatalf("sign-in with the added passkey: %d %v", status, out)
			}
		})
	})
}

// Confirming "Delete my data" with a passkey: the good path, then each
// refusal, with nothing recorded.
func TestFlexNodeConfirmation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := startStack(t, engine)
		alice, bob := newPerson(t, s), newPerson(t, s)
		alice.signUp("alice")
		bob.signUp("bob")

		confirm := func(p *person, nonce string) (int, map[string]any) {
			return p.site("/api/delete-data", map[string]string{"nonce": nonce})
		}
		confirmedAt := func(p *person) any {
			_, out := p.do(http.MethodGet, s.site+"/api/me", nil, nil)
			return out["data_deletion_confirmed_at"]
		}

		// Never asked for: refused, and the nonce is used up all the same.
		_, nonce := alice.authenticate(alice.transaction("/api/authenticate", map[string]string{"username": "alice"}))
		alice.mustRefuse("/api/delete-data", map[string]string{"nonce": nonce}, "confirmation_expired", "alice")

		// Another user's nonce.
		alice.transaction("/api/delete-data/start", map[string]string{})
		_, bobs := bob.authenticate(bob.transaction("/api/delete-data/start", map[string]string{}))
		alice.mustRefuse("/api/delete-data", map[string]string{"nonce": bobs}, "confirmation_refused", "alice",
			"this passkey belongs to another account")

		// A register nonce: a new passkey proves nothing; it is removed.
		alice.transaction("/api/delete-data/start", map[string]string{})
		before := s.deviceIDs(t, "alice")
		stranger := newPerson(t, s)
		stranger.http = alice.http
		reg := stranger.registerPasskey(stranger.transaction("/api/register", map[string]string{}))
		alice.mustRefuse("/api/delete-data", map[string]string{"nonce": reg}, "confirmation_refused", "alice",
			"confirm with one of your passkeys, not by creating a new one")
		if after := s.deviceIDs(t, "alice"); !slices.Equal(after, before) {
			t.Fatalf("alice's passkeys %v after the refused register nonce, want %v", after, before)
		}
		if at := confirmedAt(alice); at != nil {
			t.Fatalf("a refused confirmation recorded a deletion at %v", at)
		}

		// The good path: her own passkey, bound to her transaction.
		tx := alice.transaction("/api/delete-data/start", map[string]string{})
		_, nonce = alice.authenticate(tx)
		if status, out := confirm(alice, nonce); status != http.StatusOK || out["data_deletion_confirmed_at"] == nil {
			t.Fatalf("confirm: %d %v", status, out)
		}
		if at := confirmedAt(alice); at == nil {
			t.Fatal("the confirmed deletion is not recorded")
		}
		// The same nonce again: the confirmation was used.
		alice.mustRefuse("/api/delete-data", map[string]string{"nonce": nonce}, "confirmation_expired", "alice")
		if at := confirmedAt(bob); at != nil {
			t.Fatalf("bob's account records a deletion at %v", at)
		}
	})
}

// Every call that changes something is refused when another site's page
// makes it, before it runs.
func TestFlexNodeCrossOrigin(t *testing.T) {
	s := startStack(t, engines[0])
	alice := newPerson(t, s)
	alice.signUp("alice")
	calls := []struct{ method, path string }{
		{http.MethodPost, "/api/register"},
		{http.MethodPost, "/api/authenticate"},
		{http.MethodPost, "/api/verify"},
		{http.MethodPost, "/api/signout"},
		{http.MethodPatch, "/api/devices/x"},
		{http.MethodDelete, "/api/devices/x"},
		{http.MethodPost, "/api/delete-data/start"},
		{http.MethodPost, "/api/delete-data"},
	}
	for _, c := range calls {
		for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "http://evil.example"}} {
			status, out := alice.do(c.method, s.site+c.path, map[string]string{}, h)
			if status != http.StatusForbidden || out["code"] != "cross_origin_request" {
				t.Errorf("%s %s with %v: %d %v, want 403 cross_origin_request", c.method, c.path, h, status, out)
			}
		}
	}
	if who := alice.signedInAs(); who != "alice" {
		t.Fatalf("after the cross-site calls signed in as %q, want alice", who)
	}
	// The site's own page (same-origin) is let through.
	status, _ := alice.do(http.MethodPost, s.site+"/api/signout", map[string]string{}, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if status != http.StatusNoContent || alice.signedInAs() != "" {
		t.Fatalf("same-origin sign-out: %d, signed in as %q", status, alice.signedInAs())
	}
}

// The reservation cookie's attributes; Secure when a proxy says the browser
// came over HTTPS.
func TestFlexNodeCookies(t *testing.T) {
	s := startStack(t, engines[0])
	for _, c := range []struct {
		name, proto string
		secure      bool
	}{{"plain HTTP", "", false}, {"behind HTTPS", "https", true}} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.site+"/api/register",
				strings.NewReader(`{"username":"cookie-`+c.proto+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if c.proto != "" {
				req.Header.Set("X-Forwarded-Proto", c.proto)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			cookies := res.Cookies()
			if res.StatusCode != http.StatusOK || len(cookies) != 1 {
				t.Fatalf("POST /api/register: %d, cookies %v", res.StatusCode, cookies)
			}
			k := cookies[0]
			if k.Name != "flexnode_signup" || !k.HttpOnly || k.SameSite != http.SameSiteLaxMode || k.Path != "/api/" ||
				k.Secure != c.secure || k.MaxAge != 600 {
				t.Errorf("cookie %+v; want flexnode_signup, HttpOnly, SameSite=Lax, Path=/api/, Secure %v, 10 minutes", k, c.secure)
			}
		})
	}
}
