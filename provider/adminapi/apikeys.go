package adminapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/provider/settings"
	"github.com/passbridge/passbridge/storage"
)

// apiKeyJSON is an app's API key as the API shows it: never the key, which
// only its creation answers with.
type apiKeyJSON struct {
	ID         string     `json:"id"`
	Key        string     `json:"key,omitempty"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	AppID      string     `json:"app_id"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"` // null: never used
}

func newAPIKeyJSON(k storage.APIKey) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, AppID: k.AppID, CreatedAt: k.CreatedAt.UTC(), LastUsedAt: optionalTime(k.LastUsedAt)}
}

// optionalTime is nil for the zero time, which the store uses for "never".
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func (a *API) listAPIKeys(c *gin.Context) error {
	p, err := parsePaging(c.Request.URL.Query())
	if err != nil {
		return err
	}
	keys, err := a.store.ListAPIKeys(c.Request.Context(), appOf(c).ID)
	if err != nil {
		return err
	}
	pageOf(c, p, keys, func(k storage.APIKey) (time.Time, string) { return k.CreatedAt, k.ID }, newAPIKeyJSON)
	return nil
}

type createAPIKeyRequest struct {
	Name string `json:"name"`
}

// createAPIKey issues an API key of the app, shown once: only its digest
// is stored.
func (a *API) createAPIKey(c *gin.Context) error {
	var req createAPIKeyRequest
	if err := httpapi.DecodeStrictJSON(c, &req); err != nil {
		return err
	}
	name := strings.TrimSpace(req.Name)
	if err := settings.CheckName("name", name, true); err != nil {
		return httpapi.BadRequest("%s", err.Error())
	}
	app := appOf(c)
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	key := storage.APIKey{
		ID: storage.NewID(), AppID: app.ID, Name: name, Prefix: prefix,
		Hash: storage.HashSecret(secret), CreatedAt: a.clock(),
	}
	ctx := c.Request.Context()
	err := a.store.InTx(ctx, func(tx storage.Store) error {
		if err := tx.CreateAPIKey(ctx, key); err != nil {
			return err
		}
		return a.audit(c, tx, app.ID, "apikey.created", storage.AuditEvent{Detail: map[string]string{"api_key_id": key.ID, "name": name}})
	})
	if err != nil {
		return err
	}
	a.logger(c).Info("api key created", "app_id", app.ID, "api_key_id", key.ID, "actor", actor(c))
	out := newAPIKeyJSON(key)
	out.Key = secret
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, out)
	return nil
}

// revokeAPIKey deletes an API key of the app at once.
func (a *API) revokeAPIKey(c *gin.Context) error {
	app, id := appOf(c), c.Param("key_id")
	if !plausibleID(id) {
		return errAPIKeyNotFound
	}
	ctx := c.Request.Context()
	err := a.store.InTx(ctx, func(tx storage.Store) error {
		if err := tx.DeleteAPIKey(ctx, app.ID, id); err != nil {
			return err
		}
		return a.audit(c, tx, app.ID, "apikey.revoked", storage.AuditEvent{Detail: map[string]string{"api_key_id": id}})
	})
	if errors.Is(err, storage.ErrNotFound) {
		return errAPIKeyNotFound
	}
	if err != nil {
		return err
	}
	a.logger(c).Info("api key revoked", "app_id", app.ID, "api_key_id", id, "actor", actor(c))
	c.Status(http.StatusNoContent)
	return nil
}
