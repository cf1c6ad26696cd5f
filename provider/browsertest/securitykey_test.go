//go:build e2e

package browsertest

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/storage"
)

// TestBrowserSecurityKey signs in with two kinds of authenticator in
// Chromium: a synced passkey (a platform passkey provider whose credentials
// are backup eligible) and a device-bound security key (AddSecurityKey: USB,
// not backup eligible). The synced passkey signs in at acr phr and cannot
// meet acr_values=phrh; the security key, added on the account page, shows
// there as a security key kept on that device only, and signs in at phrh,
// which also steps the phr session up. The steps share one browser and run
// in order.
func TestBrowserSecurityKey(t *testing.T) {
	b := Start(t)
	e := newOIDCEnv(t)
	// Start's platform authenticator makes device-bound credentials: in its
	// place, a passkey provider that syncs.
	removeAuthenticator(t, b.Ctx, b.Authenticator)
	tb := newTab(t, b.Ctx, addSyncingAuthenticator(t, b.Ctx))
	problems := consoleProblems(b.Ctx, false)

	var synced storage.Device
	step(t, "register a synced passkey through the Flex API", func(t *testing.T) {
		tb.register(t, e, "alice")
		_, ds := e.userDevices(t, "alice")
		if len(ds) != 1 || !ds[0].BackupEligible || ds[0].Type != storage.DeviceTypePasskey {
			t.Fatalf("devices stored %+v, want one synced passkey", ds)
		}
		synced = ds[0]
	})
	user, _ := e.userDevices(t, "alice")

	step(t, "the sign-in page says when only a security key will do", func(t *testing.T) {
		for _, acr := range []string{"phrh", "phr"} {
			u, _ := e.authorizeURL(e.client, queryOf("acr_values", acr))
			tb.openLogin(t, u)
			shown := eval[bool](t, tb, `(() => { const n = document.getElementById("device-bound"); return !!n && n.checkVisibility() && n.textContent.includes("security key"); })()`)
			if shown != (acr == "phrh") {
				t.Errorf("acr_values=%s: the security-key notice shown: %v", acr, shown)
			}
		}
	})

	step(t, "a synced passkey cannot meet acr_values=phrh", func(t *testing.T) {
		cb, s := tb.passkeyButton(t, e, queryOf("acr_values", "phrh"))
		if cb.Get("error") != "unmet_authentication_requirements" || cb.Get("code") != "" || cb.Get("state") != s.state {
			t.Errorf("callback %v, want unmet_authentication_requirements", cb)
		}
		if ss := e.sessions(t, user.ID); len(ss) != 0 {
			t.Errorf("a refused sign-in left sessions %+v", ss)
		}
	})

	step(t, "a synced passkey signs in at phr", func(t *testing.T) {
		c := tb.signInWithButton(t, e, nil, "alice")
		if c.ACR != "phr" || !contains(c.AMR, "swk") || contains(c.AMR, "hwk") {
			t.Errorf("acr %q amr %v, want phr and swk", c.ACR, c.AMR)
		}
	})

	var key storage.Device
	step(t, "add a security key on the account page", func(t *testing.T) {
		// Signed in by the sign-in before (the same session with the app).
		tb.openAccount(t, e.issuer+"/account?app_id="+e.app.ID)
		tb.waitAccount(t, "signed-in", 1)
		// The user plugs in a security key; the passkey provider is not
		// asked (it would refuse a second passkey of alice's anyway).
		removeAuthenticator(t, b.Ctx, tb.auth)
		tb.auth = AddSecurityKey(t, b)
		e.clock.Advance(time.Minute) // the list is oldest first
		tb.do(t, "add", chromedp.Click(chromedp.ID("add")))
		v := tb.waitAccount(t, "signed-in", 2)

		_, ds := e.userDevices(t, "alice")
		if len(ds) != 2 || ds[0].ID != synced.ID {
			t.Fatalf("devices stored %+v, want the synced passkey and a new one", ds)
		}
		key = ds[1]
		if key.BackupEligible || key.BackedUp || key.Type != storage.DeviceTypeSecurityKey ||
			key.Attachment != "cross-platform" || !slices.Contains(key.Transports, "usb") {
			t.Errorf("stored as type %q attachment %q transports %v BE %v BS %v, want a device-bound USB security key",
				key.Type, key.Attachment, key.Transports, key.BackupEligible, key.BackedUp)
		}
		if creds := tb.credentials(t); len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RpID != "localhost" {
			t.Errorf("the security key holds %+v, want alice's resident credential", creds)
		}

		// The page shows it as a security key; the synced passkey as
		// synced.
		row := v.Rows[1]
		if row.ID != key.ID || row.Name != "Security key" || row.Sync != "Security key" || row.Current {
			t.Errorf("the security key shows as %+v", row)
		}
		if first := v.Rows[0]; first.ID != synced.ID || first.Sync != "Synced" || !first.Current {
			t.Errorf("the synced passkey shows as %+v", first)
		}
		kinds := map[string]string{}
		for _, p := range tb.passkeysAPI(t, e.app.ID) {
			kinds[p.ID] = p.Type
		}
		if kinds[key.ID] != storage.DeviceTypeSecurityKey || kinds[synced.ID] != storage.DeviceTypePasskey {
			t.Errorf("the account API lists the types %v", kinds)
		}
	})

	step(t, "the security key signs in at phrh, stepping the session up", func(t *testing.T) {
		// The session (phr) does not meet phrh: the login page asks for a
		// passkey of alice's, and only the security key is there.
		before := e.sessions(t, user.ID)
		c := tb.signInWithButton(t, e, queryOf("acr_values", "phrh", "login_hint", "alice"), "alice")
		if c.ACR != "phrh" || !contains(c.AMR, "hwk") || contains(c.AMR, "swk") {
			t.Errorf("acr %q amr %v, want phrh and hwk", c.ACR, c.AMR)
		}
		ss := e.sessions(t, user.ID)
		if len(before) != 1 || len(ss) != 1 || ss[0].ID == before[0].ID || ss[0].DeviceID != key.ID || ss[0].ACR != "phrh" {
			t.Errorf("sessions %+v, want one new phrh session of the security key (was %+v)", ss, before)
		}
	})

	if v := tb.violations(); len(v) > 0 {
		t.Errorf("CSP violations: %+v", v)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("console errors and warnings: %q", p)
	}
}

// queryOf is the query of the key-value pairs kv.
func queryOf(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return q
}

// addSyncingAuthenticator adds to the tab of ctx a virtual platform
// authenticator as a passkey provider that syncs is: its credentials are
// backup eligible and backed up.
func addSyncingAuthenticator(t *testing.T, ctx context.Context) webauthn.AuthenticatorID {
	t.Helper()
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
			HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
			DefaultBackupEligibility: true, DefaultBackupState: true,
		},
	})
	if err != nil {
		t.Fatalf("add virtual authenticator: %v", err)
	}
	return res.AuthenticatorID
}

// removeAuthenticator unplugs a virtual authenticator from the tab of ctx.
func removeAuthenticator(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID) {
	t.Helper()
	if _, err := chromedp.Call(ctx, webauthn.RemoveVirtualAuthenticator,
		webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: id}); err != nil {
		t.Fatalf("remove virtual authenticator: %v", err)
	}
}
