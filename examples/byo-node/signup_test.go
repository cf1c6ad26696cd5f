//go:build e2e

package byonode

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// TestBYONodeSignup checks the rules that keep one person's passkey off
// another's account, with browsers played by HTTP clients whose software
// authenticators sign real responses: a sign-up completes only for the
// browser that reserved the username and only with the account's first
// passkey; a signed-in person adds passkeys only to their own account; a
// passkey no account accepted never signs in, and is removed at passbridge.
func TestBYONodeSignup(t *testing.T) {
	e := start(t, sqlstoretest.SQLite)

	t.Run("another browser cannot finish a reserved sign-up", func(t *testing.T) {
		owner, thief := newClient(t, e), newClient(t, e)
		options := owner.registrationOptions("erin")
		// The thief got hold of the options and answers them with its own
		// authenticator, from its own browser, which holds no reservation.
		if status, code := thief.finishRegistration(thief.register(options)); status != http.StatusForbidden || code != "signup_expired" {
			t.Errorf("the thief's finish: %d %s, want 403 signup_expired", status, code)
		}
		erinID := e.userID(t, "erin")
		if got := e.credentialIDs(t, erinID); len(got) != 0 {
			t.Errorf("passbridge holds %v for erin after the thief's finish", got)
		}
		if thief.me() != "" {
			t.Error("the thief is signed in")
		}
		// The ceremony is still the owner's to finish.
		if status, code := owner.finishRegistration(owner.register(options)); status != http.StatusOK {
			t.Fatalf("the owner's finish: %d %s", status, code)
		}
		if owner.me() != "erin" || !e.accountsFile(t)["erin"].Active || len(e.credentialIDs(t, erinID)) != 1 {
			t.Errorf("erin's sign-up did not complete: %+v", e.accountsFile(t)["erin"])
		}
	})

	t.Run("the first passkey only", func(t *testing.T) {
		c := newClient(t, e)
		options := c.registrationOptions("fay")
		fayID := e.userID(t, "fay")
		// Someone with the API key registered a passkey for the user first.
		planted := e.registerBehindTheAppsBack(t, fayID, softauthn.New(softauthn.Options{}))
		e.rec.take()
		if status, code := c.finishRegistration(c.register(options)); status != http.StatusForbidden || code != "passkey_not_accepted" {
			t.Errorf("finish: %d %s, want 403 passkey_not_accepted", status, code)
		}
		if acc := e.accountsFile(t)["fay"]; acc.Active {
			t.Errorf("fay's account was created: %+v", acc)
		}
		if c.me() != "" {
			t.Error("the browser is signed in")
		}
		// The browser's passkey, which no account accepted, is gone again.
		if got := e.credentialIDs(t, fayID); !slices.Equal(got, []string{planted}) {
			t.Errorf("passbridge holds %v, want only %v", got, planted)
		}
		wantCalls(t, e.rec.take(), "passkeys/register/finish", "FetchAllPasskeysForUser", "DeregisterPasskey")
	})

	t.Run("two finishes of one sign-up", func(t *testing.T) {
		c := newClient(t, e)
		responses := [2][]byte{c.register(c.registrationOptions("gus")), c.register(c.registrationOptions("gus"))}
		gusID := e.userID(t, "gus")
		var wg sync.WaitGroup
		var statuses [2]int
		var codes [2]string
		for i, resp := range responses {
			wg.Go(func() { statuses[i], codes[i] = c.finishRegistration(resp) })
		}
		wg.Wait()
		// One finish at a time: the second finds the account made, and is
		// refused before passbridge hears of it.
		ok := slices.Index(statuses[:], http.StatusOK)
		if ok < 0 || statuses[1-ok] != http.StatusForbidden || codes[1-ok] != "signup_expired" {
			t.Fatalf("finishes: %v %v, want one 200 and one 403 signup_expired", statuses, codes)
		}
		acc := e.accountsFile(t)["gus"]
		if got := e.credentialIDs(t, gusID); !acc.Active || len(got) != 1 || !slices.Equal(got, acc.Credentials) {
			t.Errorf("passbridge holds %v, the account %+v", got, acc)
		}
		if c.me() != "gus" {
			t.Error("gus is not signed in")
		}
	})

	t.Run("signed in, passkeys go to one's own account only", func(t *testing.T) {
		hal, ivy := newClient(t, e), newClient(t, e)
		hal.signUp("hal")
		halID := e.userID(t, "hal")
		// hal answers the options of ivy's sign-up: passbridge finds that
		// ceremony by its challenge, and it is not hal's.
		options := ivy.registrationOptions("ivy")
		if status, code := hal.finishRegistration(hal.register(options)); status != http.StatusNotFound || code != "handshake_not_found" {
			t.Errorf("hal finishing ivy's ceremony: %d %s, want 404 handshake_not_found", status, code)
		}
		if got := e.credentialIDs(t, e.userID(t, "ivy")); len(got) != 0 {
			t.Errorf("ivy's user holds %v", got)
		}
		// A username in the body does not change whose passkey it is.
		var out struct {
			RegistrationOptions struct{ User struct{ Name string } }
		}
		if status, code := hal.post("/api/passkeys/register/start", map[string]any{"username": "ivy"}, &out); status != http.StatusOK || out.RegistrationOptions.User.Name != "hal" {
			t.Errorf("hal's register/start naming ivy: %d %s, user %q", status, code, out.RegistrationOptions.User.Name)
		}
		if got := e.credentialIDs(t, halID); len(got) != 1 || !slices.Equal(e.accountsFile(t)["hal"].Credentials, got) {
			t.Errorf("hal: passbridge %v, account %v", got, e.accountsFile(t)["hal"].Credentials)
		}
	})

	t.Run("a passkey no account accepted does not sign in", func(t *testing.T) {
		jo := newClient(t, e)
		jo.signUp("jo")
		joID := e.userID(t, "jo")
		mallory := newClient(t, e)
		planted := e.registerBehindTheAppsBack(t, joID, mallory.auth)
		if status, code := mallory.signIn(); status != http.StatusUnauthorized || code != "passkey_not_recognised" {
			t.Errorf("sign-in with the planted passkey: %d %s, want 401 passkey_not_recognised", status, code)
		}
		if mallory.me() != "" {
			t.Error("mallory is signed in")
		}
		got := e.credentialIDs(t, joID)
		if slices.Contains(got, planted) || !slices.Equal(got, e.accountsFile(t)["jo"].Credentials) {
			t.Errorf("passbridge holds %v for jo, the account %v; the planted %s must be gone", got, e.accountsFile(t)["jo"].Credentials, planted)
		}
		// jo's own passkey signs in.
		if status, code := jo.signIn(); status != http.StatusOK || jo.me() != "jo" {
			t.Errorf("jo's sign-in: %d %s", status, code)
		}
	})

	t.Run("a ceremony finished after its timeout", func(t *testing.T) {
		c := newClient(t, e)
		c.signUp("kai")
		if status, code := c.post("/api/signout", map[string]any{}, nil); status != http.StatusNoContent {
			t.Fatalf("sign out: %d %s", status, code)
		}
		var out struct{ AuthenticationOptions json.RawMessage }
		if status, code := c.post("/api/passkeys/authenticate/start", map[string]any{"username": "kai"}, &out); status != http.StatusOK {
			t.Fatalf("authenticate/start: %d %s", status, code)
		}
		resp, err := c.auth.Authenticate(out.AuthenticationOptions, e.site)
		if err != nil {
			t.Fatal(err)
		}
		// The person took longer than the ceremony timeout (2 minutes) to
		// answer; passbridge's clock moves, the site's does not matter.
		e.pb.Clock.Advance(3 * time.Minute)
		a := c.do(request{Method: http.MethodPost, Path: "/api/passkeys/authenticate/finish", Body: map[string]any{"response": json.RawMessage(resp)}})
		if a.Status != http.StatusNotFound || a.code() != "handshake_not_found" || !strings.Contains(string(a.Body), "expired") {
			t.Errorf("a late finish: %d %s, want 404 handshake_not_found saying it expired", a.Status, a.Body)
		}
		if c.me() != "" {
			t.Error("a late finish signed in")
		}
	})
}
