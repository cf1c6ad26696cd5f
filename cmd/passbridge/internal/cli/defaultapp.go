package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/storage"
)

// ensureDefaultApp gives an empty store the app a first start needs (DESIGN
// §7): its RP ID is the issuer's host, its origin the issuer's origin, and
// sign-up is allowed. Its one-time API key is printed when stderr is a
// terminal and otherwise written to a file in dataDir (see keyHandover). An
// issuer that cannot be an RP ID (an IP address) gets a warning instead:
// serving goes on without a default app.
func (c *cli) ensureDefaultApp(ctx context.Context, st storage.Store, issuer, dataDir string, log *slog.Logger) error {
	apps, err := st.ListApps(ctx)
	if err != nil {
		return fmt.Errorf("list apps: %w", err)
	}
	if len(apps) > 0 {
		return nil
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return fmt.Errorf("parse issuer: %w", err)
	}
	now := c.now()
	app, err := ceremony.PrepareApp(storage.App{
		ID:          storage.NewID(),
		Name:        "Default app",
		RPID:        u.Hostname(),
		Origins:     []string{u.Scheme + "://" + u.Host},
		AllowSignup: true,
		CreatedAt:   now,
		UpdatedAt:   now,
	})
	if err != nil {
		log.Warn("no default app created: the issuer cannot be a WebAuthn relying party; create one with passbridge apps create",
			"issuer", issuer, "err", err)
		return nil
	}
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	key := storage.APIKey{
		ID: storage.NewID(), AppID: app.ID, Name: "default", Prefix: prefix,
		Hash: storage.HashSecret(secret), CreatedAt: now,
	}
	handover, err := c.claimKeyHandover(dataDir)
	if err != nil {
		return err
	}
	if err := handover.store(secret); err != nil {
		handover.abandon()
		return err
	}
	err = st.InTx(ctx, func(tx storage.Store) error {
		if err := tx.CreateApp(ctx, app); err != nil {
			return fmt.Errorf("create default app: %w", err)
		}
		if err := tx.CreateAPIKey(ctx, key); err != nil {
			return fmt.Errorf("create default api key: %w", err)
		}
		if err := c.auditAs(ctx, tx, actorSystem, app.ID, "app.created", map[string]string{"name": app.Name, "rp_id": app.RPID}); err != nil {
			return err
		}
		return c.auditAs(ctx, tx, actorSystem, app.ID, "apikey.created", map[string]string{"api_key_id": key.ID, "name": key.Name})
	})
	if err != nil {
		handover.abandon()
		return err
	}
	log.Info("created the default app", "app_id", app.ID, "rp_id", app.RPID, "origin", app.Origins[0])
	return handover.announce(app, secret, log)
}

// warnMisfitClients warns about every app with OIDC clients whose RP ID and
// origins cannot host the login page on the issuer's origin (DESIGN §6):
// their sign-ins would fail at the ceremony.
func warnMisfitClients(ctx context.Context, st storage.Store, issuer string, log *slog.Logger) error {
	apps, err := st.ListApps(ctx)
	if err != nil {
		return fmt.Errorf("list apps: %w", err)
	}
	for _, app := range apps {
		problem := ceremony.CheckIssuerFit(app, issuer)
		if problem == nil {
			continue
		}
		clients, err := st.ListClients(ctx, app.ID)
		if err != nil {
			return fmt.Errorf("list clients: %w", err)
		}
		for _, cl := range clients {
			log.Warn("OIDC client cannot sign in: its app does not fit the issuer",
				"client_id", cl.ID, "app_id", app.ID, "problem", problem.Error())
		}
	}
	return nil
}
