package brokertest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// The downstream app gets the user as passbridge named them (sub, the
// external ID) with acr, amr and auth_time passed through the broker; a
// second visit is SSO at passbridge (no page, the same auth_time).
func TestBrokerPassesClaimsThrough(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		alice := w.newUser("user-42", softauthn.Options{BackupEligible: true, BackedUp: true})
		before := w.srv.Clock.Now().Unix()
		s := alice.signIn(nil).session(t, w.broker.URL)
		if s.User != "user-42" || s.ACR != "phr" || !slices.Equal(s.AMR, []string{"swk", "user", "mfa"}) || s.AuthTime < before {
			t.Fatalf("downstream session %+v, want user-42 phr [swk user mfa] auth_time >= %d", s, before)
		}

		bound := w.newUser("user-43", softauthn.Options{})
		if s := bound.signIn(nil).session(t, w.broker.URL); s.User != "user-43" || s.ACR != "phrh" || s.AMR[0] != "hwk" {
			t.Fatalf("device-bound passkey: downstream session %+v, want user-43 phrh hwk", s)
		}

		w.srv.Clock.Advance(time.Minute)
		again := alice.visit("/login", nil).session(t, w.broker.URL)
		if again.User != s.User || again.AuthTime != s.AuthTime {
			t.Fatalf("SSO through the broker: %+v, want the first sign-in's %+v", again, s)
		}
	})
}

// The broker's step-up parameters reach passbridge and come back
// honoured: prompt=login and max_age=0 show the login page again where
// SSO would not, the ceremony moves auth_time, and acr is at least what
// was asked; acr_values above the session's acr forces a ceremony too,
// and one the passkey cannot reach comes back as
// unmet_authentication_requirements, which the broker hands on. An
// acr_values the session already meets stays SSO.
func TestBrokerStepUp(t *testing.T) {
	for name, q := range map[string]url.Values{
		"prompt=login":          {"prompt": {"login"}, "acr_values": {"phr"}},
		"max_age=0":             {"max_age": {"0"}, "acr_values": {"phr"}},
		"prompt=login phrh":     {"prompt": {"login"}, "acr_values": {"phrh"}},
		"acr_values=phrh alone": {"acr_values": {"phrh"}},
	} {
		t.Run(name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, w *world) {
				bound := w.newUser("user-7", softauthn.Options{})
				first := bound.signIn(nil).session(t, w.broker.URL)
				w.srv.Clock.Advance(time.Minute)
				// phrh (device-bound) already satisfies phrh and phr, so
				// only prompt/max_age can force the page for this user.
				if q.Get("prompt") == "" && q.Get("max_age") == "" {
					if s := bound.visit("/login", q).session(t, w.broker.URL); s.AuthTime != first.AuthTime || s.ACR != "phrh" {
						t.Fatalf("acr_values met by the session: %+v, want SSO with %+v", s, first)
					}
					return
				}
				s := bound.signIn(q).session(t, w.broker.URL) // fails unless the login page is shown
				if s.User != "user-7" || s.AuthTime <= first.AuthTime || s.ACR != "phrh" {
					t.Fatalf("step-up %v: %+v, first %+v: want a later auth_time and acr phrh", q, s, first)
				}
			})
		})
	}

	forEachEngine(t, func(t *testing.T, w *world) {
		synced := w.newUser("user-8", softauthn.Options{BackupEligible: true})
		first := synced.signIn(nil).session(t, w.broker.URL)
		w.srv.Clock.Advance(time.Minute)

		// A phr session does not satisfy phrh: the page, a ceremony, and
		// an error the synced passkey cannot avoid.
		p := synced.signIn(url.Values{"acr_values": {"phrh"}})
		var e struct {
			Error string `json:"error"`
		}
		p.json(t, &e)
		if p.status != http.StatusUnauthorized || p.url.Path != "/callback" || e.Error != "unmet_authentication_requirements" {
			t.Fatalf("phrh with a synced passkey: %s", p)
		}
		// The broker's own session is the earlier one, untouched.
		if status, s := synced.me(); status != http.StatusOK || s.AuthTime != first.AuthTime {
			t.Fatalf("broker session after a refused step-up: %d %+v", status, s)
		}
		s := synced.signIn(url.Values{"prompt": {"login"}, "acr_values": {"phr"}}).session(t, w.broker.URL)
		if s.ACR != "phr" || s.AuthTime <= first.AuthTime {
			t.Fatalf("phr step-up with a synced passkey: %+v, first %+v", s, first)
		}
	})
}

// RP-initiated logout: the browser sent to end_session with the ID token
// as id_token_hint and the registered post_logout_redirect_uri ends the
// passbridge session (prompt=none is login_required, a sign-in needs a
// ceremony) and comes back with the state. A server-to-server call to
// end_session, as rp.EndSession makes it, carries no browser cookies: it
// ends the session the hint's sid names.
func TestBrokerLogout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		alice := w.newUser("user-9", softauthn.Options{BackupEligible: true})
		alice.signIn(nil).session(t, w.broker.URL)
		loginRequired := func(when string) {
			t.Helper()
			p := alice.visit("/login", url.Values{"prompt": {"none"}})
			var e struct {
				Error string `json:"error"`
			}
			p.json(t, &e)
			if e.Error != "login_required" {
				t.Fatalf("prompt=none %s: %s", when, p)
			}
		}

		loc, err := rp.EndSession(t.Context(), w.broker.rp, w.broker.idToken(), w.broker.URL+"/bye", "s0", "", nil)
		if err != nil || loc == nil || loc.Path != "/bye" {
			t.Fatalf("server-side end_session: %v %v", loc, err)
		}
		loginRequired("after a server-side end_session")

		if s := alice.signIn(nil).session(t, w.broker.URL); s.User != "user-9" {
			t.Fatalf("sign-in after the server-side logout: %+v", s)
		}
		p := alice.visit("/logout", url.Values{"state": {"s1"}})
		if p.status != http.StatusOK || p.url.String() != w.broker.URL+"/bye?state=s1" {
			t.Fatalf("logout did not come back to the broker: %s", p)
		}
		if status, _ := alice.me(); status != http.StatusUnauthorized {
			t.Fatalf("broker session after logout: %d", status)
		}
		loginRequired("after logout")
		if s := alice.signIn(nil).session(t, w.broker.URL); s.User != "user-9" {
			t.Fatalf("sign-in after logout: %+v", s)
		}
	})
}

// Discovery has the end_session endpoint the broker needs, and offers no
// back-channel or front-channel logout (OpenID Connect Back-Channel
// Logout 1.0 §2.1, Front-Channel Logout 1.0 §3: absent means false): a
// broker cannot register a logout URI at passbridge and must itself send
// the browser to end_session when its own session ends.
func TestBrokerDiscoveryLogout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		res, err := http.Get(w.srv.Issuer + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var d map[string]any
		if err := json.NewDecoder(res.Body).Decode(&d); err != nil {
			t.Fatal(err)
		}
		if d["end_session_endpoint"] != w.srv.Issuer+"/end_session" {
			t.Fatalf("end_session_endpoint %v", d["end_session_endpoint"])
		}
		for _, k := range []string{
			"backchannel_logout_supported", "backchannel_logout_session_supported",
			"frontchannel_logout_supported", "frontchannel_logout_session_supported",
		} {
			if v, ok := d[k]; ok && v != false {
				t.Errorf("%s = %v: the recipes say passbridge has no such logout", k, v)
			}
		}
		if w.broker.rp.GetEndSessionEndpoint() != w.srv.Issuer+"/end_session" {
			t.Fatalf("rp found end_session at %q", w.broker.rp.GetEndSessionEndpoint())
		}
	})
}
