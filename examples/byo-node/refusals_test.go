//go:build e2e

package byonode

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// TestBrowserBYONodeRefusals drives what goes wrong, in Chromium: the same
// authenticator registered twice, a cancelled prompt at sign-in and at
// sign-up, a taken username (an account, or another browser's sign-up), an
// unknown one. Each time the page says what happened and what to do,
// nothing changes where it should not, and the page keeps working.
func TestBrowserBYONodeRefusals(t *testing.T) {
	e := start(t, sqlstoretest.SQLite)
	p := openPage(t, e.site)
	p.waitSignedOut()

	p.typeUsername("bob")
	p.ClickInPage("sign-up")
	p.waitSignedIn("bob")
	bob := p.waitRows(1)
	bobID := e.userID(t, "bob")
	e.rec.take()

	// The authenticator holds bob's passkey already: passbridge lists it in
	// excludeCredentials, and the browser refuses to make another.
	p.ClickInPage("add-passkey")
	msg := p.waitMessage("InvalidStateError")
	if !strings.Contains(msg, "already holds a passkey for this account") || !strings.Contains(msg, "another device") {
		t.Errorf("InvalidStateError message %q", msg)
	}
	if rows := p.waitRows(1); !slices.Equal(rows, bob) {
		t.Errorf("passkeys %v after the refusal, want %v", rows, bob)
	}
	if got := e.credentialIDs(t, bobID); !slices.Equal(got, bob) || len(p.credentials(p.platform)) != 1 {
		t.Errorf("passbridge holds %v, the authenticator %v; want %v", got, p.credentials(p.platform), bob)
	}
	wantCalls(t, e.rec.take(), "passkeys/register/start") // and no finish
	p.signOut()

	// A cancelled prompt at sign-in: the authenticator cannot verify the
	// person (as when they close the dialog), so the browser answers
	// NotAllowedError and nothing reaches passbridge's finish.
	e.rec.take()
	p.setUserVerified(p.platform, false)
	p.ClickInPage("sign-in")
	msg = p.waitMessage("NotAllowedError")
	if !strings.Contains(msg, "You are not signed in") || !strings.Contains(msg, "cancelled or timed out") || !strings.Contains(msg, "Try again") {
		t.Errorf("NotAllowedError message at sign-in %q", msg)
	}
	p.waitSignedOut()
	wantCalls(t, e.rec.take(), "passkeys/authenticate/start", // the button's
		"passkeys/authenticate/start") // the autofill's, armed again

	// A cancelled prompt at sign-up: the username stays reserved for this
	// browser, which tries again and gets it.
	p.typeUsername("carol")
	p.ClickInPage("sign-up")
	msg = p.waitMessage("NotAllowedError")
	if !strings.Contains(msg, "No passkey was created") || !strings.Contains(msg, "try again") {
		t.Errorf("NotAllowedError message at sign-up %q", msg)
	}
	carolID := e.userID(t, "carol")
	if acc := e.accountsFile(t)["carol"]; acc.Active || len(e.credentialIDs(t, carolID)) != 0 {
		t.Fatalf("a cancelled sign-up left account %+v and passkeys %v", acc, e.credentialIDs(t, carolID))
	}
	p.setUserVerified(p.platform, true)
	p.ClickInPage("sign-up")
	p.waitSignedIn("carol")
	if got := e.userID(t, "carol"); got != carolID {
		t.Errorf("carol's user ID changed from %s to %s on the retry", carolID, got)
	}
	p.signOut()

	// A taken username: an account exists. Refused before passbridge hears
	// of it.
	e.rec.take()
	p.typeUsername("bob")
	p.ClickInPage("sign-up")
	msg = p.waitMessage("username_taken")
	if !strings.Contains(msg, "bob is taken") || !strings.Contains(msg, "choose another") {
		t.Errorf("username_taken message %q", msg)
	}
	if calls := e.rec.take(); len(calls) != 0 {
		t.Errorf("a refused sign-up reached passbridge: %q", names(calls))
	}

	// A username another browser is signing up is taken too.
	other := newClient(t, e)
	if status, code := other.post("/api/passkeys/register/start", map[string]any{"username": "dave"}, nil); status != http.StatusOK {
		t.Fatalf("another browser's sign-up: %d %s", status, code)
	}
	e.rec.take()
	p.typeUsername("dave")
	p.ClickInPage("sign-up")
	p.waitMessage("username_taken")
	if calls := e.rec.take(); len(calls) != 0 {
		t.Errorf("a refused sign-up reached passbridge: %q", names(calls))
	}

	// A username nobody has.
	p.typeUsername("nobody")
	p.ClickInPage("sign-in")
	msg = p.waitMessage("unknown_account")
	if !strings.Contains(msg, "No account is called nobody") {
		t.Errorf("unknown_account message %q", msg)
	}

	// After all this the page still signs in, with bob's passkey (the
	// authenticator holds carol's too; the username picks bob's).
	p.typeUsername("bob")
	p.ClickInPage("sign-in")
	p.waitSignedIn("bob")
	p.noMessage()
	if v := p.cspViolations(); len(v) > 0 {
		t.Errorf("Content-Security-Policy violations: %q", v)
	}
}
