package adminapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

// signingKeyJSON is an OIDC signing key as the API shows it: what it is
// and when it changed state, never key material.
type signingKeyJSON struct {
	ID          string     `json:"id"`
	Algorithm   string     `json:"algorithm"`
	State       string     `json:"state"` // "next" | "active" | "retired"
	CreatedAt   time.Time  `json:"created_at"`
	ActivatedAt *time.Time `json:"activated_at"`
	RetiredAt   *time.Time `json:"retired_at"`
	ExpiresAt   *time.Time `json:"expires_at"` // a retired key leaves the key set then
}

func newSigningKeyJSON(k storage.SigningKey) signingKeyJSON {
	return signingKeyJSON{
		ID: k.ID, Algorithm: k.Algorithm, State: k.State, CreatedAt: k.CreatedAt.UTC(),
		ActivatedAt: optionalTime(k.ActivatedAt), RetiredAt: optionalTime(k.RetiredAt), ExpiresAt: optionalTime(k.ExpiresAt),
	}
}

func (a *API) listKeys(c *gin.Context) error {
	p, err := parsePaging(c.Request.URL.Query())
	if err != nil {
		return err
	}
	keys, err := a.store.ListSigningKeys(c.Request.Context())
	if err != nil {
		return err
	}
	pageOf(c, p, keys, func(k storage.SigningKey) (time.Time, string) { return k.CreatedAt, k.ID }, newSigningKeyJSON)
	return nil
}

// rotationJSON names the keys a rotation left.
type rotationJSON struct {
	ActiveKeyID  string `json:"active_key_id"`
	NextKeyID    string `json:"next_key_id"`
	RetiredKeyID string `json:"retired_key_id"`
}

// rotateKeys activates the next signing key, retires the active one and
// publishes a new next key, as `passbridge keys rotate` does: refused while
// the next key has been published for less than an hour, unless
// ?force=true; the new next key signs with ?algorithm=, else with the
// current next key's algorithm.
func (a *API) rotateKeys(c *gin.Context) error {
	query := c.Request.URL.Query()
	force := false
	if v, given, err := oneQuery(query, "force"); err != nil {
		return err
	} else if given {
		if force, err = strconv.ParseBool(v); err != nil {
			return httpapi.BadRequest("force must be true or false")
		}
	}
	alg, given, err := oneQuery(query, "algorithm")
	if err != nil {
		return err
	}
	if given && !signing.ValidAlgorithm(alg) {
		return httpapi.BadRequest("algorithm must be %s, %s or %s", signing.RS256, signing.ES256, signing.EdDSA)
	}
	if a.keys == nil {
		return errors.New("adminapi: no signing key manager")
	}
	ctx := c.Request.Context()
	if !given {
		if alg, err = signing.NextAlgorithm(ctx, a.store); err != nil {
			return err
		}
	}
	r, err := a.keys.RotateAs(ctx, alg, force, func(ctx context.Context, tx storage.Store, r signing.Rotation) error {
		return a.audit(c, tx, "", "signing_key.rotated", storage.AuditEvent{Detail: map[string]string{
			"active_key_id": r.Active, "next_key_id": r.Next, "retired_key_id": r.Retired,
			"algorithm": alg, "forced": strconv.FormatBool(force),
		}})
	})
	if errors.Is(err, signing.ErrRotateTooSoon) {
		return httpapi.Wrap(err, http.StatusConflict, codeRotationTooSoon,
			"the next signing key was published less than an hour ago: relying parties that cache the key set "+
				"would reject its tokens until they fetch it again; rotate later, or with force=true")
	}
	if err != nil {
		return err
	}
	a.logger(c).Info("signing keys rotated", "active_key_id", r.Active, "next_key_id", r.Next, "actor", actor(c))
	c.JSON(http.StatusOK, rotationJSON{ActiveKeyID: r.Active, NextKeyID: r.Next, RetiredKeyID: r.Retired})
	return nil
}
