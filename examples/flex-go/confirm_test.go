package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// signUp signs name up with the person's passkey and leaves them signed in.
func (p *person) signUp(name string) {
	p.t.Helper()
	if status, out := p.verify(p.registerPasskey(p.startSignUp(name))); status != http.StatusOK {
		p.t.Fatalf("sign up %s: %d %v", name, status, out)
	}
}

// authenticate runs the browser's side of an authentication bound to tx
// with the person's passkey, as flex.passkey.authenticate({transactionId})
// does, and returns the nonce.
func (p *person) authenticate(tx string, mods ...softauthn.Mod) string {
	p.t.Helper()
	client := p.s.Issuer + "/v1/apps/" + p.s.appID + "/authenticate/transactions/webauthn/"
	status, out := p.call(client+"start", map[string]string{"transaction_id": tx}, p.s.site)
	if status != http.StatusOK {
		p.t.Fatalf("authenticate start: %d %v", status, out)
	}
	hs := out["handshake"].(map[string]any)
	options, _ := json.Marshal(hs["challenge"].(map[string]any)["publicKey"])
	resp, err := p.auth.Authenticate(options, p.s.site, mods...)
	if err != nil {
		p.t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"transaction_id": tx, "handshake_id": hs["id"], "handshake_response": json.RawMessage(resp)})
	status, out = p.call(client+"finish", body, p.s.site)
	if status != http.StatusOK {
		p.t.Fatalf("authenticate finish: %d %v", status, out)
	}
	return out["nonce"].(string)
}

// startDeleteData asks the site to confirm "Delete my data" and returns the
// authenticate transaction it created.
func (p *person) startDeleteData() string {
	p.t.Helper()
	status, out := p.site("/api/delete-data/start", map[string]string{})
	if status != http.StatusOK {
		p.t.Fatalf("start the confirmation: %d %v", status, out)
	}
	return out["transaction_id"].(string)
}

// deleteData brings the confirmation's nonce to "Delete my data".
func (p *person) deleteData(nonce string) (int, map[string]any) {
	p.t.Helper()
	return p.site("/api/delete-data", map[string]string{"nonce": nonce})
}

// accountPage is what GET /api/me answers the person.
type accountPage struct {
	Status                  int
	Username                string     `json:"username"`
	Devices                 []meDevice `json:"devices"`
	DataDeletionConfirmedAt *time.Time `json:"data_deletion_confirmed_at"`
}

func (p *person) account() accountPage {
	p.t.Helper()
	req, _ := http.NewRequestWithContext(p.t.Context(), http.MethodGet, p.s.site+"/api/me", nil)
	res, err := p.http.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	var out accountPage
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		p.t.Fatal(err)
	}
	out.Status = res.StatusCode
	return out
}

// mustNotDelete checks that a refused confirmation ran nothing.
func mustNotDelete(t *testing.T, p *person) {
	t.Helper()
	if at := p.account().DataDeletionConfirmedAt; at != nil {
		t.Fatalf("the refused confirmation ran the action: confirmed at %v", at)
	}
}

func TestConfirmDeleteData(t *testing.T) {
	c := &clock{t: time.Now()}
	s := startStackWith(t, stackOptions{now: c.now})
	alice := newPerson(t, s)
	alice.signUp("alice")
	mustNotDelete(t, alice)

	c.advance(time.Minute)
	nonce := alice.authenticate(alice.startDeleteData())
	c.advance(confirmationWindow - time.Minute)
	status, out := alice.deleteData(nonce)
	if status != http.StatusOK {
		t.Fatalf("confirmed deletion: %d %v", status, out)
	}
	at := alice.account().DataDeletionConfirmedAt
	if at == nil || !at.Equal(c.now()) {
		t.Fatalf("confirmed at %v, want %v", at, c.now())
	}
	if d := s.devices(t, "alice"); d[0]["usage_count"] != float64(1) {
		t.Errorf("the confirmation's passkey has usage_count %v, want 1", d[0]["usage_count"])
	}

	// Each request to confirm is good for one attempt, each nonce once.
	if status, out := alice.deleteData(nonce); status != http.StatusForbidden || out["code"] != "confirmation_expired" {
		t.Fatalf("the same nonce again: %d %v, want 403 confirmation_expired", status, out)
	}
	alice.startDeleteData()
	if status, out := alice.deleteData(nonce); status != http.StatusUnauthorized || out["code"] != "invalid_nonce" {
		t.Fatalf("a used nonce for a new confirmation: %d %v, want passbridge's 401 invalid_nonce", status, out)
	}

	// Signed out, nothing is confirmed.
	alice.site("/api/signout", map[string]string{})
	if status, out := alice.site("/api/delete-data/start", map[string]string{}); status != http.StatusUnauthorized || out["code"] != "not_signed_in" {
		t.Fatalf("start signed out: %d %v, want 401 not_signed_in", status, out)
	}
}

func TestConfirmDeleteDataRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts stackOptions
		// unasked: alice does not start a confirmation first.
		unasked bool
		// nonce runs what the case brings instead of alice's own
		// confirmation, after alice started one.
		nonce func(t *testing.T, s *stack, c *clock, alice *person) string
		// bob: the case signed bob up, whose passkey must stay.
		bob    bool
		status int
		code   string
	}{
		{
			name: "another user's nonce",
			nonce: func(t *testing.T, s *stack, _ *clock, _ *person) string {
				bob := newPerson(t, s)
				bob.signUp("bob")
				return bob.authenticate(bob.startDeleteData())
			},
			bob:    true,
			status: http.StatusForbidden, code: "confirmation_refused",
		},
		{
			name: "another user's sign-in nonce",
			nonce: func(t *testing.T, s *stack, _ *clock, _ *person) string {
				bob := newPerson(t, s)
				bob.signUp("bob")
				return bob.signInNonce()
			},
			bob:    true,
			status: http.StatusForbidden, code: "confirmation_refused",
		},
		{
			name: "a register nonce of alice's",
			nonce: func(t *testing.T, _ *stack, _ *clock, alice *person) string {
				status, out := alice.site("/api/register", map[string]string{})
				if status != http.StatusOK {
					t.Fatalf("add a passkey: %d %v", status, out)
				}
				alice.auth = softauthn.New(softauthn.Options{})
				return alice.registerPasskey(out["transaction_id"].(string))
			},
			status: http.StatusForbidden, code: "confirmation_refused",
		},
		{
			name: "a passkey of alice's the account never accepted",
			nonce: func(t *testing.T, _ *stack, _ *clock, alice *person) string {
				status, out := alice.site("/api/register", map[string]string{})
				if status != http.StatusOK {
					t.Fatalf("add a passkey: %d %v", status, out)
				}
				alice.auth = softauthn.New(softauthn.Options{})
				alice.registerPasskey(out["transaction_id"].(string)) // never brought to /api/verify
				return alice.authenticate(alice.startDeleteData())
			},
			status: http.StatusForbidden, code: "confirmation_refused",
		},
		{
			name: "no user verification",
			// passbridge's app lets the authenticator skip verifying the
			// user, so the ceremony succeeds and only the nonce tells.
			opts: stackOptions{userVerification: "preferred"},
			nonce: func(_ *testing.T, _ *stack, _ *clock, alice *person) string {
				return alice.authenticate(alice.startDeleteData(), softauthn.WithoutUV())
			},
			status: http.StatusForbidden, code: "user_verification_required",
		},
		{
			name: "stale",
			nonce: func(_ *testing.T, _ *stack, c *clock, alice *person) string {
				nonce := alice.authenticate(alice.startDeleteData())
				c.advance(confirmationWindow + time.Second)
				return nonce
			},
			status: http.StatusForbidden, code: "confirmation_expired",
		},
		{
			name:    "never started",
			unasked: true,
			nonce: func(t *testing.T, s *stack, _ *clock, alice *person) string {
				// A transaction of alice's this session never asked for,
				// e.g. one a sign-in bound to her username created.
				status, out := alice.site("/api/authenticate", map[string]string{"username": "alice"})
				if status != http.StatusOK {
					t.Fatalf("authenticate transaction: %d %v", status, out)
				}
				return alice.authenticate(out["transaction_id"].(string))
			},
			status: http.StatusForbidden, code: "confirmation_expired",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Now()}
			tc.opts.now = c.now
			s := startStackWith(t, tc.opts)
			alice := newPerson(t, s)
			own := alice.auth
			alice.signUp("alice")
			before := len(s.devices(t, "alice"))
			if !tc.unasked {
				alice.startDeleteData()
			}
			nonce := tc.nonce(t, s, c, alice)
			alice.auth = own

			status, out := alice.deleteData(nonce)
			if status != tc.status || out["code"] != tc.code {
				t.Fatalf("answered %d %v, want %d %s", status, out, tc.status, tc.code)
			}
			if out["error"] == "" {
				t.Error("a refusal without a message")
			}
			mustNotDelete(t, alice)
			if who := alice.signedInAs(); who != "alice" {
				t.Fatalf("signed in as %q after the refusal, want still alice", who)
			}
			// A refused nonce is used up: not good for a new confirmation.
			alice.startDeleteData()
			if status, out := alice.deleteData(nonce); status != http.StatusUnauthorized || out["code"] != "invalid_nonce" {
				t.Fatalf("the refused nonce again: %d %v, want 401 invalid_nonce", status, out)
			}
			// A passkey the account never accepted that is brought as a
			// confirmation is removed; alice's own passkey stays.
			if after := len(s.devices(t, "alice")); after != before {
				t.Errorf("alice has %d passkeys after the refusal, want %d", after, before)
			}
			if tc.bob && len(s.devices(t, "bob")) != 1 {
				t.Error("bob lost his passkey to the refusal")
			}
			// Alice's own, fresh confirmation still works.
			c.advance(time.Second)
			if status, out := alice.deleteData(alice.authenticate(alice.startDeleteData())); status != http.StatusOK {
				t.Fatalf("alice's own confirmation after the refusal: %d %v", status, out)
			}
		})
	}
}
