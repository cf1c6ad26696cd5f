package adminapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

// userJSON is a user as the API shows it.
type userJSON struct {
	ID          string     `json:"id"`
	ExternalID  string     `json:"external_id"`
	DisplayName string     `json:"display_name"`
	Status      string     `json:"status"` // "active" | "inactive"
	LoginCount  int64      `json:"login_count"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	LastLoginAt *time.Time `json:"last_login_at"` // null until the first sign-in
}

func newUserJSON(u storage.User) userJSON {
	return userJSON{
		ID: u.ID, ExternalID: u.ExternalID, DisplayName: u.DisplayName, Status: u.Status, LoginCount: u.LoginCount,
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(), LastLoginAt: optionalTime(u.LastLoginAt),
	}
}

// listUsers lists the app's users, oldest first, by ?external_id= (exact)
// and ?status=.
func (a *API) listUsers(c *gin.Context) error {
	query := c.Request.URL.Query()
	p, err := parsePaging(query)
	if err != nil {
		return err
	}
	q := storage.UserQuery{Limit: p.limit, After: p.raw}
	externalID, given, err := oneQuery(query, "external_id")
	if err != nil {
		return err
	}
	if given && !httpapi.Plausible(externalID, maxExternalIDBytes) {
		return httpapi.BadRequest("external_id must be 1 to %d bytes of text without control characters", maxExternalIDBytes)
	}
	q.ExternalID = externalID
	status, given, err := oneQuery(query, "status")
	if err != nil {
		return err
	}
	if given && status != storage.UserActive && status != storage.UserInactive {
		return httpapi.BadRequest(`status must be "active" or "inactive"`)
	}
	q.Status = status
	page, err := a.store.ListUsersPage(c.Request.Context(), appOf(c).ID, q)
	if errors.Is(err, storage.ErrInvalidCursor) {
		return errBadCursor
	}
	if err != nil {
		return err
	}
	out := listPage[userJSON]{Items: make([]userJSON, 0, len(page.Items))}
	for _, u := range page.Items {
		out.Items = append(out.Items, newUserJSON(u))
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// user loads the :user_id of the path, a user of the app.
func (a *API) user(c *gin.Context) (storage.User, error) {
	id, err := userParam(c.Param("user_id"))
	if err != nil {
		return storage.User{}, err
	}
	u, err := a.store.GetUser(c.Request.Context(), appOf(c).ID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, ceremony.ErrUserNotFound
	}
	return u, err
}

func (a *API) getUser(c *gin.Context) error {
	u, err := a.user(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, newUserJSON(u))
	return nil
}

type updateUserRequest struct {
	DisplayName *string `json:"display_name"`
	Status      *string `json:"status"`
}

// updateUser renames a user and sets its status. Deactivation ends the
// user's sessions and tokens at once; reactivation restores sign-in with
// the same passkeys.
func (a *API) updateUser(c *gin.Context) error {
	var req updateUserRequest
	if err := httpapi.DecodeStrictJSON(c, &req); err != nil {
		return err
	}
	if req.DisplayName == nil && req.Status == nil {
		return httpapi.BadRequest("nothing to update: give display_name or status")
	}
	// Checked before anything changes: the two changes are two steps.
	if req.Status != nil && *req.Status != storage.UserActive && *req.Status != storage.UserInactive {
		return httpapi.BadRequest(`status must be "active" or "inactive"`)
	}
	id, err := userParam(c.Param("user_id"))
	if err != nil {
		return err
	}
	app, ctx := appOf(c), c.Request.Context()
	u, err := a.store.GetUser(ctx, app.ID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return ceremony.ErrUserNotFound
	}
	if err != nil {
		return err
	}
	if req.DisplayName != nil {
		if u, err = a.ceremony.SetUserDisplayName(ctx, app, id, *req.DisplayName, actor(c)); err != nil {
			return err
		}
	}
	if req.Status != nil {
		if u, err = a.ceremony.SetUserStatus(ctx, app, id, *req.Status, actor(c)); err != nil {
			return err
		}
	}
	a.logger(c).Info("user updated", "app_id", app.ID, "user_id", id, "status", u.Status, "actor", actor(c))
	c.JSON(http.StatusOK, newUserJSON(u))
	return nil
}

// deleteUser deletes a user and everything of it: devices, sessions,
// tokens, pending ceremonies.
func (a *API) deleteUser(c *gin.Context) error {
	id, err := userParam(c.Param("user_id"))
	if err != nil {
		return err
	}
	app := appOf(c)
	if err := a.ceremony.DeleteUser(c.Request.Context(), app, id, actor(c)); err != nil {
		return err
	}
	a.logger(c).Info("user deleted", "app_id", app.ID, "user_id", id, "actor", actor(c))
	c.Status(http.StatusNoContent)
	return nil
}
