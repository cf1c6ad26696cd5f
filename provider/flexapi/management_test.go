package flexapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
)

// Devices carry the authenticator's name and icons from the AAGUID list, and
// Passage's field set.
func TestDeviceNamesAndIcons(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		apple := softauthn.New(softauthn.Options{AAGUID: aaguidICloud, BackupEligible: true, BackedUp: true})
		_, cred := h.register(apple, "erin")
		plain := softauthn.New(softauthn.Options{})
		h.register(plain, "erin")

		r := h.mgmt(http.MethodGet, "/users/"+h.userID("erin")+"/devices", nil)
		apitest.OK(t, r)
		var v struct{ Devices []deviceJSON }
		r.Decode(t, &v)
		if len(v.Devices) != 2 {
			t.Fatalf("devices: %s", r.Body)
		}
		// The shared AAGUID list names this AAGUID "Apple Passwords" (iCloud
		// Keychain's current name); the API must say what the list says.
		reg := apitest.Registry(t)
		info, known := reg.Lookup(aaguidICloud[:])
		if !known || info.Name != "Apple Passwords" {
			t.Fatalf("AAGUID list entry for iCloud Keychain: %+v %v", info, known)
		}
		d := v.Devices[0]
		if d.FriendlyName != info.Name || d.AuthenticatorName != info.Name || d.Type != "passkey" ||
			d.AAGUID != "fbfc3007-154e-4ecc-8c0b-6e020557d7bd" || d.CredID != b64(cred.ID) ||
			!d.BackupEligible || !d.BackedUp || !d.UserVerified || d.UsageCount != 0 || d.LastLoginAt != nil {
			t.Fatalf("iCloud device: %+v", d)
		}
		if d.Icons.Light == nil || *d.Icons.Light != info.IconLight || d.Icons.Dark == nil || *d.Icons.Dark != info.IconDark ||
			!strings.HasPrefix(info.IconLight, "data:image/svg+xml;base64,") || !strings.HasPrefix(info.IconDark, "data:image/svg+xml;base64,") {
			t.Errorf("icons %+v, want the list's light and dark SVG data URIs", d.Icons)
		}
		if strings.Join(d.Transports, ",") != "internal,hybrid" {
			t.Errorf("transports %v", d.Transports)
		}
		if d.CreatedAt.Location() != time.UTC || d.CreatedAt.IsZero() || d.UpdatedAt.IsZero() {
			t.Errorf("times: %v %v", d.CreatedAt, d.UpdatedAt)
		}
		// A device-bound platform credential of an unknown model.
		u := v.Devices[1]
		if u.Type != "platform" || u.AAGUID != "00000000-0000-0000-0000-000000000000" || u.Icons.Light != nil || u.Icons.Dark != nil {
			t.Fatalf("unknown device: %+v", u)
		}
		// Exact JSON of what is not set: null, never absent.
		var raw struct{ Devices []map[string]json.RawMessage }
		r.Decode(t, &raw)
		for k, want := range map[string]string{"last_login_at": "null", "icons": `{"light":null,"dark":null}`} {
			if string(raw.Devices[1][k]) != want {
				t.Errorf("devices[1].%s = %s, want %s", k, raw.Devices[1][k], want)
			}
		}
	})
}

// A device can be renamed; the name is kept and shown.
func TestRenameDevice(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{})
		h.register(a, "frank")
		uid := h.userID("frank")
		dev := h.devices(uid)[0]
		r := h.mgmt(http.MethodPatch, "/users/"+uid+"/devices/"+dev.ID, map[string]string{"friendly_name": "  Work laptop "})
		apitest.OK(t, r)
		var v struct{ Device deviceJSON }
		r.Decode(t, &v)
		if v.Device.FriendlyName != "Work laptop" || v.Device.ID != dev.ID {
			t.Fatalf("renamed: %s", r.Body)
		}
		if got := h.devices(uid)[0].FriendlyName; got != "Work laptop" {
			t.Fatalf("listed name %q", got)
		}
	})
}

// Revoking a device removes it; the user stays; the revoked passkey no
// longer authenticates, and the user now has no passkeys.
func TestRevokeDevice(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{BackupEligible: true})
		h.verify(first(h.register(a, "gina")))
		uid := h.userID("gina")
		dev := h.devices(uid)[0]

		r := h.mgmt(http.MethodDelete, "/users/"+uid+"/devices/"+dev.ID, nil)
		apitest.OK(t, r)
		if len(r.Body) != 0 {
			t.Fatalf("DELETE body %q, want empty", r.Body)
		}
		if ds := h.devices(uid); len(ds) != 0 {
			t.Fatalf("devices after revoke: %+v", ds)
		}
		apitest.OK(t, h.mgmt(http.MethodGet, "/users/"+uid, nil))

		hs := h.authenticateStart("")
		resp, err := a.Authenticate(hs.Handshake.Challenge.PublicKey, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		h.unchanged(t, func() {
			apitest.WantError(t, h.client("/authenticate/transactions/webauthn/finish", finishBody("", hs.Handshake.ID, resp)), 422, "webauthn_verification_failed")
		})
		apitest.WantError(t, h.mgmt(http.MethodPost, "/transactions/authenticate", map[string]string{"external_id": "gina"}), 409, "user_has_no_passkeys")
		apitest.WantError(t, h.mgmt(http.MethodDelete, "/users/"+uid+"/devices/"+dev.ID, nil), 404, "device_not_found")
	})
}

// Deleting a user removes it and its devices.
func TestDeleteUser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{})
		h.register(a, "hank")
		uid := h.userID("hank")
		r := h.mgmt(http.MethodDelete, "/users/"+uid, nil)
		apitest.OK(t, r)
		if len(r.Body) != 0 {
			t.Fatalf("DELETE body %q, want empty", r.Body)
		}
		apitest.WantError(t, h.mgmt(http.MethodGet, "/users/"+uid, nil), 404, "user_not_found")
		apitest.WantError(t, h.mgmt(http.MethodGet, "/users/"+uid+"/devices", nil), 404, "user_not_found")
		apitest.WantError(t, h.mgmt(http.MethodDelete, "/users/"+uid, nil), 404, "user_not_found")
		var list struct {
			Users []any `json:"users"`
			Total int   `json:"total_users"`
		}
		h.mgmt(http.MethodGet, "/users?identifier=hank", nil).Decode(t, &list)
		if list.Total != 0 || len(list.Users) != 0 {
			t.Fatalf("find after delete: %+v", list)
		}
	})
}

// Find users pages by limit and 1-based page, with links around the page.
func TestFindUsersPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		for _, id := range []string{"u1", "u2", "u3", "u4", "u5"} {
			h.createRegisterTransaction(id)
			h.clock.Advance(time.Second)
		}
		type page struct {
			Users []struct {
				ExternalID string `json:"external_id"`
			} `json:"users"`
			Total         int   `json:"total_users"`
			Limit         int   `json:"limit"`
			Page          int   `json:"page"`
			CreatedBefore int64 `json:"created_before"`
			Links         map[string]*struct {
				Href string `json:"href"`
			} `json:"_links"`
		}
		get := func(query string) page {
			t.Helper()
			r := h.mgmt(http.MethodGet, "/users"+query, nil)
			apitest.OK(t, r)
			var p page
			r.Decode(t, &p)
			return p
		}
		base := "/v1/apps/" + h.app.ID + "/users?"
		p := get("?limit=2&page=2")
		if p.Total != 5 || p.Limit != 2 || p.Page != 2 || len(p.Users) != 2 || p.Users[0].ExternalID != "u3" || p.Users[1].ExternalID != "u4" {
			t.Fatalf("page 2: %+v", p)
		}
		want := map[string]string{"self": "limit=2&page=2", "first": "limit=2&page=1", "previous": "limit=2&page=1", "next": "limit=2&page=3", "last": "limit=2&page=3"}
		for k, q := range want {
			if p.Links[k] == nil || p.Links[k].Href != base+q {
				t.Errorf("_links.%s = %+v, want %s", k, p.Links[k], base+q)
			}
		}
		if p.CreatedBefore < h.clock.Now().Unix()-1 {
			t.Errorf("created_before %d", p.CreatedBefore)
		}

		p = get("?limit=2&page=3")
		if len(p.Users) != 1 || p.Users[0].ExternalID != "u5" || p.Links["next"] != nil || p.Links["previous"] == nil {
			t.Fatalf("last page: %+v", p)
		}
		p = get("")
		if p.Limit != 20 || p.Page != 1 || len(p.Users) != 5 || p.Links["previous"] != nil || p.Links["next"] != nil ||
			p.Links["last"].Href != base+"limit=20&page=1" {
			t.Fatalf("defaults: %+v", p)
		}
		p = get("?limit=2&page=9")
		if len(p.Users) != 0 || p.Total != 5 || p.Links["previous"].Href != base+"limit=2&page=3" {
			t.Fatalf("past the end: %+v", p)
		}
		p = get("?identifier=u4")
		if p.Total != 1 || len(p.Users) != 1 || p.Users[0].ExternalID != "u4" || p.Links["self"].Href != base+"identifier=u4&limit=20&page=1" {
			t.Fatalf("identifier: %+v", p)
		}
		p = get("?identifier=nobody")
		if p.Total != 0 || len(p.Users) != 0 {
			t.Fatalf("no match: %+v", p)
		}
		r := h.mgmt(http.MethodGet, "/users?identifier=nobody", nil)
		if !bytes.Contains(r.Body, []byte(`"users":[]`)) {
			t.Fatalf("empty list must be [], got %s", r.Body)
		}
	})
}
