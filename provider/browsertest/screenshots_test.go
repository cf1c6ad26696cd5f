//go:build e2e

package browsertest

import (
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/storage"
)

var update = flag.Bool("update", false, "take the README's screenshots again, into "+readmeShots)

// The README's screenshots: where they are kept (from this package's
// directory), and the viewport they are taken at.
const (
	readmeShots = "../../docs/screenshots"
	shotWidth   = 1200
	shotHeight  = 800
)

// TestBrowserScreenshots checks the README's screenshots of the sign-in
// page and the account page: each is there, a PNG of the viewport's size.
// With -update it first takes them again in Chromium, light theme:
//
//	go test -tags e2e -run TestBrowserScreenshots ./provider/browsertest/ -update
func TestBrowserScreenshots(t *testing.T) {
	if *update {
		takeReadmeShots(t)
	}
	for _, name := range []string{"login.png", "account.png"} {
		path := filepath.Join(readmeShots, name)
		f, err := os.Open(path)
		if err != nil {
			t.Errorf("%v (take the screenshots with -update)", err)
			continue
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: not a PNG: %v", path, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != shotWidth || b.Dy() != shotHeight {
			t.Errorf("%s is %dx%d, want the viewport's %dx%d", path, b.Dx(), b.Dy(), shotWidth, shotHeight)
		}
	}
}

// takeReadmeShots screenshots the sign-in page of an authorization request
// of the Shop app, then the account page of a user with two passkeys: one
// kept on a Windows laptop only, one synced by Apple Passwords.
func takeReadmeShots(t *testing.T) {
	b := Start(t)
	e := newOIDCEnv(t)
	tb := newTab(t, b.Ctx, b.Authenticator)
	problems := consoleProblems(b.Ctx, false)
	if err := os.MkdirAll(readmeShots, 0o755); err != nil {
		t.Fatal(err)
	}
	tb.do(t, "viewport", chromedp.EmulateViewport(shotWidth, shotHeight))
	setScheme(t, tb, "light")

	step(t, "sign-in page", func(t *testing.T) {
		tb.setPresence(t, false) // the autofill request waits, as for a person
		u, _ := e.authorizeURL(e.client, nil)
		tb.openLogin(t, u)
		tb.waitFor(t, `document.querySelector("img.logo")?.complete && !document.getElementById("username-field").hidden`)
		checkLoginPage(t, tb, "")
		eval[bool](t, tb, `(document.activeElement?.blur(), true)`)
		saveScreenshot(t, tb, readmeShots, "login")
		tb.setPresence(t, true)
	})

	step(t, "account page with two passkeys", func(t *testing.T) {
		tb.register(t, e, "alice")
		tb.openAccount(t, e.issuer+"/account?app_id="+e.app.ID)
		tb.do(t, "sign in", chromedp.Click(chromedp.ID("signin")))
		tb.waitAccount(t, "signed-in", 1)

		// The passkey just made, as the Windows laptop it stands for would
		// have made it, and a second one synced from an iPhone.
		_, ds := e.userDevices(t, "alice")
		if _, err := e.store.UpdateDevice(t.Context(), e.app.ID, ds[0].ID, func(d storage.Device) (storage.Device, error) {
			d.FriendlyName, d.AAGUID = "Work laptop", windowsHelloAAGUID[:]
			return d, nil
		}); err != nil {
			t.Fatal(err)
		}
		phone := ds[0]
		phone.ID, phone.CredentialID = storage.NewID(), storage.RandomBytes(16)
		phone.AAGUID, phone.FriendlyName = appleAAGUID[:], "iPhone"
		phone.BackupEligible, phone.BackedUp, phone.Type = true, true, storage.DeviceTypePasskey
		phone.LastLoginAt = time.Time{}
		e.clock.Advance(time.Minute)
		phone.CreatedAt, phone.UpdatedAt = e.clock.Now(), e.clock.Now()
		if err := e.store.CreateDevice(t.Context(), phone); err != nil {
			t.Fatal(err)
		}

		tb.openAccount(t, e.issuer+"/account?app_id="+e.app.ID)
		v := tb.waitAccount(t, "signed-in", 2)
		tb.waitFor(t, `[...document.querySelectorAll("#passkeys .pk-img")].every((img) => img.hidden || img.complete)`)
		v = tb.account(t)
		if v.Rows[0].Name != "Work laptop" || v.Rows[1].Name != "iPhone" || !v.Rows[0].Icon || !v.Rows[1].Icon {
			t.Fatalf("the account page shows %+v, want two named passkeys with their icons", v.Rows)
		}
		eval[bool](t, tb, `(document.activeElement?.blur(), scrollTo(0, 0), true)`)
		saveScreenshot(t, tb, readmeShots, "account")
	})

	if p := problems(); len(p) > 0 {
		t.Errorf("console errors and warnings: %q", p)
	}
}
