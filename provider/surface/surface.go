// Package surface lists the parts of passbridge's public HTTP surface, each
// built with only what it needs: what serve mounts, and what tests that
// stand for serve mount.
package surface

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/account"
	"github.com/passbridge/passbridge/provider/adminapi"
	"github.com/passbridge/passbridge/provider/enrol"
	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/provider/login"
	"github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/provider/openapi"
	"github.com/passbridge/passbridge/provider/passkeyapi"
	"github.com/passbridge/passbridge/provider/sdk"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/templates"
)

// Deps is what the areas are built from.
type Deps struct {
	Store    storage.Store
	Ceremony *ceremony.Service
	Logger   *slog.Logger
	Issuer   string
	Now      func() time.Time
	// Keys and MasterKey serve the OpenID Connect provider and its pages.
	Keys      *signing.Manager
	MasterKey []byte
	// HTTPClient fetches OIDC clients' jwks_uri (nil: a default client).
	HTTPClient *http.Client
}

// Areas builds every area of the public surface: the Flex API, the
// start/finish API, the SDK, the OpenAPI document, the OpenID Connect
// provider, the login, account and enrolment pages, and the admin API.
func Areas(d Deps) ([]provider.Area, error) {
	op, err := oidc.New(oidc.Deps{Store: d.Store, Keys: d.Keys, Issuer: d.Issuer, MasterKey: d.MasterKey,
		Now: d.Now, Logger: d.Logger, HTTPClient: d.HTTPClient})
	if err != nil {
		return nil, err
	}
	page, err := login.New(login.Deps{Store: d.Store, Ceremony: d.Ceremony, Provider: op, Issuer: d.Issuer,
		Templates: templates.FS(), Now: d.Now, Logger: d.Logger})
	if err != nil {
		return nil, err
	}
	acct, err := account.New(account.Deps{Store: d.Store, Ceremony: d.Ceremony, Provider: op, Issuer: d.Issuer,
		Templates: templates.FS(), Now: d.Now, Logger: d.Logger})
	if err != nil {
		return nil, err
	}
	enrolment, err := enrol.New(enrol.Deps{Ceremony: d.Ceremony, Provider: op, Issuer: d.Issuer,
		Templates: templates.FS(), Logger: d.Logger})
	if err != nil {
		return nil, err
	}
	admin, err := adminapi.New(adminapi.Deps{Store: d.Store, Ceremony: d.Ceremony, Keys: d.Keys, MasterKey: d.MasterKey,
		Issuer: d.Issuer, Now: d.Now, Logger: d.Logger})
	if err != nil {
		return nil, err
	}
	return []provider.Area{
		flexapi.New(flexapi.Deps{Store: d.Store, Ceremony: d.Ceremony, Now: d.Now, Logger: d.Logger, Issuer: d.Issuer}),
		passkeyapi.New(passkeyapi.Deps{Store: d.Store, Ceremony: d.Ceremony, Now: d.Now, Logger: d.Logger}),
		sdk.New(),
		openapi.New(),
		op,
		page,
		acct,
		enrolment,
		admin,
	}, nil
}
