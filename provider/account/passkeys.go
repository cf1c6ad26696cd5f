package account

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

// passkey is one of the user's passkeys as the page shows it.
type passkey struct {
	ID     string `json:"id"`
	CredID string `json:"cred_id"` // base64url without padding, as in WebAuthn JSON
	Name   string `json:"name"`
	Type   string `json:"type"` // "passkey" | "platform" | "security_key"
	// AuthenticatorName is the authenticator model the AAGUID list names,
	// null when it does not know it.
	AuthenticatorName *string    `json:"authenticator_name"`
	Icons             icons      `json:"icons"`
	CreatedAt         time.Time  `json:"created_at"`
	LastUsedAt        *time.Time `json:"last_used_at"` // null until first used to sign in
	// Synced is the backup-eligible flag: the passkey may be copied to the
	// user's other devices by their passkey provider.
	Synced bool `json:"synced"`
	// Current marks the passkey whose ceremony made this session.
	Current bool `json:"current"`
}

// icons are the authenticator model's SVG data URIs, null when unknown.
type icons struct {
	Light *string `json:"light"`
	Dark  *string `json:"dark"`
}

// user is the signed-in user as WebAuthn knows them: the user handle
// (base64url) and user.name / user.displayName, which the page hands the
// Signals API.
type user struct {
	ExternalID  string `json:"external_id"`
	Handle      string `json:"handle"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
}

// listResponse is the signed-in user's passkeys, oldest first, with what
// the page needs to run ceremonies and signals: the app and its RP ID.
type listResponse struct {
	AppID    string    `json:"app_id"`
	RPID     string    `json:"rp_id"`
	User     user      `json:"user"`
	Passkeys []passkey `json:"passkeys"`
}

func (h *Handler) newPasskey(d storage.Device, sess storage.Session) passkey {
	info := h.ceremony.DeviceAuthenticator(d)
	p := passkey{
		ID: d.ID, CredID: base64.RawURLEncoding.EncodeToString(d.CredentialID), Name: d.FriendlyName,
		Type: d.Type, CreatedAt: d.CreatedAt.UTC(), Synced: d.BackupEligible, Current: d.ID == sess.DeviceID,
	}
	if h.ceremony.Authenticator(d.AAGUID).Name != ceremony.UnknownAuthenticator {
		p.AuthenticatorName = &info.Name
	}
	if info.IconLight != "" {
		p.Icons.Light = &info.IconLight
	}
	if info.IconDark != "" {
		p.Icons.Dark = &info.IconDark
	}
	if !d.LastLoginAt.IsZero() {
		t := d.LastLoginAt.UTC()
		p.LastUsedAt = &t
	}
	return p
}

// passkeys lists the session user's passkeys.
func (h *Handler) passkeys(ctx context.Context, app storage.App, sess storage.Session) (listResponse, error) {
	u, err := h.store.GetUser(ctx, app.ID, sess.UserID)
	if err != nil {
		return listResponse{}, err
	}
	ds, err := h.store.ListDevices(ctx, app.ID, u.ID)
	if err != nil {
		return listResponse{}, err
	}
	// WebAuthn user.name and displayName, as the ceremonies present them.
	name := u.DisplayName
	if name == "" {
		name = u.ExternalID
	}
	resp := listResponse{
		AppID: app.ID, RPID: app.RPID, Passkeys: make([]passkey, len(ds)),
		User: user{ExternalID: u.ExternalID, Handle: base64.RawURLEncoding.EncodeToString(u.Handle), Name: name, DisplayName: name},
	}
	for i, d := range ds {
		resp.Passkeys[i] = h.newPasskey(d, sess)
	}
	return resp, nil
}

// list answers GET /account/api/passkeys?app_id=.
func (h *Handler) list(c *gin.Context) error {
	app, sess, err := h.signedIn(c, c.Query("app_id"))
	if err != nil {
		return err
	}
	resp, err := h.passkeys(c.Request.Context(), app, sess)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, resp)
	return nil
}

type renameRequest struct {
	Name string `json:"name"`
}

// rename answers PATCH /account/api/passkeys/{id}?app_id= {"name"}: the
// name is trimmed and must be 1 to 100 characters, none of them control
// characters.
func (h *Handler) rename(c *gin.Context) error {
	app, sess, err := h.signedIn(c, c.Query("app_id"))
	if err != nil {
		return err
	}
	var req renameRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	name := strings.TrimSpace(req.Name)
	switch {
	case name == "":
		return httpapi.BadRequest("name is required")
	case utf8.RuneCountInString(name) > 100:
		return httpapi.BadRequest("name is longer than 100 characters")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return httpapi.BadRequest("name contains control characters")
	}
	id := c.Param("id")
	if !httpapi.Plausible(id, 64) {
		return errDeviceNotFound
	}
	d, err := h.ceremony.RenameDevice(h.actor(c, sess), app, sess.UserID, id, name)
	if errors.Is(err, ceremony.ErrDeviceNotFound) {
		return errDeviceNotFound
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"passkey": h.newPasskey(d, sess)})
	return nil
}

type removeRequest struct {
	// Confirm removes the user's last passkey, which is refused without it.
	Confirm bool `json:"confirm"`
}

// removeResponse is what is left after a removal. SignedOut: the passkey
// removed had made this session, which ended with it.
type removeResponse struct {
	listResponse
	SignedOut bool `json:"signed_out"`
}

// remove answers DELETE /account/api/passkeys/{id}?app_id= with an
// optional {"confirm": true}: the user's last passkey goes only with it
// (409 last_passkey otherwise). Removing the passkey that made this session
// ends the session, as revoking a device ends what it authenticated.
func (h *Handler) remove(c *gin.Context) error {
	app, sess, err := h.signedIn(c, c.Query("app_id"))
	if err != nil {
		return err
	}
	var req removeRequest
	if err := httpapi.DecodeOptionalJSON(c, &req); err != nil {
		return err
	}
	id := c.Param("id")
	if !httpapi.Plausible(id, 64) {
		return errDeviceNotFound
	}
	ctx := c.Request.Context()
	revoke := h.ceremony.RevokeDeviceKeepingLast
	if req.Confirm {
		revoke = h.ceremony.RevokeDevice
	}
	err = revoke(h.actor(c, sess), app, sess.UserID, id)
	if errors.Is(err, ceremony.ErrDeviceNotFound) {
		return errDeviceNotFound
	}
	if errors.Is(err, ceremony.ErrLastDevice) {
		return errLastPasskey
	}
	if err != nil {
		return err
	}
	h.log.InfoContext(ctx, "account: passkey removed", "app_id", app.ID, "user_id", sess.UserID, "device_id", id)
	resp, err := h.passkeys(ctx, app, sess)
	if err != nil {
		return err
	}
	// The store ends the sessions a device authenticated when it goes:
	// whether this one is still live says whether the browser is still
	// signed in.
	live, err := h.provider.Session(ctx, c.Request, app.ID)
	if err != nil {
		return err
	}
	if live == nil {
		h.provider.Cookies().ClearSession(c.Writer, app.ID)
	}
	c.JSON(http.StatusOK, removeResponse{listResponse: resp, SignedOut: live == nil})
	return nil
}

type transactionRequest struct {
	AppID string `json:"app_id"`
}

// transaction answers POST /account/api/passkeys/transaction {"app_id"}:
// a register transaction for the signed-in user, which the page runs
// through the Flex client API.
func (h *Handler) transaction(c *gin.Context) error {
	var req transactionRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	app, sess, err := h.signedIn(c, req.AppID)
	if err != nil {
		return err
	}
	u, err := h.store.GetUser(c.Request.Context(), app.ID, sess.UserID)
	if err != nil {
		return err
	}
	t, err := h.ceremony.CreateRegisterTransaction(h.actor(c, sess), app, sess.Subject, u.DisplayName)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"app_id": app.ID, "transaction_id": t.ID})
	return nil
}

type nonceRequest struct {
	AppID string `json:"app_id"`
	Nonce string `json:"nonce"`
}

// addPasskey answers POST /account/passkeys {"app_id", "nonce"}: the nonce
// of the page's registration, which must be a registration of the
// signed-in user. The passkey is stored by the ceremony itself; the nonce
// confirms it and returns it.
func (h *Handler) addPasskey(c *gin.Context) error {
	var req nonceRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	app, sess, err := h.signedIn(c, req.AppID)
	if err != nil {
		return err
	}
	n, err := h.verifyNonce(c.Request.Context(), app, req.Nonce)
	if err != nil {
		return err
	}
	if n.Kind != storage.KindRegister {
		return errWrongCeremony
	}
	if n.ExternalID != sess.Subject {
		return errWrongUser
	}
	d, err := h.store.GetDevice(c.Request.Context(), app.ID, n.DeviceID)
	if errors.Is(err, storage.ErrNotFound) {
		return errDeviceNotFound // removed since
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"passkey": h.newPasskey(d, sess)})
	return nil
}

// verifyNonce redeems a ceremony's nonce.
func (h *Handler) verifyNonce(ctx context.Context, app storage.App, nonce string) (storage.Nonce, error) {
	if nonce == "" {
		return storage.Nonce{}, httpapi.BadRequest("nonce is required")
	}
	n, err := h.ceremony.VerifyNonce(ctx, app, nonce)
	if ceremony.CodeOf(err) != "" {
		return storage.Nonce{}, errInvalidNonce
	}
	return n, err
}

// actor is the request's context naming the signed-in user as who acts,
// for the audit events the ceremony core records.
func (h *Handler) actor(c *gin.Context, sess storage.Session) context.Context {
	return ceremony.WithActor(c.Request.Context(), "user:"+sess.UserID)
}
