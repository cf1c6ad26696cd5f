// Command flex-go is a small web app that adds passkeys to its own sign-in
// through passbridge's Flex API.
//
// Its backend creates register and authenticate transactions with the app's
// API key, redeems the nonce the page brings back, and keeps a session of its
// own; its page runs the passkey ceremonies with the browser SDK that
// passbridge serves at /sdk/flex.js. Signed in, a person manages their
// passkeys (add, rename, remove all but the last) and confirms a sensitive
// action, "Delete my data", with a passkey again. It uses passbridge's
// public HTTP API only, as any app would. See README.md for how to run it
// and what the backend checks.
//
// Configuration comes from the environment:
//
//	PASSBRIDGE_URL      where passbridge answers (default http://localhost:8080)
//	PASSBRIDGE_APP_ID   the passbridge app this site belongs to (required)
//	PASSBRIDGE_API_KEY  an API key of that app (required)
//	LISTEN              the address to listen on (default 127.0.0.1:3000)
//	ACCOUNTS_FILE       where the app keeps its accounts (default ./data/flex-go-accounts.json)
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// Config is what the app needs to run.
type Config struct {
	// PassbridgeURL is passbridge's base URL, as the browser and this
	// backend reach it.
	PassbridgeURL string
	AppID         string
	APIKey        string
	Listen        string
	// AccountsFile is the JSON file of the app's own accounts; "" keeps
	// them in memory only.
	AccountsFile string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Client makes the calls to passbridge; nil means a client with a
	// 10-second timeout.
	Client *http.Client
	// Logger receives server-side errors; nil discards them.
	Logger *slog.Logger
}

// configFromEnv reads the configuration from getenv (os.Getenv) and reports
// every problem at once.
func configFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		PassbridgeURL: getenv("PASSBRIDGE_URL"),
		AppID:         getenv("PASSBRIDGE_APP_ID"),
		APIKey:        getenv("PASSBRIDGE_API_KEY"),
		Listen:        getenv("LISTEN"),
		AccountsFile:  getenv("ACCOUNTS_FILE"),
	}
	if cfg.AccountsFile == "" {
		cfg.AccountsFile = filepath.Join("data", "flex-go-accounts.json")
	}
	if cfg.PassbridgeURL == "" {
		cfg.PassbridgeURL = "http://localhost:8080"
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:3000"
	}
	var errs []error
	if cfg.AppID == "" {
		errs = append(errs, errors.New("PASSBRIDGE_APP_ID is required"))
	}
	if cfg.APIKey == "" {
		errs = append(errs, errors.New("PASSBRIDGE_API_KEY is required"))
	}
	if _, err := passbridgeOrigin(cfg.PassbridgeURL); err != nil {
		errs = append(errs, fmt.Errorf("PASSBRIDGE_URL: %w", err))
	}
	if _, _, err := net.SplitHostPort(cfg.Listen); err != nil {
		errs = append(errs, fmt.Errorf("LISTEN %q is not host:port", cfg.Listen))
	}
	return cfg, errors.Join(errs...)
}

// passbridgeOrigin checks that raw is an absolute http(s) URL and returns
// its origin, the form a Content-Security-Policy source takes.
func passbridgeOrigin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q must not carry credentials, a query or a fragment", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

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
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if cfg.Logger != nil {
		cfg.Logger.Info("listening", "addr", ln.Addr().String(), "passbridge", cfg.PassbridgeURL, "app", cfg.AppID)
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
		fmt.Fprintf(os.Stderr, "flex-go: %v\n", err)
		os.Exit(2)
	}
	cfg.Logger = log
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		log.Error("serve", "err", err)
		os.Exit(1)
	}
}
