package adminapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/provider/settings"
	"github.com/passbridge/passbridge/storage"
)

// apiLabels name a client's fields as the API's JSON members.
var apiLabels = settings.ClientLabels{
	Name: "name", RedirectURI: "redirect_uris", PostLogoutRedirectURI: "post_logout_redirect_uris",
	Public: "public", AuthMethod: "auth_method", JWKS: "jwks", JWKSURI: "jwks_uri", Scope: "scopes",
	AccessTokenType: "access_token_type", IDTokenLifetime: "id_token_lifetime_seconds",
	AccessTokenLifetime: "access_token_lifetime_seconds", RefreshTokenLifetime: "refresh_token_lifetime_seconds",
	RequireACR: "require_acr", RotateSecret: "rotate_secret",
	Hint: settings.HintLabels{Implicit: "implicit", HintIssuer: "hint_issuer", HintJWKSURI: "hint_jwks_uri",
		HintJWKS: "hint_jwks", HintAudience: "hint_audience", HintTenant: "hint_tenant",
		HintUserClaim: "hint_user_claim", HintEnrol: "hint_enrol"},
}

// clientBody is what a caller sets on a client: a member left out is left
// as it is (on creation, at its default). "jwks": null removes the keys.
type clientBody struct {
	Name                        *string         `json:"name"`
	RedirectURIs                *[]string       `json:"redirect_uris"`
	PostLogoutRedirectURIs      *[]string       `json:"post_logout_redirect_uris"`
	Public                      *bool           `json:"public"`
	AuthMethod                  *string         `json:"auth_method"`
	JWKS                        json.RawMessage `json:"jwks"`
	JWKSURI                     *string         `json:"jwks_uri"`
	Scopes                      *[]string       `json:"scopes"`
	AccessTokenType             *string         `json:"access_token_type"`
	IDTokenLifetimeSeconds      *int64          `json:"id_token_lifetime_seconds"`
	AccessTokenLifetimeSeconds  *int64          `json:"access_token_lifetime_seconds"`
	RefreshTokenLifetimeSeconds *int64          `json:"refresh_token_lifetime_seconds"`
	RequireACR                  *string         `json:"require_acr"`
	RequireUV                   *bool           `json:"require_uv"`
	Implicit                    *bool           `json:"implicit"`
	HintIssuer                  *string         `json:"hint_issuer"`
	HintJWKSURI                 *string         `json:"hint_jwks_uri"`
	HintJWKS                    json.RawMessage `json:"hint_jwks"`
	HintAudience                *string         `json:"hint_audience"`
	HintTenant                  *string         `json:"hint_tenant"`
	HintUserClaim               *string         `json:"hint_user_claim"`
	HintEnrol                   *bool           `json:"hint_enrol"`
}

// updateClientBody is clientBody with what only an update does.
type updateClientBody struct {
	clientBody
	RotateSecret bool `json:"rotate_secret"`
}

// change turns the body into a settings.ClientChange, with the problems of
// its key set, if it has one.
func (b clientBody) change() (settings.ClientChange, []string) {
	ch := settings.ClientChange{
		Name: b.Name, RedirectURIs: b.RedirectURIs, PostLogoutRedirectURIs: b.PostLogoutRedirectURIs,
		Public: b.Public, AuthMethod: b.AuthMethod, JWKSURI: b.JWKSURI, Scopes: b.Scopes,
		AccessTokenType: b.AccessTokenType, RequireACR: b.RequireACR, RequireUV: b.RequireUV,
		IDTokenLifetime:      optionalSeconds(b.IDTokenLifetimeSeconds),
		AccessTokenLifetime:  optionalSeconds(b.AccessTokenLifetimeSeconds),
		RefreshTokenLifetime: optionalSeconds(b.RefreshTokenLifetimeSeconds),
		Hint: settings.HintChange{Implicit: b.Implicit, HintIssuer: b.HintIssuer, HintJWKSURI: b.HintJWKSURI,
			HintAudience: b.HintAudience, HintTenant: b.HintTenant, HintUserClaim: b.HintUserClaim, HintEnrol: b.HintEnrol},
	}
	var problems []string
	switch {
	case len(b.JWKS) == 0:
	case string(b.JWKS) == "null":
		ch.JWKS = &settings.KeySet{}
	default:
		doc, p := settings.ParseJWKS(b.JWKS)
		for _, msg := range p {
			problems = append(problems, "jwks: "+msg)
		}
		ch.JWKS = &settings.KeySet{Doc: doc, Refused: len(p) > 0}
	}
	switch {
	case len(b.HintJWKS) == 0:
	case string(b.HintJWKS) == "null":
		ch.Hint.HintJWKS = &settings.KeySet{}
	default:
		doc, p := settings.ParseJWKS(b.HintJWKS)
		for _, msg := range p {
			problems = append(problems, "hint_jwks: "+msg)
		}
		ch.Hint.HintJWKS = &settings.KeySet{Doc: doc, Refused: len(p) > 0}
	}
	return ch, problems
}

// given lists the members the body sets, for the audit log.
func (b updateClientBody) given() []string {
	var out []string
	for _, m := range []struct {
		name string
		set  bool
	}{
		{"name", b.Name != nil}, {"redirect_uris", b.RedirectURIs != nil},
		{"post_logout_redirect_uris", b.PostLogoutRedirectURIs != nil}, {"public", b.Public != nil},
		{"auth_method", b.AuthMethod != nil}, {"jwks", len(b.JWKS) > 0}, {"jwks_uri", b.JWKSURI != nil},
		{"scopes", b.Scopes != nil}, {"access_token_type", b.AccessTokenType != nil},
		{"id_token_lifetime_seconds", b.IDTokenLifetimeSeconds != nil},
		{"access_token_lifetime_seconds", b.AccessTokenLifetimeSeconds != nil},
		{"refresh_token_lifetime_seconds", b.RefreshTokenLifetimeSeconds != nil},
		{"require_acr", b.RequireACR != nil}, {"require_uv", b.RequireUV != nil}, {"rotate_secret", b.RotateSecret},
		{"implicit", b.Implicit != nil}, {"hint_issuer", b.HintIssuer != nil}, {"hint_jwks_uri", b.HintJWKSURI != nil},
		{"hint_jwks", len(b.HintJWKS) > 0}, {"hint_audience", b.HintAudience != nil}, {"hint_tenant", b.HintTenant != nil},
		{"hint_user_claim", b.HintUserClaim != nil}, {"hint_enrol", b.HintEnrol != nil},
	} {
		if m.set {
			out = append(out, m.name)
		}
	}
	return out
}

func optionalSeconds(n *int64) *time.Duration {
	if n == nil {
		return nil
	}
	d := seconds(*n)
	return &d
}

// invalidClient is the 400 listing every problem of a client.
func invalidClient(problems []string) error {
	return httpapi.BadRequest("invalid client: %s", strings.Join(problems, "; "))
}

func (a *API) listClients(c *gin.Context) error {
	p, err := parsePaging(c.Request.URL.Query())
	if err != nil {
		return err
	}
	clients, err := a.store.ListClients(c.Request.Context(), appOf(c).ID)
	if err != nil {
		return err
	}
	pageOf(c, p, clients, func(cl storage.Client) (time.Time, string) { return cl.CreatedAt, cl.ID },
		func(cl storage.Client) settings.ClientJSON { return settings.NewClientJSON(cl, "") })
	return nil
}

// createClient registers an OIDC client of the app; a confidential
// client's secret is in the answer, once: the store keeps its digest and a
// copy sealed with the master key.
func (a *API) createClient(c *gin.Context) error {
	var b clientBody
	if err := httpapi.DecodeStrictJSON(c, &b); err != nil {
		return err
	}
	app, now := appOf(c), a.clock()
	ch, problems := b.change()
	cl, p := settings.ApplyClient(storage.Client{
		ID: storage.NewID(), AppID: app.ID, AuthMethod: storage.AuthMethodBasic,
		AccessTokenType: oidc.AccessTokenOpaque, CreatedAt: now, UpdatedAt: now,
	}, ch, apiLabels)
	if problems = append(problems, p...); len(problems) > 0 {
		return invalidClient(problems)
	}
	var secret string
	if settings.HasSecret(cl.AuthMethod) {
		var err error
		if secret, err = settings.IssueSecret(&cl, a.masterKey); err != nil {
			return err
		}
	}
	ctx := c.Request.Context()
	err := a.store.InTx(ctx, func(tx storage.Store) error {
		if err := tx.CreateClient(ctx, cl); err != nil {
			return err
		}
		return a.audit(c, tx, app.ID, "client.created", storage.AuditEvent{Detail: map[string]string{"client_id": cl.ID, "auth_method": cl.AuthMethod}})
	})
	if err != nil {
		return err
	}
	a.logger(c).Info("client created", "app_id", app.ID, "client_id", cl.ID, "actor", actor(c))
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, settings.NewClientJSON(cl, secret))
	return nil
}

// errNotOwned marks a client of another app, which this app's routes do
// not find.
var errNotOwned = errors.New("client of another app")

// client loads the :client_id of the path, a client of the app.
func (a *API) client(c *gin.Context) (storage.Client, error) {
	id := c.Param("client_id")
	if !plausibleID(id) {
		return storage.Client{}, errClientNotFound
	}
	cl, err := a.store.GetClient(c.Request.Context(), id)
	if errors.Is(err, storage.ErrNotFound) || err == nil && cl.AppID != appOf(c).ID {
		return storage.Client{}, errClientNotFound
	}
	return cl, err
}

func (a *API) getClient(c *gin.Context) error {
	cl, err := a.client(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, settings.NewClientJSON(cl, ""))
	return nil
}

// updateClient changes a client. A new secret (rotate_secret, or a change
// to a method with a secret) is in the answer, once; the old one stops
// working at once.
func (a *API) updateClient(c *gin.Context) error {
	var b updateClientBody
	if err := httpapi.DecodeStrictJSON(c, &b); err != nil {
		return err
	}
	given := b.given()
	if len(given) == 0 {
		return httpapi.BadRequest("nothing to update: give at least one member of the client, such as redirect_uris or rotate_secret")
	}
	ch, keyProblems := b.change()
	ch.RotateSecret = b.RotateSecret
	id, app := c.Param("client_id"), appOf(c)
	if !plausibleID(id) {
		return errClientNotFound
	}
	var (
		cl       storage.Client
		secret   string
		problems []string
	)
	ctx := c.Request.Context()
	err := a.store.InTx(ctx, func(tx storage.Store) error {
		var err error
		cl, err = tx.UpdateClient(ctx, id, func(cur storage.Client) (storage.Client, error) {
			if cur.AppID != app.ID {
				return cur, errNotOwned
			}
			next, p := settings.ApplyClient(cur, ch, apiLabels)
			if problems = append(keyProblems, p...); len(problems) > 0 {
				return cur, invalidClient(problems)
			}
			next.UpdatedAt = a.clock()
			s, err := settings.SettleSecret(cur, &next, b.RotateSecret, a.masterKey)
			if err != nil {
				return cur, err
			}
			secret = s
			return next, nil
		})
		if err != nil {
			return err
		}
		detail := map[string]string{"client_id": cl.ID, "auth_method": cl.AuthMethod, "changed": strings.Join(given, ",")}
		if secret != "" {
			detail["secret_issued"] = "true"
		}
		return a.audit(c, tx, app.ID, "client.updated", storage.AuditEvent{Detail: detail})
	})
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, errNotOwned) {
		return errClientNotFound
	}
	if err != nil {
		return err
	}
	a.logger(c).Info("client updated", "app_id", app.ID, "client_id", cl.ID, "actor", actor(c))
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, settings.NewClientJSON(cl, secret))
	return nil
}

// deleteClient deletes a client with its tokens.
func (a *API) deleteClient(c *gin.Context) error {
	cl, err := a.client(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	err = a.store.InTx(ctx, func(tx storage.Store) error {
		if err := tx.DeleteClient(ctx, cl.ID); err != nil {
			return err
		}
		return a.audit(c, tx, cl.AppID, "client.deleted", storage.AuditEvent{Detail: map[string]string{"client_id": cl.ID}})
	})
	if errors.Is(err, storage.ErrNotFound) {
		return errClientNotFound
	}
	if err != nil {
		return err
	}
	a.logger(c).Info("client deleted", "app_id", cl.AppID, "client_id", cl.ID, "actor", actor(c))
	c.Status(http.StatusNoContent)
	return nil
}
