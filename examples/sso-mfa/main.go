// Command sso-mfa is a web app with a sign-in of its own (usernames and
// passwords, standing in for the SSO a company already runs) that adds
// passkey MFA through passbridge's OpenID Connect provider.
//
// After the password, a session can do nothing but the passkey step. A
// user without a passkey enrols one: the app sends the browser to
// passbridge with prompt=create and a request object (RFC 9101) it signed
// with its client secret, carrying the user's ID as login_hint. A user with
// a passkey steps up with it (login_hint, acr_values=phr, prompt=login).
// Either way the app checks the ID token it gets back (go-oidc): its sub is
// the user's ID, its nonce the flow's, its acr a passkey's and its
// auth_time fresh; only then is the session MFA-complete. A sensitive
// action asks for the passkey again. Sign-out ends the app's session and
// passbridge's. See README.md for how to run it.
//
// Usage:
//
//	sso-mfa                                        serve the app
//	sso-mfa add-user [--id ID] [--name NAME] USER  add a user to the users file
//
// Configuration comes from the environment:
//
//	PASSBRIDGE_ISSUER              passbridge's issuer (default http://localhost:8080)
//	OIDC_CLIENT_ID                 the client ID passbridge issued (required)
//	OIDC_CLIENT_SECRET             its secret, or OIDC_CLIENT_SECRET_FILE: a file holding it
//	OIDC_REDIRECT_URL              this app's callback (default http://localhost:3002/callback)
//	OIDC_POST_LOGOUT_REDIRECT_URL  where passbridge sends the browser after sign-out
//	                               (default: the callback's origin + "/")
//	USERS_FILE                     the users file (default data/sso-mfa-users.json)
//	LISTEN                         the address to listen on (default 127.0.0.1:3002)
package main

import (
	"context"
	"errors"
	"flag"
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
	// is retried at the first passkey step, so the app may start before it.
	if _, err := h.rp.discover(ctx); err != nil {
		log.Warn("passbridge's discovery failed; retrying at the first passkey step", "issuer", cfg.Issuer, "err", err)
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
	if len(os.Args) > 1 && os.Args[1] == "add-user" {
		err := addUserCmd(os.Args[2:], os.Getenv, os.Stdin, os.Stderr)
		switch {
		case errors.Is(err, flag.ErrHelp):
			os.Exit(0)
		case err != nil:
			fmt.Fprintf(os.Stderr, "sso-mfa add-user: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 {
		fmt.Fprintf(os.Stderr, "sso-mfa: unknown command %q (commands: add-user; none serves the app)\n", os.Args[1])
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sso-mfa: invalid configuration:\n  %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
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
