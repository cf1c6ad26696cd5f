package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// HTTP server timeouts: slow clients must not hold connections for ever,
// and no passbridge request legitimately takes long.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	// openRetryFor is how long serve waits for an unreachable database at
	// start, so that it can start alongside its database (docker compose).
	openRetryFor = 30 * time.Second
)

func (c *cli) serveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server",
		Long: "Run the server. With no configuration it keeps an SQLite database in ./data,\n" +
			"listens on 127.0.0.1:8080 and, on first start, creates a default app for\n" +
			"http://localhost:8080 and prints its id and a one-time API key.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig(cmd)
			if err != nil {
				return err
			}
			return c.serve(cmd.Context(), cfg)
		},
	}
	config.AddFlags(cmd.Flags(), config.KeyListen, config.KeyIssuer, config.KeyMasterKey, config.KeyMasterKeyFile,
		config.KeyMaxBodyBytes, config.KeyRateLimit, config.KeyRateLimitBurst, config.KeyTrustedProxies, config.KeyGCInterval, config.KeyShutdownTimeout)
	return cmd
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
	if err := c.ensureDefaultApp(ctx, st, cfg.Issuer, log); err != nil {
		return err
	}
	if err := warnMisfitClients(ctx, st, cfg.Issuer, log); err != nil {
		return err
	}
	svc, err := ceremony.New(ceremony.Config{Store: st})
	if err != nil {
		return err
	}
	srv, err := provider.New(provider.Deps{
		Store:          st,
		Ceremony:       svc,
		Logger:         log,
		Issuer:         cfg.Issuer,
		MasterKey:      masterKey,
		MaxBodyBytes:   cfg.MaxBodyBytes,
		RateLimit:      cfg.RateLimit,
		RateLimitBurst: cfg.RateLimitBurst,
		TrustedProxies: cfg.ProxyList(),
		Now:            c.env.Now,
		Areas:          areas(areaDeps{store: st, ceremony: svc, log: log, issuer: cfg.Issuer, now: c.env.Now}),
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}

	gcCtx, stopGC := context.WithCancel(ctx)
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		srv.RunGC(gcCtx, cfg.GCInterval)
	}()
	defer func() { stopGC(); <-gcDone }()

	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "issuer", cfg.Issuer, "database", st.Dialect())

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		_ = httpSrv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
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
