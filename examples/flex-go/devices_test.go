package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// addPasskey adds a passkey made on another device (a new authenticator)
// to the person's signed-in account, as "Add a passkey" does, and returns
// that authenticator.
func (p *person) addPasskey() *softauthn.Authenticator {
	p.t.Helper()
	key := softauthn.New(softauthn.Options{}) // a device-bound passkey
	p.addPasskeyWith(key)
	return key
}

// addPasskeyWith is addPasskey with the authenticator key.
func (p *person) addPasskeyWith(key *softauthn.Authenticator) {
	p.t.Helper()
	status, out := p.site("/api/register", map[string]string{})
	if status != http.StatusOK {
		p.t.Fatalf("add a passkey: %d %v", status, out)
	}
	own := p.auth
	p.auth = key
	defer func() { p.auth = own }()
	nonce := p.registerPasskey(out["transaction_id"].(string))
	if status, out := p.verify(nonce); status != http.StatusOK {
		p.t.Fatalf("verify the added passkey: %d %v", status, out)
	}
}

// renameDevice asks the site to rename a passkey.
func (p *person) renameDevice(id string, name any) (int, map[string]any) {
	p.t.Helper()
	return p.do(http.MethodPatch, p.s.site+"/api/devices/"+id, map[string]any{"name": name}, "")
}

// removeDevice asks the site to remove a passkey.
func (p *person) removeDevice(id string) (int, map[string]any) {
	p.t.Helper()
	return p.do(http.MethodDelete, p.s.site+"/api/devices/"+id, nil, "")
}

// deviceIDs lists the IDs of username's passkeys at passbridge.
func deviceIDs(t *testing.T, s *stack, username string) []string {
	t.Helper()
	var ids []string
	for _, d := range s.devices(t, username) {
		ids = append(ids, d["id"].(string))
	}
	return ids
}

// Adding a passkey while signed in: the new passkey is the account's, and
// signs in from a browser of its own.
func TestAddPasskey(t *testing.T) {
	s := startStack(t)
	alice := newPerson(t, s)
	alice.signUp("alice")
	key := alice.addPasskey()
	ids := deviceIDs(t, s, "alice")
	if len(ids) != 2 || !s.appAccepts(t, "alice", ids[0]) || !s.appAccepts(t, "alice", ids[1]) {
		t.Fatalf("the app does not accept both of alice's passkeys %v", ids)
	}
	if who := alice.signedInAs(); who != "alice" {
		t.Fatalf("signed in as %q after adding a passkey", who)
	}
	me := alice.account()
	if len(me.Devices) != 2 || !me.Devices[0].Removable || !me.Devices[1].Removable {
		t.Fatalf("/api/me devices %+v, want two removable passkeys", me.Devices)
	}
	if me.Devices[1].Type != "platform" || me.Devices[1].Name == "" || me.Devices[1].UsageCount != 0 || me.Devices[1].LastLoginAt != nil {
		t.Errorf("new passkey shows as %+v, want an unused device-bound passkey", me.Devices[1])
	}

	// Another browser, holding only the new passkey, signs in as alice.
	laptop := newPerson(t, s)
	laptop.auth = key
	if status, out := laptop.verify(laptop.signInNonce()); status != http.StatusOK || laptop.signedInAs() != "alice" {
		t.Fatalf("sign in with the added passkey: %d %v", status, out)
	}
}

func TestRenameDevice(t *testing.T) {
	s := startStack(t)
	alice, bob := newPerson(t, s), newPerson(t, s)
	alice.signUp("alice")
	bob.signUp("bob")
	id := deviceIDs(t, s, "alice")[0]
	bobs := s.devices(t, "bob")[0]

	for _, tc := range []struct {
		name   string
		give   any
		status int
		code   string
		stored string // friendly_name at passbridge after a rename
	}{
		{"plain", "Work laptop", 200, "", "Work laptop"},
		{"trimmed", "  Phone \t", 200, "", "Phone"},
		{"one character", "a", 200, "", "a"},
		{"100 characters", strings.Repeat("é", 100), 200, "", strings.Repeat("é", 100)},
		{"emoji", "🔑 Key", 200, "", "🔑 Key"},
		{"101 characters", strings.Repeat("é", 101), 400, "invalid_name", ""},
		{"empty", "", 400, "invalid_name", ""},
		{"only spaces", "   ", 400, "invalid_name", ""},
		{"control character", "a\x00b", 400, "invalid_name", ""},
		{"bidirectional override", "\u202egnp.exe", 400, "invalid_name", ""},
		{"not a string", 42, 400, "invalid_request", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.devices(t, "alice")[0]["friendly_name"]
			status, out := alice.renameDevice(id, tc.give)
			if status != tc.status || (tc.code != "" && out["code"] != tc.code) {
				t.Fatalf("answered %d %v, want %d %s", status, out, tc.status, tc.code)
			}
			want := tc.stored
			if tc.status != http.StatusOK {
				want = before.(string)
			} else if out["id"] != id || out["name"] != want {
				t.Errorf("answer %v, want id %s name %q", out, id, want)
			}
			if got := s.devices(t, "alice")[0]["friendly_name"]; got != want {
				t.Errorf("passbridge holds name %q, want %q", got, want)
			}
		})
	}

	t.Run("another user's device", func(t *testing.T) {
		status, out := alice.renameDevice(bobs["id"].(string), "mine now")
		if status != http.StatusNotFound || out["code"] != "device_not_found" {
			t.Fatalf("answered %d %v, want 404 device_not_found", status, out)
		}
		if got := s.devices(t, "bob")[0]["friendly_name"]; got != bobs["friendly_name"] {
			t.Errorf("bob's passkey is named %q now", got)
		}
	})
	t.Run("unknown device", func(t *testing.T) {
		if status, out := alice.renameDevice("no-such-device", "x"); status != http.StatusNotFound || out["code"] != "device_not_found" {
			t.Fatalf("answered %d %v, want 404 device_not_found", status, out)
		}
	})
	t.Run("signed out", func(t *testing.T) {
		if status, out := newPerson(t, s).renameDevice(id, "x"); status != http.StatusUnauthorized || out["code"] != "not_signed_in" {
			t.Fatalf("answered %d %v, want 401 not_signed_in", status, out)
		}
	})
}

func TestRevokeDevice(t *testing.T) {
	s := startStack(t)
	alice, bob := newPerson(t, s), newPerson(t, s)
	alice.signUp("alice")
	bob.signUp("bob")
	key := alice.addPasskey()
	ids := deviceIDs(t, s, "alice")
	first, second := ids[0], ids[1]
	bobs := deviceIDs(t, s, "bob")[0]

	t.Run("another user's device is refused", func(t *testing.T) {
		status, out := alice.removeDevice(bobs)
		if status != http.StatusNotFound || out["code"] != "device_not_found" {
			t.Fatalf("answered %d %v, want 404 device_not_found", status, out)
		}
		if got := deviceIDs(t, s, "bob"); len(got) != 1 {
			t.Fatalf("bob has %d passkeys, want 1", len(got))
		}
		if status, _ := bob.verify(bob.signInNonce()); status != http.StatusOK {
			t.Fatalf("bob's sign-in after the refusal: %d", status)
		}
	})

	t.Run("signed out", func(t *testing.T) {
		if status, out := newPerson(t, s).removeDevice(first); status != http.StatusUnauthorized || out["code"] != "not_signed_in" {
			t.Fatalf("answered %d %v, want 401 not_signed_in", status, out)
		}
	})

	t.Run("own device", func(t *testing.T) {
		if status, out := alice.removeDevice(second); status != http.StatusNoContent {
			t.Fatalf("answered %d %v, want 204", status, out)
		}
		if got := deviceIDs(t, s, "alice"); !slices.Equal(got, []string{first}) {
			t.Fatalf("alice has passkeys %v at passbridge, want only %s", got, first)
		}
		if s.appAccepts(t, "alice", second) {
			t.Error("the app still accepts the removed passkey")
		}
		// The removed passkey is gone: it no longer signs in.
		laptop := newPerson(t, s)
		laptop.auth = key
		if status, _ := laptop.signIn(); status == http.StatusOK {
			t.Fatal("the removed passkey still signs in at passbridge")
		}
		// Removed already: nothing to remove.
		if status, out := alice.removeDevice(second); status != http.StatusNotFound || out["code"] != "device_not_found" {
			t.Fatalf("removing it again: %d %v, want 404 device_not_found", status, out)
		}
	})

	t.Run("the last one is refused", func(t *testing.T) {
		me := alice.account()
		if len(me.Devices) != 1 || me.Devices[0].Removable {
			t.Fatalf("/api/me devices %+v, want one that is not removable", me.Devices)
		}
		status, out := alice.removeDevice(first)
		if status != http.StatusConflict || out["code"] != "last_passkey" || !strings.Contains(out["error"].(string), "only passkey") {
			t.Fatalf("answered %d %v, want 409 last_passkey", status, out)
		}
		if got := deviceIDs(t, s, "alice"); !slices.Equal(got, []string{first}) {
			t.Fatalf("alice has passkeys %v, want still %s", got, first)
		}
		alice.site("/api/signout", map[string]string{})
		if status, out := alice.verify(alice.signInNonce()); status != http.StatusOK {
			t.Fatalf("alice's sign-in with her last passkey: %d %v", status, out)
		}
	})

	t.Run("a passkey the account never accepted does not count", func(t *testing.T) {
		// A passkey made through "Add a passkey" whose nonce never came
		// back to the site: passbridge holds it, but it does not sign in.
		status, out := alice.site("/api/register", map[string]string{})
		if status != http.StatusOK {
			t.Fatalf("add a passkey: %d %v", status, out)
		}
		own := alice.auth
		alice.auth = softauthn.New(softauthn.Options{})
		alice.registerPasskey(out["transaction_id"].(string))
		alice.auth = own
		ids := deviceIDs(t, s, "alice")
		if len(ids) != 2 {
			t.Fatalf("alice has %d passkeys at passbridge, want 2", len(ids))
		}
		unaccepted := ids[1]
		me := alice.account()
		if len(me.Devices) != 2 || me.Devices[0].Removable || !me.Devices[1].Removable {
			t.Fatalf("/api/me devices %+v, want the accepted one not removable", me.Devices)
		}
		if status, out := alice.removeDevice(first); status != http.StatusConflict || out["code"] != "last_passkey" {
			t.Fatalf("removing the only accepted passkey: %d %v, want 409 last_passkey", status, out)
		}
		if status, out := alice.removeDevice(unaccepted); status != http.StatusNoContent {
			t.Fatalf("removing the unaccepted passkey: %d %v, want 204", status, out)
		}
		if got := deviceIDs(t, s, "alice"); !slices.Equal(got, []string{first}) {
			t.Fatalf("alice has passkeys %v, want only %s", got, first)
		}
	})
}
