package cli

import (
	"log/slog"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/provider/openapi"
	"github.com/passbridge/passbridge/provider/passkeyapi"
	"github.com/passbridge/passbridge/provider/sdk"
	"github.com/passbridge/passbridge/storage"
)

// areaDeps is what the areas of the public surface are built from.
type areaDeps struct {
	store    storage.Store
	ceremony *ceremony.Service
	log      *slog.Logger
	issuer   string
	now      func() time.Time
}

// areas lists the parts of the public HTTP surface serve mounts, each built
// with only what it needs.
func areas(d areaDeps) []provider.Area {
	return []provider.Area{
		flexapi.New(flexapi.Deps{Store: d.store, Ceremony: d.ceremony, Now: d.now, Logger: d.log, Issuer: d.issuer}),
		passkeyapi.New(passkeyapi.Deps{Store: d.store, Ceremony: d.ceremony, Now: d.now, Logger: d.log}),
		sdk.New(),
		openapi.New(),
	}
}
