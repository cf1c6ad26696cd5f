//go:build e2e

package main

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/examples/internal/exampletest"
)

// onePasswordAAGUID is 1Password's AAGUID, which passbridge's authenticator
// list names and has different light and dark icons for.
var onePasswordAAGUID = uuid.MustParse("bada5566-a7aa-401f-bd96-45619a55120d")

// accountSteps continue TestBrowserFlexExample on the signed-in page: the
// passkey table with its icons, adding a passkey, renaming, confirming
// "Delete my data" with a passkey, and removing passkeys down to the last
// one, which the page and the backend keep.
func accountSteps(t *testing.T, s *stack, rec *recorder, p *page) {
	step(t, "sign in again", func(t *testing.T) {
		p.typeUsername(t, "")
		p.click(t, "sign-in")
		p.waitSignedIn(t, "alice")
	})

	first := deviceIDs(t, s, "alice")[0]
	step(t, "the passkey table", func(t *testing.T) {
		want := s.devices(t, "alice")[0]
		rows := p.waitRows(t, 1)
		r := rows[0]
		// Chromium's virtual authenticator is not in the authenticator
		// list: no icon of its own, and no backup, so bound to this device.
		if r.ID != first || r.Name != want["friendly_name"] || r.Type != "This device only" ||
			r.Created == "" || r.Used == "" || r.Used == "Never" ||
			r.Uses != strconv.Itoa(int(want["usage_count"].(float64))) || r.Uses == "0" {
			t.Errorf("row %+v, want passbridge's %v", r, want)
		}
		if !strings.HasSuffix(r.IconSrc, "/static/passkey.svg") || r.DarkSrcset != "" || !r.Loaded {
			t.Errorf("row's icon %+v, want the generic one, loaded", r)
		}
		if r.Removable || !p.evalBool(t, `!document.getElementById("last-passkey").hidden`) {
			t.Error("the only passkey can be removed, or the page does not say why not")
		}
	})

	var second string
	step(t, "add a passkey on another device", func(t *testing.T) {
		// The first authenticator would refuse a second passkey of alice's
		// (excludeCredentials): the new one is made on another.
		p.replaceAuthenticator(t)
		s.Clock.Advance(time.Second) // made after the first
		p.click(t, "add-passkey")
		rows := p.waitRows(t, 2)
		ids := deviceIDs(t, s, "alice")
		if len(ids) != 2 || ids[0] != first {
			t.Fatalf("passbridge holds %v", ids)
		}
		second = ids[1]
		if rows[1].ID != second || rows[1].Uses != "0" || rows[1].Used != "Never" || !rows[0].Removable || !rows[1].Removable {
			t.Errorf("rows %+v", rows)
		}
		if !s.appAccepts(t, "alice", second) {
			t.Error("the app did not accept the added passkey")
		}
		if st := p.eval(t, `document.getElementById("status").textContent`); st != "Passkey added." {
			t.Errorf("status %q", st)
		}
	})

	var synced string
	step(t, "a synced passkey shows its light and dark icons", func(t *testing.T) {
		// Alice adds a passkey from 1Password on her phone, in the same
		// session (its cookie), through the site's own API.
		jar, _ := cookiejar.New(nil)
		site, _ := url.Parse(s.site)
		jar.SetCookies(site, []*http.Cookie{{Name: sessionCookie, Value: p.cookie(t, s.site, sessionCookie)}})
		phone := &person{t: t, s: s, http: &http.Client{Jar: jar}, auth: softauthn.New(softauthn.Options{
			AAGUID: onePasswordAAGUID, BackupEligible: true, BackedUp: true,
		})}
		phone.addPasskeyWith(phone.auth)
		devices := s.devices(t, "alice")
		want := devices[2]
		synced = want["id"].(string)
		icons := want["icons"].(map[string]any)
		light, _ := icons["light"].(string)
		dark, _ := icons["dark"].(string)
		if !strings.HasPrefix(light, "data:image/svg+xml") || !strings.HasPrefix(dark, "data:image/svg+xml") || light == dark {
			t.Fatalf("passbridge's icons of 1Password: light %.40q dark %.40q, want two SVG data URIs", light, dark)
		}

		p.reload(t, "alice")
		rows := p.waitRows(t, 3)
		r := rows[2]
		if r.ID != synced || r.Name != "1Password" || r.Type != "Synced passkey" || r.Uses != "0" || r.Used != "Never" {
			t.Errorf("row %+v", r)
		}
		if r.IconSrc != light || r.DarkSrcset != dark || r.DarkMedia != "(prefers-color-scheme: dark)" {
			t.Errorf("row's icon: src %.40q, dark source %q %.40q", r.IconSrc, r.DarkMedia, r.DarkSrcset)
		}
		for _, scheme := range []struct{ name, want string }{{"dark", dark}, {"light", light}} {
			p.setScheme(t, scheme.name)
			p.poll(t, "the "+scheme.name+" icon", `(() => {
				const img = document.querySelector("#device-rows tr:nth-child(3) td.icon img");
				return img.currentSrc === `+strconv.Quote(scheme.want)+` && img.complete && img.naturalWidth > 0;
			})()`)
		}
	})

	step(t, "rename", func(t *testing.T) {
		p.clickRow(t, synced, "rename")
		p.poll(t, "the rename dialog", `document.getElementById("rename-dialog").open && `+
			`document.getElementById("rename-input").value === "1Password"`)
		// Cancel leaves the name.
		p.click(t, "rename-cancel")
		p.poll(t, "the dialog closed", `!document.getElementById("rename-dialog").open`)
		if rows := p.rows(t); rows[2].Name != "1Password" {
			t.Fatalf("cancel renamed the passkey to %q", rows[2].Name)
		}

		p.clickRow(t, synced, "rename")
		p.poll(t, "the rename dialog", `document.getElementById("rename-dialog").open`)
		ctx, cancel := context.WithTimeout(p.ctx, exampletest.WaitLimit)
		defer cancel()
		err := chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`document.getElementById("rename-input").value = ""`),
			chromedp.SendKeys(chromedp.ID("rename-input"), "Alice's phone"))
		if err != nil {
			t.Fatal(err)
		}
		p.click(t, "rename-save")
		p.poll(t, "the new name", `document.querySelector("#device-rows tr:nth-child(3) .name").textContent === "Alice's phone" && `+
			`document.getElementById("status").textContent === "Renamed to Alice's phone."`)
		if got := s.devices(t, "alice")[2]["friendly_name"]; got != "Alice's phone" {
			t.Errorf("passbridge holds the name %q", got)
		}
	})

	step(t, "confirm deleting my data with a passkey", func(t *testing.T) {
		if me := p.me(t); me.DataDeletionConfirmedAt != nil {
			t.Fatalf("deletion confirmed before the button: %v", *me.DataDeletionConfirmedAt)
		}
		rec.take()
		p.click(t, "delete-data")
		p.poll(t, "the confirmation", `document.getElementById("data-deletion").textContent.startsWith("Deletion of your data confirmed ") && `+
			`document.getElementById("status").textContent === "Deletion of your data confirmed."`)
		if me := p.me(t); me.DataDeletionConfirmedAt == nil {
			t.Error("/api/me shows no confirmed deletion")
		}
		if !hasCall(rec.take(), http.MethodPost, "authenticate/transactions/webauthn/finish", true) {
			t.Error("no authenticate finish bound to a transaction reached passbridge")
		}
		// The passkey on this device answered: its use shows in the table.
		rows := p.waitRows(t, 3)
		if rows[1].ID != second || rows[1].Uses != "1" || rows[1].Used == "Never" {
			t.Errorf("row of the confirming passkey %+v, want one use", rows[1])
		}
	})

	step(t, "remove a passkey, after confirming", func(t *testing.T) {
		p.clickRow(t, synced, "remove")
		p.poll(t, "the remove dialog", `document.getElementById("remove-dialog").open && `+
			`document.getElementById("remove-title").textContent === "Remove “Alice's phone”?"`)
		p.click(t, "remove-cancel")
		p.poll(t, "the dialog closed", `!document.getElementById("remove-dialog").open`)
		if n := len(deviceIDs(t, s, "alice")); n != 3 {
			t.Fatalf("cancel removed a passkey: %d left", n)
		}

		p.clickRow(t, synced, "remove")
		p.poll(t, "the remove dialog", `document.getElementById("remove-dialog").open`)
		p.click(t, "remove-confirm")
		rows := p.waitRows(t, 2)
		if rows[0].ID != first || rows[1].ID != second {
			t.Errorf("rows %+v", rows)
		}
		if ids := deviceIDs(t, s, "alice"); slices.Contains(ids, synced) || len(ids) != 2 {
			t.Errorf("passbridge holds %v", ids)
		}
		if s.appAccepts(t, "alice", synced) {
			t.Error("the app still accepts the removed passkey")
		}
		if st := p.eval(t, `document.getElementById("status").textContent`); st != "Removed Alice's phone." {
			t.Errorf("status %q", st)
		}
	})

	step(t, "the last passkey cannot be removed", func(t *testing.T) {
		p.clickRow(t, first, "remove")
		p.poll(t, "the remove dialog", `document.getElementById("remove-dialog").open`)
		p.click(t, "remove-confirm")
		rows := p.waitRows(t, 1)
		if rows[0].ID != second || rows[0].Removable {
			t.Errorf("rows %+v, want the passkey of this device, not removable", rows)
		}
		if !p.evalBool(t, `!document.getElementById("last-passkey").hidden`) {
			t.Error("the page does not say why the last passkey stays")
		}
		// The backend refuses it too, whatever the page shows.
		if status, code := p.fetchStatus(t, http.MethodDelete, "/api/devices/"+second); status != http.StatusConflict || code != "last_passkey" {
			t.Errorf("DELETE of the last passkey from the page: %d %q, want 409 last_passkey", status, code)
		}
		if ids := deviceIDs(t, s, "alice"); !slices.Equal(ids, []string{second}) {
			t.Errorf("passbridge holds %v, want %s", ids, second)
		}
		// It still signs in.
		p.signOut(t)
		p.click(t, "sign-in")
		p.waitSignedIn(t, "alice")
	})
}
