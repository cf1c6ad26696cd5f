package passkeyapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

type startPasskeyRegistrationData struct {
	UserID                  string  `json:"userId"`
	EmailOrUsername         string  `json:"emailOrUsername"`
	UserDisplayName         string  `json:"userDisplayName"`
	PasskeyDisplayName      string  `json:"passkeyDisplayName"`
	AdditionalAllowedOrigin *string `json:"additionalAllowedOrigin"`
}

func (a *API) startPasskeyRegistration(c *gin.Context, data json.RawMessage) (any, error) {
	var d startPasskeyRegistrationData
	if err := decodeData(data, &d); err != nil {
		return nil, err
	}
	app := httpapi.App(c)
	var f fieldChecks
	f.required("userId", d.UserID)
	f.userID("userId", d.UserID)
	f.required("emailOrUsername", d.EmailOrUsername)
	f.origin("additionalAllowedOrigin", d.AdditionalAllowedOrigin, app)
	if err := f.err(); err != nil {
		return nil, err
	}
	h, err := a.ceremony.StartRegistration(actorContext(c), app, ceremony.RegistrationStart{
		ExternalID:         d.UserID,
		UserName:           d.EmailOrUsername,
		UserDisplayName:    d.UserDisplayName,
		PasskeyDisplayName: d.PasskeyDisplayName,
	})
	if err != nil {
		return nil, err
	}
	return registrationOptionsResponse{RegistrationOptions: h.Options}, nil
}

type finishPasskeyData struct {
	UserID                  string          `json:"userId"`
	PublicKey               json.RawMessage `json:"publicKey"`
	AdditionalAllowedOrigin *string         `json:"additionalAllowedOrigin"`
}

// passkeyResult names the user and credential a command acted on.
type passkeyResult struct {
	UserID       string `json:"userId"`
	CredentialID string `json:"credentialId"`
}

func newPasskeyResult(res ceremony.Result) passkeyResult {
	return passkeyResult{
		UserID:       res.User.ExternalID,
		CredentialID: base64.RawURLEncoding.EncodeToString(res.Device.CredentialID),
	}
}

func (a *API) finishPasskeyRegistration(c *gin.Context, data json.RawMessage) (any, error) {
	return a.finishPasskey(c, data, true, a.ceremony.FinishRegistration)
}

// finishPasskey checks a finish command's data (userId is optional unless
// userRequired) and hands the browser's response to finish.
func (a *API) finishPasskey(c *gin.Context, data json.RawMessage, userRequired bool,
	finish func(ctx context.Context, app storage.App, externalID string, response []byte) (ceremony.Result, error),
) (any, error) {
	var d finishPasskeyData
	if err := decodeData(data, &d); err != nil {
		return nil, err
	}
	app := httpapi.App(c)
	var f fieldChecks
	if userRequired {
		f.required("userId", d.UserID)
	}
	f.userID("userId", d.UserID)
	if len(d.PublicKey) == 0 || string(d.PublicKey) == "null" {
		f.required("publicKey", "")
	}
	f.origin("additionalAllowedOrigin", d.AdditionalAllowedOrigin, app)
	if err := f.err(); err != nil {
		return nil, err
	}
	res, err := finish(actorContext(c), app, d.UserID, d.PublicKey)
	if err != nil {
		return nil, err
	}
	return newPasskeyResult(res), nil
}

type startPasskeyAuthenticationData struct {
	UserID                  string  `json:"userId"` // empty: discoverable
	AdditionalAllowedOrigin *string `json:"additionalAllowedOrigin"`
}

func (a *API) startPasskeyAuthentication(c *gin.Context, data json.RawMessage) (any, error) {
	var d startPasskeyAuthenticationData
	if err := decodeData(data, &d); err != nil {
		return nil, err
	}
	app := httpapi.App(c)
	var f fieldChecks
	f.userID("userId", d.UserID)
	f.origin("additionalAllowedOrigin", d.AdditionalAllowedOrigin, app)
	if err := f.err(); err != nil {
		return nil, err
	}
	h, err := a.ceremony.StartAuthentication(actorContext(c), app, d.UserID)
	if err != nil {
		return nil, err
	}
	return authenticationOptionsResponse{AuthenticationOptions: h.Options}, nil
}

// finishPasskeyAuthentication finishes an authentication; without a userId
// it is discoverable.
func (a *API) finishPasskeyAuthentication(c *gin.Context, data json.RawMessage) (any, error) {
	return a.finishPasskey(c, data, false, a.ceremony.FinishAuthentication)
}

type userData struct {
	UserID string `json:"userId"`
}

// passkeyInfo is a passkey in the command form: PropelAuth's credentialId
// and displayName, then what passbridge knows beyond them. Times are Unix
// seconds, as PropelAuth writes them.
type passkeyInfo struct {
	CredentialID      string `json:"credentialId"`
	DisplayName       string `json:"displayName"`
	DeviceID          string `json:"deviceId"`
	Type              string `json:"type"`
	AAGUID            string `json:"aaguid"`
	AuthenticatorName string `json:"authenticatorName"`
	BackupEligible    bool   `json:"backupEligible"`
	BackedUp          bool   `json:"backedUp"`
	UsageCount        int64  `json:"usageCount"`
	CreatedAt         int64  `json:"createdAt"`
	LastUsedAt        *int64 `json:"lastUsedAt"` // null until first used
}

type passkeysResult struct {
	Passkeys []passkeyInfo `json:"passkeys"`
}

// fetchAllPasskeysForUser lists a user's passkeys, oldest first. A user the
// app never registered a passkey for has none: in the command form the app
// owns its users, so an unknown one is not an error.
func (a *API) fetchAllPasskeysForUser(c *gin.Context, data json.RawMessage) (any, error) {
	_, devices, err := a.userDevices(c, data)
	if err != nil {
		return nil, err
	}
	out := passkeysResult{Passkeys: make([]passkeyInfo, len(devices))}
	for i, d := range devices {
		v := a.device(d)
		p := passkeyInfo{
			CredentialID:      v.CredID,
			DisplayName:       v.FriendlyName,
			DeviceID:          v.ID,
			Type:              v.Type,
			AAGUID:            v.AAGUID,
			AuthenticatorName: v.AuthenticatorName,
			BackupEligible:    v.BackupEligible,
			BackedUp:          v.BackedUp,
			UsageCount:        v.UsageCount,
			CreatedAt:         d.CreatedAt.Unix(),
		}
		if !d.LastLoginAt.IsZero() {
			t := d.LastLoginAt.Unix()
			p.LastUsedAt = &t
		}
		out.Passkeys[i] = p
	}
	return out, nil
}

type deregisterPasskeyData struct {
	UserID       string `json:"userId"`
	CredentialID string `json:"credentialId"` // base64url, as in WebAuthn JSON
}

// deregisterPasskey removes one of a user's passkeys by its credential ID.
func (a *API) deregisterPasskey(c *gin.Context, data json.RawMessage) (any, error) {
	var d deregisterPasskeyData
	if err := decodeData(data, &d); err != nil {
		return nil, err
	}
	var f fieldChecks
	f.required("userId", d.UserID)
	f.userID("userId", d.UserID)
	f.required("credentialId", d.CredentialID)
	credID, decodeErr := base64.RawURLEncoding.DecodeString(strings.TrimRight(d.CredentialID, "="))
	if d.CredentialID != "" && (decodeErr != nil || len(credID) == 0) {
		f = append(f, fieldProblem{Field: "credentialId", Code: "invalid", Message: "credentialId must be base64url"})
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	ctx, app := actorContext(c), httpapi.App(c)
	u, err := a.store.GetUserByExternalID(ctx, app.ID, d.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ceremony.ErrDeviceNotFound
	}
	if err != nil {
		return nil, err
	}
	dev, err := a.store.GetDeviceByCredentialID(ctx, app.ID, credID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && dev.UserID != u.ID) {
		return nil, ceremony.ErrDeviceNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := a.ceremony.RevokeDevice(ctx, app, u.ID, dev.ID); err != nil {
		return nil, err
	}
	a.logger(c).Info("passkey deregistered", "app_id", app.ID, "user_id", u.ID, "device_id", dev.ID, "actor", httpapi.Actor(c))
	return passkeyResult{UserID: u.ExternalID, CredentialID: base64.RawURLEncoding.EncodeToString(dev.CredentialID)}, nil
}

type deregisterAllResult struct {
	UserID       string `json:"userId"`
	Deregistered int    `json:"deregistered"`
}

// deregisterAllPasskeysForUser removes every passkey of a user; the user
// stays. A passkey revoked concurrently is already gone, which is the goal.
func (a *API) deregisterAllPasskeysForUser(c *gin.Context, data json.RawMessage) (any, error) {
	u, devices, err := a.userDevices(c, data)
	if err != nil {
		return nil, err
	}
	ctx, app := actorContext(c), httpapi.App(c)
	n := 0
	for _, d := range devices {
		err := a.ceremony.RevokeDevice(ctx, app, u.ID, d.ID)
		if errors.Is(err, ceremony.ErrDeviceNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		n++
	}
	if n > 0 {
		a.logger(c).Info("passkeys deregistered", "app_id", app.ID, "user_id", u.ID, "count", n, "actor", httpapi.Actor(c))
	}
	return deregisterAllResult{UserID: u.ExternalID, Deregistered: n}, nil
}

// userDevices decodes {"userId"} and loads that user and its devices. An
// unknown user is returned as the zero user (with the asked external ID)
// and no devices.
func (a *API) userDevices(c *gin.Context, data json.RawMessage) (storage.User, []storage.Device, error) {
	var d userData
	if err := decodeData(data, &d); err != nil {
		return storage.User{}, nil, err
	}
	var f fieldChecks
	f.required("userId", d.UserID)
	f.userID("userId", d.UserID)
	if err := f.err(); err != nil {
		return storage.User{}, nil, err
	}
	ctx, appID := c.Request.Context(), httpapi.App(c).ID
	u, err := a.store.GetUserByExternalID(ctx, appID, d.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.User{ExternalID: d.UserID}, nil, nil
	}
	if err != nil {
		return storage.User{}, nil, err
	}
	devices, err := a.store.ListDevices(ctx, appID, u.ID)
	if err != nil {
		return storage.User{}, nil, err
	}
	return u, devices, nil
}
