package adminapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

// device renders a device as the Flex API does.
func (a *API) device(d storage.Device) flexapi.Device {
	return flexapi.NewDevice(d, a.ceremony.DeviceAuthenticator(d))
}

// listDevices lists a user's devices, oldest first.
func (a *API) listDevices(c *gin.Context) error {
	p, err := parsePaging(c.Request.URL.Query())
	if err != nil {
		return err
	}
	u, err := a.user(c)
	if err != nil {
		return err
	}
	ds, err := a.store.ListDevices(c.Request.Context(), u.AppID, u.ID)
	if err != nil {
		return err
	}
	pageOf(c, p, ds, func(d storage.Device) (time.Time, string) { return d.CreatedAt, d.ID }, a.device)
	return nil
}

type renameDeviceRequest struct {
	FriendlyName string `json:"friendly_name"`
}

// renameDevice sets the name a person knows a device by.
func (a *API) renameDevice(c *gin.Context) error {
	var req renameDeviceRequest
	if err := httpapi.DecodeStrictJSON(c, &req); err != nil {
		return err
	}
	if req.FriendlyName == "" {
		return httpapi.BadRequest("friendly_name is required")
	}
	userID, deviceID, err := deviceParams(c)
	if err != nil {
		return err
	}
	d, err := a.ceremony.RenameDevice(actorContext(c), appOf(c), userID, deviceID, req.FriendlyName)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, a.device(d))
	return nil
}

// revokeDevice deletes a device, and with it the sessions and tokens it
// authenticated. The user stays, even without devices.
func (a *API) revokeDevice(c *gin.Context) error {
	userID, deviceID, err := deviceParams(c)
	if err != nil {
		return err
	}
	app := appOf(c)
	if err := a.ceremony.RevokeDevice(actorContext(c), app, userID, deviceID); err != nil {
		return err
	}
	a.logger(c).Info("device revoked", "app_id", app.ID, "user_id", userID, "device_id", deviceID, "actor", actor(c))
	c.Status(http.StatusNoContent)
	return nil
}

type revokedResponse struct {
	Revoked int `json:"revoked"`
}

// revokeAllDevices revokes every device of a user, one by one, each
// recorded on its own: the user is left without passkeys (an enrolment
// link is the way back).
func (a *API) revokeAllDevices(c *gin.Context) error {
	u, err := a.user(c)
	if err != nil {
		return err
	}
	ds, err := a.store.ListDevices(c.Request.Context(), u.AppID, u.ID)
	if err != nil {
		return err
	}
	ctx, app, n := actorContext(c), appOf(c), 0
	for _, d := range ds {
		err := a.ceremony.RevokeDevice(ctx, app, u.ID, d.ID)
		if errors.Is(err, ceremony.ErrDeviceNotFound) {
			continue // revoked meanwhile
		}
		if err != nil {
			return err
		}
		n++
	}
	a.logger(c).Info("devices revoked", "app_id", app.ID, "user_id", u.ID, "count", n, "actor", actor(c))
	c.JSON(http.StatusOK, revokedResponse{Revoked: n})
	return nil
}

// deviceParams returns the :user_id and :device_id of the path; IDs no
// store could hold name nothing.
func deviceParams(c *gin.Context) (userID, deviceID string, err error) {
	if userID, err = userParam(c.Param("user_id")); err != nil {
		return "", "", err
	}
	deviceID = c.Param("device_id")
	if !plausibleID(deviceID) {
		return "", "", ceremony.ErrDeviceNotFound
	}
	return userID, deviceID, nil
}
