package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/passbridge/passbridge/ceremony/aaguid"
	"github.com/passbridge/passbridge/ceremony/transfer"
	"github.com/passbridge/passbridge/provider/settings"
	"github.com/passbridge/passbridge/storage"
)

// StoreBackend is a Backend on the store the server uses, as the CLI's
// apps, apikeys, clients and import commands work: every change is in the
// audit log with the actor "cli".
type StoreBackend struct {
	Store storage.Store
	// MasterKey seals a confidential client's secret; a public client
	// needs none.
	MasterKey []byte
	Now       func() time.Time
}

var _ Backend = (*StoreBackend)(nil)

const actorCLI = "cli"

func (s *StoreBackend) now() time.Time {
	now := s.Now
	if now == nil {
		now = time.Now
	}
	return now().UTC().Truncate(time.Microsecond)
}

// inTx runs fn in a transaction and records event with its change.
func (s *StoreBackend) inTx(ctx context.Context, appID, event string, detail map[string]string, fn func(tx storage.Store) error) error {
	return s.Store.InTx(ctx, func(tx storage.Store) error {
		if err := fn(tx); err != nil {
			return err
		}
		return tx.AppendAuditEvent(ctx, storage.AuditEvent{ID: storage.NewID(), AppID: appID, Type: event,
			Actor: actorCLI, Detail: detail, CreatedAt: s.now()})
	})
}

// CreateApp checks and stores an app as apps create does.
func (s *StoreBackend) CreateApp(ctx context.Context, name, rpID, origin string) (string, error) {
	now := s.now()
	app, err := settings.PrepareApp(storage.App{ID: storage.NewID(), Name: name, RPID: rpID, Origins: []string{origin},
		CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return "", fmt.Errorf("create app: %w", err)
	}
	err = s.inTx(ctx, app.ID, "app.created", map[string]string{"name": name, "rp_id": rpID}, func(tx storage.Store) error {
		return tx.CreateApp(ctx, app)
	})
	if err != nil {
		return "", fmt.Errorf("create app: %w", err)
	}
	return app.ID, nil
}

// CreateAPIKey stores a new key's digest and returns the key.
func (s *StoreBackend) CreateAPIKey(ctx context.Context, appID, name string) (string, error) {
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	key := storage.APIKey{ID: storage.NewID(), AppID: appID, Name: name, Prefix: prefix,
		Hash: storage.HashSecret(secret), CreatedAt: s.now()}
	err := s.inTx(ctx, appID, "apikey.created", map[string]string{"api_key_id": key.ID, "name": name}, func(tx storage.Store) error {
		return tx.CreateAPIKey(ctx, key)
	})
	if err != nil {
		return "", fmt.Errorf("create api key: %w", err)
	}
	return secret, nil
}

// CreateClient registers a client as clients create does.
func (s *StoreBackend) CreateClient(ctx context.Context, appID, name, redirectURI string, public bool) (string, string, error) {
	now := s.now()
	cl, problems := settings.ApplyClient(storage.Client{ID: storage.NewID(), AppID: appID, AuthMethod: storage.AuthMethodBasic,
		AccessTokenType: settings.AccessTokenOpaque, CreatedAt: now, UpdatedAt: now},
		settings.ClientChange{Name: &name, RedirectURIs: &[]string{redirectURI}, Public: &public}, settings.ClientLabels{
			Name: "name", RedirectURI: "redirect uri", Public: "public"})
	if len(problems) > 0 {
		return "", "", fmt.Errorf("create client: %v", problems)
	}
	var secret string
	if settings.HasSecret(cl.AuthMethod) {
		var err error
		if secret, err = settings.IssueSecret(&cl, s.MasterKey); err != nil {
			return "", "", err
		}
	}
	err := s.inTx(ctx, appID, "client.created", map[string]string{"client_id": cl.ID, "auth_method": cl.AuthMethod}, func(tx storage.Store) error {
		return tx.CreateClient(ctx, cl)
	})
	if err != nil {
		return "", "", fmt.Errorf("create client: %w", err)
	}
	return cl.ID, secret, nil
}

// DeleteApp removes the app; its users, devices, keys and clients go
// with it.
func (s *StoreBackend) DeleteApp(ctx context.Context, appID string) error {
	err := s.inTx(ctx, "", "app.deleted", map[string]string{"app_id": appID}, func(tx storage.Store) error {
		return tx.DeleteApp(ctx, appID)
	})
	if err != nil {
		return fmt.Errorf("delete app: %w", err)
	}
	return nil
}

// Import reads an export into the app as passbridge import does (the
// store's bulk statements, lines committed in batches).
func (s *StoreBackend) Import(ctx context.Context, appID string, ndjson io.Reader) (transfer.Summary, error) {
	app, err := s.Store.GetApp(ctx, appID)
	if errors.Is(err, storage.ErrNotFound) {
		return transfer.Summary{}, fmt.Errorf("app %q not found", appID)
	}
	if err != nil {
		return transfer.Summary{}, fmt.Errorf("load app: %w", err)
	}
	names, err := aaguid.Load()
	if err != nil {
		return transfer.Summary{}, err
	}
	return transfer.Import(ctx, s.Store, app, ndjson, transfer.Options{Actor: actorCLI, AAGUIDs: names, Now: s.now})
}
