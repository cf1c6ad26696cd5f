package flexapi

import (
	"errors"
	"net/http"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

type findUsersResponse struct {
	Users      []UserListItem `json:"users"`
	TotalUsers int            `json:"total_users"`
	Limit      int            `json:"limit"`
	Page       int            `json:"page"`
	// CreatedBefore is Passage's paging anchor, in Unix seconds: every user
	// listed was created before it. passbridge pages by offset and reports
	// the time of the request.
	CreatedBefore int64 `json:"created_before"`
	Links         links `json:"_links"`
}

// findUsers lists the app's users, oldest first, optionally only the one
// whose external ID is identifier. No match is an empty page, not an error.
func (a *API) findUsers(c *gin.Context) error {
	p, err := parsePage(c.Request.URL.Query())
	if err != nil {
		return err
	}
	app := httpapi.App(c)
	var (
		users []storage.User
		total int
	)
	// An identifier no external ID could be matches nobody; asking the store
	// would only risk a driver error on bytes it cannot hold.
	if p.identifier == "" || plausibleExternalID(p.identifier) {
		users, total, err = a.store.ListUsers(c.Request.Context(), app.ID, storage.UserQuery{
			ExternalID: p.identifier, Limit: p.limit, Offset: p.offset(),
		})
		if err != nil {
			return err
		}
	}
	items := make([]UserListItem, len(users))
	for i, u := range users {
		items[i] = newUserListItem(u)
	}
	c.JSON(http.StatusOK, findUsersResponse{
		Users:         items,
		TotalUsers:    total,
		Limit:         p.limit,
		Page:          p.number,
		CreatedBefore: a.now().Unix(),
		Links:         pageLinks(app.ID, p, total),
	})
	return nil
}

type getUserResponse struct {
	User UserInfo `json:"user"`
}

// getUser shows one user with its devices.
func (a *API) getUser(c *gin.Context) error {
	app := httpapi.App(c)
	u, err := a.user(c, app.ID)
	if err != nil {
		return err
	}
	ds, err := a.store.ListDevices(c.Request.Context(), app.ID, u.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, getUserResponse{User: newUserInfo(u, a.devices(ds))})
	return nil
}

// deleteUser deletes a user and everything of it (devices, sessions, tokens,
// pending ceremonies), and records who did it.
func (a *API) deleteUser(c *gin.Context) error {
	app := httpapi.App(c)
	id := c.Param("user_id")
	if !plausibleID(id) {
		return ceremony.ErrUserNotFound
	}
	err := a.store.InTx(c.Request.Context(), func(tx storage.Store) error {
		if err := tx.DeleteUser(c.Request.Context(), app.ID, id); err != nil {
			return err
		}
		return tx.AppendAuditEvent(c.Request.Context(), storage.AuditEvent{
			ID:        storage.NewID(),
			AppID:     app.ID,
			Type:      "user.deleted",
			Actor:     httpapi.Actor(c),
			UserID:    id,
			CreatedAt: a.now().UTC(),
		})
	})
	if errors.Is(err, storage.ErrNotFound) {
		return ceremony.ErrUserNotFound
	}
	if err != nil {
		return err
	}
	a.logger(c).Info("user deleted", "app_id", app.ID, "user_id", id, "actor", httpapi.Actor(c))
	c.Status(http.StatusOK)
	return nil
}

// user loads the :user_id of the path, which must be a user of the app.
func (a *API) user(c *gin.Context, appID string) (storage.User, error) {
	id := c.Param("user_id")
	if !plausibleID(id) {
		return storage.User{}, ceremony.ErrUserNotFound
	}
	u, err := a.store.GetUser(c.Request.Context(), appID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, ceremony.ErrUserNotFound
	}
	return u, err
}

// Bounds of identifiers taken from paths and queries, the same the ceremony
// core puts on what it stores.
const (
	maxIDBytes         = 128
	maxExternalIDBytes = 255
)

// plausibleID reports whether s could be an ID the store holds. Anything
// else names nothing, and is answered as not found without a query.
func plausibleID(s string) bool {
	return s != "" && len(s) <= maxIDBytes && printable(s)
}

// plausibleExternalID is plausibleID for the app's own user identifiers.
func plausibleExternalID(s string) bool {
	return s != "" && len(s) <= maxExternalIDBytes && printable(s)
}

// printable reports whether s is valid UTF-8 without control characters:
// PostgreSQL refuses invalid UTF-8 and NUL in text parameters outright.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
