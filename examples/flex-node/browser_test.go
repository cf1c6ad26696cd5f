//go:build e2e

package flexnode

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// onePasswordAAGUID is 1Password's AAGUID, which passbridge's authenticator
// list knows with a light and a dark icon.
var onePasswordAAGUID = uuid.MustParse("bada5566-a7aa-401f-bd96-45619a55120d")

// step runs one step of a story as a subtest and stops the story at the
// first step that fails: the later ones build on it.
func step(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, f) {
		t.FailNow()
	}
}

// The example in headless Chromium with a virtual authenticator, against
// the real Node.js process and a real passbridge, typing and clicking as a
// person does: sign-up, sign-out, sign-in by button (discoverable and
// username-bound) and by autofill, a taken username, a cancelled prompt,
// a passkey added on another device, the icons, rename, "Delete my data"
// confirmed with a passkey, remove (never the last), and a removed passkey
// that no longer signs in. The page and passbridge are on different
// origins: the SDK import and every ceremony call cross passbridge's CORS.
func TestBrowserFlexNode(t *testing.T) {
	forEachEngine(t, testBrowser)
}

func testBrowser(t *testing.T, engine string) {
	s := startStack(t, engine)
	p := openPage(t, s.site+"/")
	p.waitSignedOut(t)

	var first, second, synced string
	var firstDevice []*webauthn.Credential

	step(t, "sign up", func(t *testing.T) {
		p.typeUsername(t, "alice")
		p.ClickInPage("create")
		p.waitSignedIn(t, "alice")
		ids := s.deviceIDs(t, "alice")
		if len(ids) != 1 || !s.accepted(t, "alice", ids[0]) {
			t.Fatalf("passbridge holds %v for alice; want one passkey the site accepted", ids)
		}
		first = ids[0]
		rows := p.waitRows(t, 1)
		if r := rows[0]; r.ID != first || r.Removable || r.Uses != "0" || r.Used != "Never" ||
			r.IconSrc != "/static/passkey.svg" || !r.Loaded {
			t.Errorf("the table shows %+v; want the new passkey, never used, its Remove disabled, the generic icon", r)
		}
		if p.Eval(`String(!document.getElementById("last-passkey").hidden)`) != "true" {
			t.Error("the page does not say why the only passkey cannot be removed")
		}
		c := p.cookie(t, s.site, "flexnode_session")
		if c == nil || !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" {
			t.Errorf("session cookie %+v; want HttpOnly, SameSite=Lax", c)
		}
		if p.cookie(t, s.site, "flexnode_signup") != nil {
			t.Error("the sign-up reservation cookie outlived the sign-up")
		}
	})

	step(t, "sign out, sign in with the button", func(t *testing.T) {
		p.signOut(t)
		if status, code := p.fetchStatus(t, "GET", "/api/me"); status != http.StatusUnauthorized || code != "not_signed_in" {
			t.Fatalf("GET /api/me after sign-out: %d %s", status, code)
		}
		// No username: whichever passkey this device holds.
		p.typeUsername(t, "")
		p.ClickInPage("sign-in")
		p.waitSignedIn(t, "alice")
		p.signOut(t)
		// A username: only that user's passkeys.
		p.typeUsername(t, "alice")
		p.ClickInPage("sign-in")
		p.waitSignedIn(t, "alice")
		p.signOut(t)
	})

	step(t, "sign in from the autofill", func(t *testing.T) {
		p.pickFromAutofill(t)
		p.waitSignedIn(t, "alice")
		p.signOut(t)
	})

	step(t, "a taken username is refused", func(t *testing.T) {
		p.typeUsername(t, "alice")
		p.ClickInPage("create")
		text := p.waitMessage(t, "username_taken")
		if !strings.Contains(text, "alice is taken: sign in, or choose another username") {
			t.Errorf("message %q", text)
		}
		if ids := s.deviceIDs(t, "alice"); !slices.Equal(ids, []string{first}) {
			t.Errorf("alice's passkeys %v after the refused sign-up, want only %s", ids, first)
		}
		// Unknown user, bound sign-in: passbridge's refusal, told plainly.
		p.typeUsername(t, "nobody")
		p.ClickInPage("sign-in")
		if text := p.waitMessage(t, "user_not_found"); !strings.Contains(text, "No account has this username") {
			t.Errorf("message %q", text)
		}
	})

	step(t, "a cancelled prompt, then the page still works", func(t *testing.T) {
		// The authenticator cannot verify the person: the browser ends the
		// ceremony as when the person cancels it.
		p.setUserVerified(t, false)
		p.typeUsername(t, "")
		p.ClickInPage("sign-in")
		text := p.waitMessage(t, "NotAllowedError")
		if !strings.Contains(text, "cancelled or timed out") || !strings.Contains(text, "Try again") {
			t.Errorf("message %q", text)
		}
		if p.Eval(`String(document.getElementById("signed-out").hidden)`) != "false" {
			t.Fatal("the page left the sign-in form")
		}
		p.setUserVerified(t, true)
		p.ClickInPage("sign-in")
		p.waitSignedIn(t, "alice")
		if p.Eval(`String(document.getElementById("message").hidden)`) != "true" {
			t.Error("the old error stayed on the page after the sign-in")
		}
	})

	step(t, "add a passkey on another device", func(t *testing.T) {
		firstDevice = p.credentials(t)
		p.switchDevice(t)
		p.ClickInPage("add-passkey")
		p.waitStatus(t, "Passkey added.")
		second = added(t, s.deviceIDs(t, "alice"), first)
		if !s.accepted(t, "alice", second) {
			t.Fatal("the site did not accept the added passkey")
		}
		rows := p.waitRows(t, 2)
		if r := rowOf(t, rows, second); !r.Removable || !rowOf(t, rows, first).Removable || r.Uses != "0" {
			t.Errorf("rows %+v; want both removable, the new one unused", rows)
		}
	})

	step(t, "a synced passkey shows its light and dark icons", func(t *testing.T) {
		// Alice adds a 1Password passkey from her phone, in the same session
		// (its cookie), through the site's API.
		jar, _ := cookiejar.New(nil)
		site, _ := url.Parse(s.site)
		jar.SetCookies(site, []*http.Cookie{{Name: "flexnode_session", Value: p.cookie(t, s.site, "flexnode_session").Value}})
		phone := &person{t: t, s: s, http: &http.Client{Jar: jar}, auth: softauthn.New(softauthn.Options{
			AAGUID: onePasswordAAGUID, BackupEligible: true, BackedUp: true,
		})}
		if status, out := phone.verify(phone.registerPasskey(phone.transaction("/api/register", map[string]string{}))); status != http.StatusOK {
			t.Fatalf("add the phone's passkey: %d %v", status, out)
		}
		synced = added(t, s.deviceIDs(t, "alice"), first, second)
		var info ceremony.AuthenticatorInfo
		for _, d := range s.p.Devices(s.appID, "alice") {
			if d.ID == synced {
				info = s.p.Ceremony.DeviceAuthenticator(d)
			}
		}
		if !strings.HasPrefix(info.IconLight, "data:image/svg+xml") || !strings.HasPrefix(info.IconDark, "data:image/svg+xml") ||
			info.IconLight == info.IconDark {
			t.Fatalf("passbridge's 1Password icons: light %.40q dark %.40q", info.IconLight, info.IconDark)
		}
		p.Navigate(s.site + "/")
		p.waitSignedIn(t, "alice")
		r := rowOf(t, p.waitRows(t, 3), synced)
		if r.Name != "1Password" || r.Type != "Synced passkey" || r.IconSrc != info.IconLight || r.DarkIcon == "" {
			t.Errorf("row %+v", r)
		}
		for _, scheme := range []struct{ name, want string }{{"dark", info.IconDark}, {"light", info.IconLight}} {
			if _, err := chromedp.Call(p.Ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme.name}},
			}); err != nil {
				t.Fatal(err)
			}
			p.until(t, "the "+scheme.name+" icon", `(() => {
				const img = document.querySelector(`+strconv.Quote("#device-rows tr[data-device-id="+strconv.Quote(synced)+"] td.icon img")+`);
				return img.currentSrc === `+strconv.Quote(scheme.want)+` && img.complete && img.naturalWidth > 0;
			})()`)
		}
	})

	step(t, "rename", func(t *testing.T) {
		p.clickRow(t, synced, "rename")
		p.until(t, "the rename dialog", `document.getElementById("rename-dialog").open && `+
			`document.getElementById("rename-input").value === "1Password"`)
		p.ClickInPage("rename-cancel")
		p.until(t, "the dialog closed", `!document.getElementById("rename-dialog").open`)
		if got := rowOf(t, p.waitRows(t, 3), synced).Name; got != "1Password" {
			t.Fatalf("cancel renamed the passkey to %q", got)
		}
		p.clickRow(t, synced, "rename")
		p.until(t, "the rename dialog", `document.getElementById("rename-dialog").open`)
		p.Eval(`(() => { document.getElementById("rename-input").value = "  Alice's phone  "; return ""; })()`)
		p.ClickInPage("rename-save")
		p.waitStatus(t, "Renamed to Alice's phone.")
		if got := rowOf(t, p.waitRows(t, 3), synced).Name; got != "Alice's phone" {
			t.Errorf("the table shows %q", got)
		}
		for _, d := range s.p.Devices(s.appID, "alice") {
			if d.ID == synced && d.FriendlyName != "Alice's phone" {
				t.Errorf("passbridge holds the name %q", d.FriendlyName)
			}
		}
	})

	step(t, "confirm a sensitive action with a passkey", func(t *testing.T) {
		p.ClickInPage("delete-data")
		p.waitStatus(t, "Deletion of your data confirmed.")
		if text := p.Text("data-deletion"); !strings.HasPrefix(text, "Deletion of your data confirmed") {
			t.Errorf("the page says %q", text)
		}
		// The passkey of this device (the second) answered the ceremony.
		if r := rowOf(t, p.waitRows(t, 3), second); r.Uses != "1" || r.Used == "Never" {
			t.Errorf("row of the confirming passkey %+v; want one use", r)
		}
	})

	step(t, "remove, never the last", func(t *testing.T) {
		for _, id := range []string{synced, first} {
			name := rowOf(t, p.waitRows(t, len(s.deviceIDs(t, "alice"))), id).Name
			p.clickRow(t, id, "remove")
			p.until(t, "the remove dialog", `document.getElementById("remove-dialog").open`)
			p.ClickInPage("remove-confirm")
			p.until(t, "the dialog closed", `!document.getElementById("remove-dialog").open`)
			p.waitStatus(t, "Removed "+name+".")
		}
		rows := p.waitRows(t, 1)
		if rows[0].ID != second || rows[0].Removable {
			t.Errorf("rows %+v; want the second passkey, its Remove disabled", rows)
		}
		if ids := s.deviceIDs(t, "alice"); !slices.Equal(ids, []string{second}) {
			t.Errorf("passbridge holds %v, want only %s", ids, second)
		}
		// The backend refuses to remove the last one, whatever the page.
		if status, code := p.fetchStatus(t, "DELETE", "/api/devices/"+second); status != http.StatusConflict || code != "last_passkey" {
			t.Errorf("DELETE of the last passkey: %d %s, want 409 last_passkey", status, code)
		}
		if ids := s.deviceIDs(t, "alice"); len(ids) != 1 {
			t.Errorf("passbridge holds %v after the refused removal", ids)
		}
	})

	step(t, "a removed passkey no longer signs in", func(t *testing.T) {
		secondDevice := p.credentials(t)
		p.signOut(t)
		// Back on the first device, which still holds the removed passkey.
		p.switchDevice(t, firstDevice...)
		p.typeUsername(t, "")
		p.ClickInPage("sign-in")
		text := p.waitMessage(t, "passkey_removed")
		if !strings.Contains(text, "was removed from your account") || !strings.Contains(text, "Sign in with another of your passkeys") {
			t.Errorf("message %q", text)
		}
		if status, _ := p.fetchStatus(t, "GET", "/api/me"); status != http.StatusUnauthorized {
			t.Fatalf("GET /api/me after the refused sign-in: %d, want 401", status)
		}
		// The device with the remaining passkey signs in.
		p.switchDevice(t, secondDevice...)
		p.ClickInPage("sign-in")
		p.waitSignedIn(t, "alice")
	})

	if v := p.Eval(`window.cspViolations.join("\n")`); v != "" {
		t.Errorf("the page broke its Content-Security-Policy:\n%s", v)
	}
}

// added is the one ID of ids that is not known, failing when there is not
// exactly one: passbridge lists devices made in the same instant (its test
// clock stands still) in no set order.
func added(t *testing.T, ids []string, known ...string) string {
	t.Helper()
	var fresh []string
	for _, id := range ids {
		if !slices.Contains(known, id) {
			fresh = append(fresh, id)
		}
	}
	if len(fresh) != 1 || len(ids) != len(known)+1 {
		t.Fatalf("passbridge holds %v; want %v and one more", ids, known)
	}
	return fresh[0]
}

// rowOf is the table row of device id.
func rowOf(t *testing.T, rows []deviceRow, id string) deviceRow {
	t.Helper()
	for _, r := range rows {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no row of %s in %+v", id, rows)
	return deviceRow{}
}
