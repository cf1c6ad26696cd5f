package cli

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/provider/surface"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/cachestore"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// openRetryFor is how long serve waits for an unreachable database at start,
// so that it can start alongside its database (docker compose).
const openRetryFor = 30 * time.Second

func (c *cli) serveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server",
		Long: "Run the server. With no configuration it keeps an SQLite database in ./data,\n" +
			"listens on 127.0.0.1:8080 and, on first start, creates a default app for\n" +
			"http://localhost:8080 with a one-time API key: printed when stderr is a\n" +
			"terminal, otherwise written to <data_dir>/default-app-api-key (mode 0600)\n" +
			"for the operator to read and delete.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig(cmd)
			if err != nil {
				return err
			}
			return c.serve(cmd.Context(), cfg)
		},
	}
	config.AddFlags(cmd.Flags(), serveSettings()...)
	return cmd
}

// serveSettings are the settings serve takes as flags beyond every
// command's; doctor takes them too, to check what serve would run with.
func serveSettings() []string {
	return []string{config.KeyListen, config.KeyMetricsListen, config.KeyDebugListen, config.KeyIssuer, config.KeyMasterKey, config.KeyMasterKeyFile, config.KeySigningAlg,
		config.KeyMaxBodyBytes, config.KeyRateLimit, config.KeyRateLimitBurst, config.KeyKeyRateLimit, config.KeyKeyRateLimitBurst, config.KeyTrustedProxies, config.KeyGCInterval, config.KeyShutdownTimeout,
		config.KeyRequestTimeout}
}

// serve runs the server until ctx is done, then shuts it down gracefully.
func (c *cli) serve(ctx context.Context, cfg config.Config) error {
	log := c.logger(cfg)
	// Libraries that log (the OIDC provider among them) use slog's default
	// logger: make it this one, so every line is JSON at the chosen level.
	slog.SetDefault(log)
	masterKey, err := cfg.ResolveMasterKey(log)
	if err != nil {
		return err
	}
	st, err := c.openForServe(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	// Every instance sharing the store must hold the same master key: the
	// first start records a check value, any other key stops here.
	if err := signing.CheckMasterKey(ctx, st, masterKey, c.now()); err != nil {
		return err
	}
	if err := c.ensureDefaultApp(ctx, st, cfg.Issuer, cfg.DataDir, log); err != nil {
		return err
	}
	if err := warnMisfitClients(ctx, st, cfg.Issuer, log); err != nil {
		return err
	}
	// Apps, API keys and clients are read from memory. On PostgreSQL the
	// cache follows the database's change feed, so a change made anywhere
	// reaches it within milliseconds; otherwise (or while the feed is
	// down) within cachestore.DefaultTTL (5 s). Closing the cache stops
	// the feed's listener (and closes st, which a second Close ignores).
	cached := cachestore.New(st, cachestore.Config{Now: c.env.Now})
	defer cached.Close()
	if err := cached.Start(ctx); err != nil {
		return err
	}
	svc, err := ceremony.New(ceremony.Config{Store: cached})
	if err != nil {
		return err
	}
	keys, err := signingKeys(ctx, cached, masterKey, cfg.SigningAlg, c.env.Now, log)
	if err != nil {
		return err
	}
	deps, err := c.serverDeps(cfg, cached, svc, keys, masterKey, log)
	if err != nil {
		return err
	}
	srv, err := provider.New(deps)
	if err != nil {
		return err
	}

	public, err := listenHTTP(ctx, cfg.Listen, srv.Handler(), log, serveTimeouts())
	if err != nil {
		return err
	}
	servers := []*httpServer{public}
	if cfg.MetricsListen != "" {
		metrics, err := listenHTTP(ctx, cfg.MetricsListen, srv.MetricsHandler(), log, serveTimeouts())
		if err != nil {
			_ = public.ln.Close()
			return err
		}
		servers = append(servers, metrics)
	}
	if cfg.DebugListen != "" {
		debug, err := listenHTTP(ctx, cfg.DebugListen, pprofHandler(), log, serveTimeouts())
		if err != nil {
			for _, s := range servers {
				_ = s.ln.Close()
			}
			return err
		}
		servers = append(servers, debug)
		log.Info("serving the profiler", "addr", debug.addr(), "path", "/debug/pprof/")
	}

	gcCtx, stopGC := context.WithCancel(ctx)
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		srv.RunGC(gcCtx, cfg.GCInterval)
	}()
	defer func() { stopGC(); <-gcDone }()

	log.Info("listening", "addr", public.addr(), "issuer", cfg.Issuer, "database", st.Dialect())
	if cfg.MetricsListen != "" {
		log.Info("serving metrics", "addr", servers[1].addr(), "path", "/metrics")
	}
	if err := serveAll(ctx, servers, cfg.ShutdownTimeout, log); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// serverDeps is what serve builds the server from.
func (c *cli) serverDeps(cfg config.Config, st storage.Store, svc *ceremony.Service, keys *signing.Manager, masterKey []byte, log *slog.Logger) (provider.Deps, error) {
	list, err := surface.Areas(surface.Deps{Store: st, Ceremony: svc, Logger: log, Issuer: cfg.Issuer, Now: c.env.Now,
		Keys: keys, MasterKey: masterKey})
	if err != nil {
		return provider.Deps{}, err
	}
	return provider.Deps{
		Store:             st,
		Ceremony:          svc,
		Logger:            log,
		Issuer:            cfg.Issuer,
		MasterKey:         masterKey,
		MaxBodyBytes:      cfg.MaxBodyBytes,
		RateLimit:         cfg.RateLimit,
		RateLimitBurst:    cfg.RateLimitBurst,
		KeyRateLimit:      cfg.KeyRateLimit,
		KeyRateLimitBurst: cfg.KeyRateLimitBurst,
		TrustedProxies:    cfg.ProxyList(),
		MetricsSeparate:   cfg.MetricsListen != "",
		RequestTimeout:    cfg.RequestTimeout,
		Now:               c.env.Now,
		Areas:             list,
	}, nil
}

// openForServe opens and migrates the store, waiting a while for a database
// that is not up yet.
func (c *cli) openForServe(ctx context.Context, cfg config.Config, log *slog.Logger) (*sqlstore.Store, error) {
	deadline := time.Now().Add(openRetryFor)
	wait := 250 * time.Millisecond
	for {
		st, err := openStore(ctx, cfg)
		if err == nil || !errors.Is(err, storage.ErrUnavailable) || time.Now().After(deadline) {
			return st, err
		}
		log.Warn("database unavailable; retrying", "err", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 4*time.Second)
	}
}
