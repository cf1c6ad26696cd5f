package adminapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/provider/settings"
	"github.com/passbridge/passbridge/storage"
)

// keyApp carries the app loadApp loaded.
type keyApp struct{}

// loadApp loads the :app_id of the path. The admin key was checked before,
// so an unknown app is only a 404: it is no failed attempt.
func (a *API) loadApp(c *gin.Context) error {
	id := c.Param("app_id")
	if !plausibleID(id) {
		return errAppNotFound
	}
	app, err := a.store.GetApp(c.Request.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		return errAppNotFound
	}
	if err != nil {
		return err
	}
	c.Set(keyApp{}, app)
	c.Next()
	return nil
}

// appOf returns the app loadApp loaded.
func appOf(c *gin.Context) storage.App {
	app, _ := c.MustGet(keyApp{}).(storage.App)
	return app
}

// appBody is what a client sets on an app: a member left out is left as it
// is (on creation, at its default).
type appBody struct {
	Name                   *string   `json:"name"`
	RPID                   *string   `json:"rp_id"`
	RPName                 *string   `json:"rp_name"`
	Origins                *[]string `json:"origins"`
	UserVerification       *string   `json:"user_verification"`
	ResidentKey            *string   `json:"resident_key"`
	Attestation            *string   `json:"attestation"`
	AllowSignup            *bool     `json:"allow_signup"`
	SignCountPolicy        *string   `json:"sign_count_policy"`
	TransactionTTLSeconds  *int64    `json:"transaction_ttl_seconds"`
	CeremonyTimeoutSeconds *int64    `json:"ceremony_timeout_seconds"`
	NonceTTLSeconds        *int64    `json:"nonce_ttl_seconds"`
	LogoURL                *string   `json:"logo_url"`
	AccentColor            *string   `json:"accent_color"`
}

// empty reports whether the body sets nothing.
func (b appBody) empty() bool { return b == appBody{} }

// apply copies what b sets onto app.
func (b appBody) apply(app storage.App) storage.App {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&app.Name, b.Name)
	set(&app.RPID, b.RPID)
	set(&app.RPName, b.RPName)
	if b.Origins != nil {
		app.Origins = *b.Origins
	}
	set(&app.UserVerification, b.UserVerification)
	set(&app.ResidentKey, b.ResidentKey)
	set(&app.Attestation, b.Attestation)
	if b.AllowSignup != nil {
		app.AllowSignup = *b.AllowSignup
	}
	set(&app.SignCountPolicy, b.SignCountPolicy)
	if b.TransactionTTLSeconds != nil {
		app.TransactionTTL = seconds(*b.TransactionTTLSeconds)
	}
	if b.CeremonyTimeoutSeconds != nil {
		app.CeremonyTimeout = seconds(*b.CeremonyTimeoutSeconds)
	}
	if b.NonceTTLSeconds != nil {
		app.NonceTTL = seconds(*b.NonceTTLSeconds)
	}
	set(&app.LogoURL, b.LogoURL)
	set(&app.AccentColor, b.AccentColor)
	return app
}

// seconds is n seconds, held within ±10⁹ s (about 31 years) so that no
// value a client sends overflows: anything that large is out of every
// bound, and refused as such.
func seconds(n int64) time.Duration {
	const most = 1_000_000_000
	return time.Duration(max(min(n, most), -most)) * time.Second
}

// invalidSettings turns a validation failure of settings into a 400 that
// lists every problem.
func invalidSettings(what string, err error) error {
	var v *ceremony.ValidationError
	if errors.As(err, &v) {
		return httpapi.BadRequest("invalid %s: %s", what, strings.Join(v.Problems, "; "))
	}
	return err
}

func (a *API) listApps(c *gin.Context) error {
	p, err := parsePaging(c.Request.URL.Query())
	if err != nil {
		return err
	}
	apps, err := a.store.ListApps(c.Request.Context())
	if err != nil {
		return err
	}
	pageOf(c, p, apps, func(a storage.App) (time.Time, string) { return a.CreatedAt, a.ID }, settings.NewAppJSON)
	return nil
}

func (a *API) createApp(c *gin.Context) error {
	var b appBody
	if err := httpapi.DecodeStrictJSON(c, &b); err != nil {
		return err
	}
	now := a.clock()
	app, err := settings.PrepareApp(b.apply(storage.App{ID: storage.NewID(), CreatedAt: now, UpdatedAt: now}))
	if err != nil {
		return invalidSettings("app", err)
	}
	ctx := c.Request.Context()
	err = a.store.InTx(ctx, func(tx storage.Store) error {
		if err := tx.CreateApp(ctx, app); err != nil {
			return err
		}
		return a.audit(c, tx, app.ID, "app.created", storage.AuditEvent{Detail: map[string]string{"name": app.Name, "rp_id": app.RPID}})
	})
	if err != nil {
		return err
	}
	a.logger(c).Info("app created", "app_id", app.ID, "actor", actor(c))
	c.JSON(http.StatusCreated, settings.NewAppJSON(app))
	return nil
}

func (a *API) getApp(c *gin.Context) error {
	c.JSON(http.StatusOK, settings.NewAppJSON(appOf(c)))
	return nil
}

func (a *API) updateApp(c *gin.Context) error {
	var b appBody
	if err := httpapi.DecodeStrictJSON(c, &b); err != nil {
		return err
	}
	if b.empty() {
		return httpapi.BadRequest("nothing to update: give at least one member of the app, such as name or origins")
	}
	ctx, id := c.Request.Context(), appOf(c).ID
	var app storage.App
	err := a.store.InTx(ctx, func(tx storage.Store) error {
		var err error
		app, err = tx.UpdateApp(ctx, id, func(cur storage.App) (storage.App, error) {
			next := b.apply(cur)
			next.UpdatedAt = a.clock()
			return settings.PrepareApp(next)
		})
		if err != nil {
			return err
		}
		return a.audit(c, tx, app.ID, "app.updated", storage.AuditEvent{Detail: map[string]string{"name": app.Name, "rp_id": app.RPID}})
	})
	if errors.Is(err, storage.ErrNotFound) {
		return errAppNotFound
	}
	if err != nil {
		return invalidSettings("app", err)
	}
	a.logger(c).Info("app updated", "app_id", app.ID, "actor", actor(c))
	c.JSON(http.StatusOK, settings.NewAppJSON(app))
	return nil
}

func (a *API) deleteApp(c *gin.Context) error {
	ctx, app := c.Request.Context(), appOf(c)
	err := a.store.InTx(ctx, func(tx storage.Store) error {
		if err := tx.DeleteApp(ctx, app.ID); err != nil {
			return err
		}
		// The app's own events go with it; this one is server-wide.
		return a.audit(c, tx, "", "app.deleted", storage.AuditEvent{Detail: map[string]string{"app_id": app.ID, "name": app.Name}})
	})
	if errors.Is(err, storage.ErrNotFound) {
		return errAppNotFound
	}
	if err != nil {
		return err
	}
	a.logger(c).Info("app deleted", "app_id", app.ID, "actor", actor(c))
	c.Status(http.StatusNoContent)
	return nil
}
