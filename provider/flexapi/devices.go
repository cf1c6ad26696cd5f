package flexapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
)

type listDevicesResponse struct {
	Devices []Device `json:"devices"`
}

// listDevices lists a user's devices, oldest first.
func (a *API) listDevices(c *gin.Context) error {
	app := httpapi.App(c)
	u, err := a.user(c, app.ID)
	if err != nil {
		return err
	}
	ds, err := a.store.ListDevices(c.Request.Context(), app.ID, u.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, listDevicesResponse{Devices: a.devices(ds)})
	return nil
}

type renameDeviceRequest struct {
	FriendlyName string `json:"friendly_name"`
}

type deviceResponse struct {
	Device Device `json:"device"`
}

// renameDevice sets the name a person knows a device by.
func (a *API) renameDevice(c *gin.Context) error {
	var req renameDeviceRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	userID, deviceID, err := deviceParams(c)
	if err != nil {
		return err
	}
	if req.FriendlyName == "" {
		return httpapi.BadRequest("friendly_name is required")
	}
	d, err := a.ceremony.RenameDevice(actorContext(c), httpapi.App(c), userID, deviceID, req.FriendlyName)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, deviceResponse{Device: NewDevice(d, a.ceremony.DeviceAuthenticator(d))})
	return nil
}

// revokeDevice deletes a device and ends what it authenticated. The user
// stays, even with no device left.
func (a *API) revokeDevice(c *gin.Context) error {
	userID, deviceID, err := deviceParams(c)
	if err != nil {
		return err
	}
	app := httpapi.App(c)
	if err := a.ceremony.RevokeDevice(actorContext(c), app, userID, deviceID); err != nil {
		return err
	}
	a.logger(c).Info("device revoked", "app_id", app.ID, "user_id", userID, "device_id", deviceID, "actor", httpapi.Actor(c))
	c.Status(http.StatusOK)
	return nil
}

// deviceParams returns the :user_id and :device_id of the path; IDs no store
// could hold name nothing.
func deviceParams(c *gin.Context) (userID, deviceID string, err error) {
	userID, deviceID = c.Param("user_id"), c.Param("device_id")
	if !plausibleID(userID) {
		return "", "", ceremony.ErrUserNotFound
	}
	if !plausibleID(deviceID) {
		return "", "", ceremony.ErrDeviceNotFound
	}
	return userID, deviceID, nil
}
