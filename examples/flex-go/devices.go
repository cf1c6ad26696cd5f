package main

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxDeviceName is the longest passkey name, in characters; passbridge
// refuses longer ones too.
const maxDeviceName = 100

// meDevice is a passkey as the page shows it.
type meDevice struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"` // "passkey" (synced) | "platform" | "security_key"
	// IconLight and IconDark are the authenticator's icons for light and
	// dark backgrounds, SVG data: URIs from passbridge's authenticator
	// list; null when it has none.
	IconLight   *string    `json:"icon_light"`
	IconDark    *string    `json:"icon_dark"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
	UsageCount  int64      `json:"usage_count"`
	// Removable is false for the account's last passkey that signs in,
	// which revokeDevice refuses to remove.
	Removable bool `json:"removable"`
}

// meDevices turns name's passkeys, as passbridge lists them, into what the
// page shows.
func (a *app) meDevices(name string, devices []device) []meDevice {
	ids := make([]string, len(devices))
	for i, d := range devices {
		ids[i] = d.ID
	}
	signIn := a.accounts.signInPasskeys(name, ids)
	out := make([]meDevice, len(devices))
	for i, d := range devices {
		out[i] = toMeDevice(d)
		out[i].Removable = !slices.Contains(signIn, d.ID) || len(signIn) > 1
	}
	return out
}

func toMeDevice(d device) meDevice {
	return meDevice{
		ID: d.ID, Name: d.FriendlyName, Type: d.Type,
		IconLight: d.Icons.Light, IconDark: d.Icons.Dark,
		CreatedAt: d.CreatedAt, LastLoginAt: d.LastLoginAt, UsageCount: d.UsageCount,
	}
}

// deviceName checks a passkey name a person typed: 1 to 100 characters
// once trimmed, none of them control or bidirectional-override characters,
// which could make a name display as another.
func deviceName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	ok := name != "" && utf8.ValidString(name) && utf8.RuneCountInString(name) <= maxDeviceName
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			ok = false
		}
	}
	if !ok {
		return "", &apiError{Status: http.StatusBadRequest, Code: "invalid_name",
			Message: "enter a name of 1 to 100 characters"}
	}
	return name, nil
}

var errDeviceNotFound = &apiError{Status: http.StatusNotFound, Code: "device_not_found",
	Message: "you have no passkey with this ID"}

// renameDevice renames one of the signed-in user's passkeys:
// PATCH /api/devices/{id} {"name"}. The management call names the user
// the session signed in, so passbridge itself refuses a device of anyone
// else.
func (a *app) renameDevice(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	username, ok := a.sessions.user(r)
	if !ok {
		a.fail(w, r, errNotSignedIn)
		return
	}
	name, err := deviceName(req.Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	userID, err := a.pb.userID(r.Context(), username)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if userID == "" {
		a.fail(w, r, errDeviceNotFound)
		return
	}
	d, err := a.pb.renameDevice(r.Context(), userID, r.PathValue("id"), name)
	if isNotFound(err) {
		err = errDeviceNotFound
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, renameResponse{ID: d.ID, Name: d.FriendlyName})
}

// renameResponse is the renamed passkey: its ID and new name, as
// passbridge stored it.
type renameResponse struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// revokeDevice removes one of the signed-in user's passkeys:
// DELETE /api/devices/{id}. The app forgets it first, then passbridge
// deletes it. The account's last passkey that signs in is not removed
// (409 last_passkey): without one, nobody could sign in to the account
// again, its owner included, and this example has no other way in (no
// e-mail link, no recovery codes). A person who is replacing a passkey adds
// the new one first.
func (a *app) revokeDevice(w http.ResponseWriter, r *http.Request) {
	username, ok := a.sessions.user(r)
	if !ok {
		a.fail(w, r, errNotSignedIn)
		return
	}
	deviceID := r.PathValue("id")
	userID, err := a.pb.userID(r.Context(), username)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if userID == "" {
		a.fail(w, r, errDeviceNotFound)
		return
	}
	devices, err := a.pb.devices(r.Context(), userID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	live := make([]string, len(devices))
	for i, d := range devices {
		live[i] = d.ID
	}
	if !slices.Contains(live, deviceID) {
		a.fail(w, r, errDeviceNotFound)
		return
	}
	wasAccepted, err := a.accounts.forget(username, deviceID, live)
	if errors.Is(err, errLastPasskey) {
		err = &apiError{Status: http.StatusConflict, Code: "last_passkey",
			Message: "this is your only passkey: add another one before you remove it, or you could not sign in again"}
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.pb.deleteDevice(r.Context(), userID, deviceID); err != nil && !isNotFound(err) {
		// passbridge still holds it: it signs in again, as before.
		if wasAccepted {
			if err := a.accounts.accept(username, deviceID); err != nil {
				a.log.Error("accept a passkey again after a failed removal", "user", username, "device", deviceID, "err", err)
			}
		}
		a.fail(w, r, err)
		return
	}
	a.log.Info("passkey removed", "user", username, "device", deviceID)
	w.WriteHeader(http.StatusNoContent)
}
