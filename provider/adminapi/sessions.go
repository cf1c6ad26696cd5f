package adminapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/storage"
)

// sessionJSON is a browser session as the API shows it: never its cookie,
// of which the store keeps only a digest.
type sessionJSON struct {
	ID         string    `json:"id"`
	DeviceID   string    `json:"device_id"` // the device whose ceremony signed the browser in
	AuthTime   time.Time `json:"auth_time"`
	ACR        string    `json:"acr"`
	AMR        []string  `json:"amr"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

func newSessionJSON(s storage.Session) sessionJSON {
	amr := s.AMR
	if amr == nil {
		amr = []string{}
	}
	return sessionJSON{
		ID: s.ID, DeviceID: s.DeviceID, AuthTime: s.AuthTime.UTC(), ACR: s.ACR, AMR: amr,
		CreatedAt: s.CreatedAt.UTC(), LastSeenAt: s.LastSeenAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
	}
}

// listSessions lists a user's browser sessions that have not expired,
// oldest first.
func (a *API) listSessions(c *gin.Context) error {
	p, err := parsePaging(c.Request.URL.Query())
	if err != nil {
		return err
	}
	u, err := a.user(c)
	if err != nil {
		return err
	}
	all, err := a.store.ListSessions(c.Request.Context(), u.AppID, u.ID)
	if err != nil {
		return err
	}
	now := a.now()
	live := make([]storage.Session, 0, len(all))
	for _, s := range all {
		if s.ExpiresAt.After(now) {
			live = append(live, s)
		}
	}
	pageOf(c, p, live, func(s storage.Session) (time.Time, string) { return s.CreatedAt, s.ID }, newSessionJSON)
	return nil
}

type endedResponse struct {
	Ended int `json:"ended"`
}

// endSessions signs a user out everywhere: every session ends and every
// token issued to the user is revoked. The user may sign in again at once.
func (a *API) endSessions(c *gin.Context) error {
	id, err := userParam(c.Param("user_id"))
	if err != nil {
		return err
	}
	app := appOf(c)
	n, err := a.ceremony.EndUserSessions(c.Request.Context(), app, id, actor(c))
	if err != nil {
		return err
	}
	a.logger(c).Info("user sessions ended", "app_id", app.ID, "user_id", id, "count", n, "actor", actor(c))
	c.JSON(http.StatusOK, endedResponse{Ended: n})
	return nil
}
