package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/account"
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

// areaDeps is what the areas of the public surface are built from.
type areaDeps struct {
	store    storage.Store
	ceremony *ceremony.Service
	log      *slog.Logger
	issuer   string
	now      func() time.Time
	// keys and masterKey serve the OpenID Connect provider and its login
	// page.
	keys      *signing.Manager
	masterKey []byte
}

// areas lists the parts of the public HTTP surface serve mounts, each built
// with only what it needs.
func areas(d areaDeps) ([]provider.Area, error) {
	op, err := oidc.New(oidc.Deps{Store: d.store, Keys: d.keys, Issuer: d.issuer, MasterKey: d.masterKey, Now: d.now, Logger: d.log})
	if err != nil {
		return nil, err
	}
	page, err := login.New(login.Deps{Store: d.store, Ceremony: d.ceremony, Provider: op, Issuer: d.issuer,
		Templates: templates.FS(), Now: d.now, Logger: d.log})
	if err != nil {
		return nil, err
	}
	acct, err := account.New(account.Deps{Store: d.store, Ceremony: d.ceremony, Provider: op, Issuer: d.issuer,
		Templates: templates.FS(), Now: d.now, Logger: d.log})
	if err != nil {
		return nil, err
	}
	return []provider.Area{
		flexapi.New(flexapi.Deps{Store: d.store, Ceremony: d.ceremony, Now: d.now, Logger: d.log, Issuer: d.issuer}),
		passkeyapi.New(passkeyapi.Deps{Store: d.store, Ceremony: d.ceremony, Now: d.now, Logger: d.log}),
		sdk.New(),
		openapi.New(),
		op,
		page,
		acct,
	}, nil
}

// signingKeys starts the OIDC signing key manager: an active and a next
// key exist once it returns.
func signingKeys(ctx context.Context, st storage.Store, masterKey []byte, alg string, now func() time.Time, log *slog.Logger) (*signing.Manager, error) {
	m, err := signing.New(signing.Config{Store: st, MasterKey: masterKey, Algorithm: alg, Now: now, Logger: log})
	if err != nil {
		return nil, err
	}
	if err := m.Ensure(ctx); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	return m, nil
}
