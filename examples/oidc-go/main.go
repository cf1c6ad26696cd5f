// Command oidc-go is a small web app that signs people in with passbridge
// through OpenID Connect, with go-oidc and x/oauth2.
//
// It runs the authorization code flow with PKCE (S256), a state and a nonce
// bound to the browser, verifies the ID token, and keeps a session of its
// own. "Confirm with passkey" asks passbridge for a fresh passkey ceremony
// of the signed-in user (step-up: acr_values, max_age=0, login_hint) and
// checks that the answer is fresh, strong enough and the same user's. "Sign
// out" ends the app's session and passbridge's (RP-initiated logout). See
// README.md for how to run it.
//
// Configuration comes from the environment:
//
//	PASSBRIDGE_ISSUER              passbridge's issuer (default http://localhost:8080)
//	OIDC_CLIENT_ID                 the client ID passbridge issued (required)
//	OIDC_CLIENT_SECRET             its secret, or OIDC_CLIENT_SECRET_FILE: a file holding it
//	OIDC_CLIENT_FILE               instead of the two above: the JSON file that
//	                               passbridge clients create --output-file wrote
//	OIDC_REDIRECT_URL              this app's callback (default http://localhost:3001/callback)
//	OIDC_POST_LOGOUT_REDIRECT_URL  where passbridge sends the browser after sign-out
//	                               (default: the callback's origin + "/")
//	STEP_UP_ACR                    the acr a step-up asks for: phr (default) or phrh
//	LISTEN                         the address to listen on (default 127.0.0.1:3001)
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// run serves the app on cfg.Listen until ctx is done, then lets requests in
// flight finish.
func run(ctx context.Context, cfg Config) error {
	h, err := newHandler(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log := cfg.logger()
	log.Info("listening", "addr", ln.Addr().String(), "config", cfg)
	// Discovery now only to say early whether passbridge answers; a failure
	// is retried at the first sign-in, so the app may start before it.
	if _, err := h.rp.discover(ctx); err != nil {
		log.Warn("passbridge's discovery failed; retrying at the first sign-in", "issuer", cfg.Issuer, "err", err)
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "oidc-go: invalid configuration:\n  %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		os.Exit(2)
	}
	cfg.Logger = log
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("serve", "err", err)
		os.Exit(1)
	}
}
