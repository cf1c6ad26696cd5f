//go:build e2e

package browsertest

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/passbridge/passbridge/storage"
)

// Authenticator models the AAGUID list names and has icons for: Apple
// Passwords (one icon for both colour schemes), 1Password (an icon for each)
// and Windows Hello (device-bound).
var (
	appleAAGUID        = uuid.MustParse("fbfc3007-154e-4ecc-8c0b-6e020557d7bd")
	onePasswordAAGUID  = uuid.MustParse("bada5566-a7aa-401f-bd96-45619a55120d")
	windowsHelloAAGUID = uuid.MustParse("08987058-cadc-4b81-b6e1-30de50dcbe96")
)

// TestBrowserAccountPage manages one user's passkeys on the account page in
// Chromium: sign in with a passkey, the list, a rename, a second passkey,
// a removal, signing out, then the last passkey's removal after the
// warning, which ends the session it made. The Signals API calls the page
// makes are recorded with their exact arguments. The steps share one
// browser and run in order.
func TestBrowserAccountPage(t *testing.T) {
	b := Start(t)
	e := newOIDCEnv(t)
	tb := newTab(t, b.Ctx, b.Authenticator)
	sig := watchSignals(t, tb, false)
	problems := consoleProblems(b.Ctx, false)
	dir := screenshotDir(t)

	step(t, "register a passkey through the Flex API", func(t *testing.T) {
		tb.register(t, e, "alice")
	})
	if !hasSignals(t, tb) {
		t.Fatal("this Chromium lacks the Signals API the test checks")
	}
	u, ds := e.userDevices(t, "alice")
	first := ds[0]

	step(t, "sign in", func(t *testing.T) {
		tb.openAccount(t, e.issuer+"/account")
		v := tb.waitAccount(t, "signed-out", 0)
		if title := eval[string](t, tb, "document.title"); title != "Your passkeys for Shop" {
			t.Errorf("title %q", title)
		}
		sig.expect(t) // nothing to say while signed out
		tb.do(t, "sign in", chromedp.Click(chromedp.ID("signin")))
		v = tb.waitAccount(t, "signed-in", 1)
		// The virtual authenticator is not in the AAGUID list: a platform
		// passkey that is not backed up.
		want := accountRow{ID: first.ID, Name: "Passkey", Sync: "This device only", Current: true}
		row := v.Rows[0]
		if v.Who != "alice@example.com" || row.ID != want.ID || row.Name != want.Name || row.Sync != want.Sync ||
			!row.Current || row.Model != "" || row.Icon || !strings.HasPrefix(row.Created, "Created ") ||
			!strings.HasPrefix(row.Used, "Last used ") {
			t.Errorf("page shows %+v", v)
		}
		sig.expect(t, allAccepted(u, first))
	})

	step(t, "rename", func(t *testing.T) {
		tb.do(t, "rename", chromedp.Click(chromedp.CSS(rowButton(first.ID, "pk-rename-button"))))
		tb.waitFor(t, `document.activeElement?.classList.contains("pk-rename-input")`)
		if label := eval[string](t, tb, `document.activeElement.labels[0]?.textContent ?? ""`); label != "New name" {
			t.Errorf("rename field's label %q", label)
		}
		if v := eval[string](t, tb, `document.activeElement.value`); v != "Passkey" {
			t.Errorf("rename field holds %q, want the name", v)
		}
		eval[bool](t, tb, `(document.activeElement.value = "", true)`)
		tb.do(t, "type", chromedp.SendKeys(chromedp.CSS(`#passkeys .pk-rename-input`), "Work laptop\r"))
		tb.waitFor(t, `document.querySelector("#passkeys .pk-name")?.textContent === "Work laptop"`)
		if d := e.device(t, first.ID); d.FriendlyName != "Work laptop" {
			t.Errorf("stored name %q", d.FriendlyName)
		}
		if st := tb.account(t).Status; st != "Renamed to Work laptop." {
			t.Errorf("status %q", st)
		}
		sig.expect(t, signal("signalCurrentUserDetails", map[string]any{
			"rpId": "localhost", "userId": b64url(u.Handle), "name": "alice@example.com", "displayName": "alice@example.com",
		}))
	})

	var second string
	step(t, "add a passkey", func(t *testing.T) {
		// The authenticator would refuse a second passkey of alice
		// (excludeCredentials): the new one is made on another device,
		// and then the first device is back.
		kept := tb.credentials(t)
		tb.replaceAuthenticator(t)
		e.clock.Advance(time.Minute) // the list is oldest first
		tb.do(t, "add", chromedp.Click(chromedp.ID("add")))
		v := tb.waitAccount(t, "signed-in", 2)
		tb.replaceAuthenticator(t, kept...)
		_, ds := e.userDevices(t, "alice")
		if len(ds) != 2 {
			t.Fatalf("%d devices stored", len(ds))
		}
		second = ds[1].ID
		if v.Rows[1].ID != second || v.Rows[1].Current || v.Rows[1].Used != "Not used yet" || !strings.HasPrefix(v.Status, "Passkey added") {
			t.Errorf("page shows %+v", v)
		}
		sig.expect(t, allAccepted(u, ds...))
	})

	step(t, "a synced passkey of a known passkey manager", func(t *testing.T) {
		// As if alice had added it from her phone: 1Password, whose icons
		// (one for light, one for dark) the AAGUID list has.
		_, ds := e.userDevices(t, "alice")
		synced := ds[1]
		synced.ID, synced.CredentialID = storage.NewID(), storage.RandomBytes(16)
		synced.AAGUID = onePasswordAAGUID[:]
		synced.BackupEligible, synced.BackedUp, synced.Type = true, true, storage.DeviceTypePasskey
		synced.FriendlyName = "iPhone"
		e.clock.Advance(time.Minute)
		synced.CreatedAt, synced.UpdatedAt = e.clock.Now(), e.clock.Now()
		if err := e.store.CreateDevice(t.Context(), synced); err != nil {
			t.Fatal(err)
		}
		tb.openAccount(t, e.issuer+"/account")
		v := tb.waitAccount(t, "signed-in", 3)
		row := v.Rows[2]
		if row.Name != "iPhone" || row.Sync != "Synced" || row.Model != "1Password" || !row.Icon || row.Current {
			t.Errorf("synced passkey shows as %+v", row)
		}
		sig.expect(t, allAccepted(u, append(ds, synced)...))
		// The icon of the colour scheme shows: the one the server gives for
		// it, loaded.
		var icons struct{ Light, Dark string }
		for _, p := range tb.passkeysAPI(t, e.app.ID) {
			if p.ID == synced.ID {
				icons.Light, icons.Dark = p.Icons.Light, p.Icons.Dark
			}
		}
		if !strings.HasPrefix(icons.Light, "data:image/") || !strings.HasPrefix(icons.Dark, "data:image/") || icons.Light == icons.Dark {
			t.Fatalf("the server gives the icons %.60q and %.60q, want two different images", icons.Light, icons.Dark)
		}
		for _, scheme := range []string{"light", "dark", "light"} {
			setScheme(t, tb, scheme)
			shown := eval[[]string](t, tb, `[...document.querySelectorAll("#passkeys > li:last-child .pk-img")]
  .filter((img) => img.offsetParent !== null && img.complete && img.naturalWidth > 0).map((img) => img.currentSrc)`)
			want := icons.Light
			if scheme == "dark" {
				want = icons.Dark
			}
			if len(shown) != 1 || shown[0] != want {
				t.Errorf("%s scheme shows %d icons, want only the %s one", scheme, len(shown), scheme)
			}
		}

		eval[bool](t, tb, `(document.activeElement?.blur(), true)`)
		for _, shot := range []struct {
			name          string
			width, height int64
			scheme        string
		}{
			{"account-desktop-light", 1280, 900, "light"},
			{"account-desktop-dark", 1280, 900, "dark"},
			{"account-phone-light", 390, 844, "light"},
			{"account-phone-dark", 390, 844, "dark"},
		} {
			tb.do(t, "viewport", chromedp.EmulateViewport(shot.width, shot.height))
			setScheme(t, tb, shot.scheme)
			eval[bool](t, tb, `(scrollTo(0, 0), true)`)
			saveScreenshot(t, tb, dir, shot.name)
		}
		tb.do(t, "viewport", chromedp.EmulateViewport(1280, 900))
		setScheme(t, tb, "light")

		if err := e.store.DeleteDevice(t.Context(), e.app.ID, synced.ID); err != nil {
			t.Fatal(err)
		}
		tb.openAccount(t, e.issuer+"/account")
		tb.waitAccount(t, "signed-in", 2)
		sig.expect(t, allAccepted(u, ds...))
	})

	step(t, "remove one", func(t *testing.T) {
		tb.do(t, "remove", chromedp.Click(chromedp.CSS(rowButton(second, "pk-remove-button"))))
		tb.waitFor(t, `document.getElementById("confirm").open`)
		d := tb.dialog(t)
		if d.Title != "Remove “Passkey”?" || d.Warning != "" || d.Focus != "confirm-cancel" {
			t.Errorf("dialog %+v", d)
		}
		saveScreenshot(t, tb, dir, "account-remove-dialog")
		tb.do(t, "confirm", chromedp.Click(chromedp.ID("confirm-remove")))
		v := tb.waitAccount(t, "signed-in", 1)
		if v.Rows[0].ID != first.ID || v.Status != "Removed Passkey." {
			t.Errorf("page shows %+v", v)
		}
		if _, ds := e.userDevices(t, "alice"); len(ds) != 1 || ds[0].ID != first.ID {
			t.Errorf("devices stored %+v", ds)
		}
		sig.expect(t, allAccepted(u, first))
	})

	step(t, "sign out", func(t *testing.T) {
		tb.do(t, "sign out", chromedp.Click(chromedp.ID("signout")))
		v := tb.waitAccount(t, "signed-out", 0)
		if v.Status != "You are signed out." {
			t.Errorf("page shows %+v", v)
		}
		if status := eval[int](t, tb, `fetch("/account/api/passkeys?app_id=`+e.app.ID+`").then((r) => r.status)`); status != http.StatusUnauthorized {
			t.Errorf("the list answers %d after signing out", status)
		}
		sig.expect(t)
	})

	step(t, "remove the last passkey after the warning", func(t *testing.T) {
		tb.openAccount(t, e.issuer+"/account")
		tb.do(t, "sign in", chromedp.Click(chromedp.ID("signin")))
		tb.waitAccount(t, "signed-in", 1)
		sig.expect(t, allAccepted(u, first))

		tb.do(t, "remove", chromedp.Click(chromedp.CSS(rowButton(first.ID, "pk-remove-button"))))
		tb.waitFor(t, `document.getElementById("confirm").open`)
		d := tb.dialog(t)
		if d.Title != "Remove your last passkey?" || !strings.Contains(d.Text, "can't sign in to Shop") ||
			d.Warning != "You signed in with this passkey: removing it signs you out here." {
			t.Errorf("dialog %+v", d)
		}
		// Cancel keeps it.
		tb.do(t, "cancel", chromedp.Click(chromedp.ID("confirm-cancel")))
		tb.waitFor(t, `!document.getElementById("confirm").open`)
		if _, ds := e.userDevices(t, "alice"); len(ds) != 1 {
			t.Fatal("cancelling removed the passkey")
		}
		if v := tb.account(t); v.State != "signed-in" || len(v.Rows) != 1 {
			t.Errorf("after cancelling: %+v", v)
		}
		// Escape too.
		tb.do(t, "remove", chromedp.Click(chromedp.CSS(rowButton(first.ID, "pk-remove-button"))))
		tb.waitFor(t, `document.getElementById("confirm").open`)
		tb.do(t, "escape", chromedp.KeyEvent("\x1b"))
		tb.waitFor(t, `!document.getElementById("confirm").open`)
		if _, ds := e.userDevices(t, "alice"); len(ds) != 1 {
			t.Fatal("escape removed the passkey")
		}

		tb.do(t, "remove", chromedp.Click(chromedp.CSS(rowButton(first.ID, "pk-remove-button"))))
		tb.waitFor(t, `document.getElementById("confirm").open`)
		tb.do(t, "confirm", chromedp.Click(chromedp.ID("confirm-remove")))
		v := tb.waitAccount(t, "signed-out", 0)
		if v.Message != "Passkey removed. You are signed out" {
			t.Errorf("page shows %+v", v)
		}
		if _, ds := e.userDevices(t, "alice"); len(ds) != 0 {
			t.Errorf("devices stored %+v", ds)
		}
		sig.expect(t, allAccepted(u))
		// Chromium's virtual authenticator acts on the signal: the app
		// accepts none of alice's passkeys, so it drops the one it held.
		deadline := time.Now().Add(5 * time.Second)
		for len(tb.credentials(t)) > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := len(tb.credentials(t)); n != 0 {
			t.Errorf("the authenticator still holds %d credentials", n)
		}
	})

	if v := tb.violations(); len(v) > 0 {
		t.Errorf("CSP violations: %+v", v)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("console errors and warnings: %q", p)
	}
}
