package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Defaults, as the README documents them.
const (
	defaultIssuer      = "http://localhost:8080"
	defaultRedirectURL = "http://localhost:3002/callback"
	defaultListen      = "127.0.0.1:3002"
	defaultUsersFile   = "data/sso-mfa-users.json"
)

// callbackPath is the path this app serves the authorization response at;
// OIDC_REDIRECT_URL must end in it.
const callbackPath = "/callback"

// minSecretBytes is the shortest client secret the app accepts: it is the
// HS256 key of the request objects, and RFC 7518 §3.2 wants a key of at
// least the hash's size (256 bits).
const minSecretBytes = 32

// Config is what the app needs to run.
type Config struct {
	// Issuer is passbridge's issuer, exactly as its discovery document
	// states it.
	Issuer   string
	ClientID string
	// ClientSecret authenticates the app at the token endpoint and signs
	// its request objects.
	ClientSecret string
	// RedirectURL is this app's callback as registered with the client. Its
	// origin is the app's public origin: cookies are Secure when it is
	// https.
	RedirectURL string
	// PostLogoutRedirectURL is where passbridge sends the browser after
	// sign-out; registered with the client too.
	PostLogoutRedirectURL string
	// UsersFile is the app's own user database: usernames, password
	// hashes, and whether each user has a passkey yet.
	UsersFile string
	Listen    string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// HTTPClient makes the calls to passbridge (discovery, keys, token);
	// nil means a client with a 10-second timeout.
	HTTPClient *http.Client
	// Logger receives what the app did and server-side errors; nil
	// discards them.
	Logger *slog.Logger
}

// LogValue leaves the client secret out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("issuer", c.Issuer),
		slog.String("client_id", c.ClientID),
		slog.String("redirect_url", c.RedirectURL),
		slog.String("post_logout_redirect_url", c.PostLogoutRedirectURL),
		slog.String("users_file", c.UsersFile),
		slog.String("listen", c.Listen),
	)
}

func (c Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

func (c Config) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// configFromEnv reads the configuration from getenv (os.Getenv), fills in
// the defaults and reports every problem at once, the users file's
// included. An empty variable counts as unset.
func configFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Issuer:                getenv("PASSBRIDGE_ISSUER"),
		ClientID:              getenv("OIDC_CLIENT_ID"),
		ClientSecret:          getenv("OIDC_CLIENT_SECRET"),
		RedirectURL:           getenv("OIDC_REDIRECT_URL"),
		PostLogoutRedirectURL: getenv("OIDC_POST_LOGOUT_REDIRECT_URL"),
		UsersFile:             getenv("USERS_FILE"),
		Listen:                getenv("LISTEN"),
	}
	var secretErr error
	if file := getenv("OIDC_CLIENT_SECRET_FILE"); file != "" {
		if cfg.ClientSecret != "" {
			secretErr = errors.New("set OIDC_CLIENT_SECRET or OIDC_CLIENT_SECRET_FILE, not both")
		} else if secret, err := readSecretFile(file); err != nil {
			secretErr = fmt.Errorf("OIDC_CLIENT_SECRET_FILE: %w", err)
		} else {
			cfg.ClientSecret = secret
		}
	}
	cfg.setDefaults()
	errs := []error{secretErr}
	for _, err := range cfg.problems() {
		// An unreadable file is the one thing to say about the secret.
		if secretErr == nil || err != errMissingSecret {
			errs = append(errs, err)
		}
	}
	if _, err := readUsers(cfg.UsersFile); err != nil {
		errs = append(errs, fmt.Errorf("USERS_FILE: %w", err))
	}
	return cfg, errors.Join(errs...)
}

// readSecretFile reads a secret from a file, without the line break an
// editor or `echo` leaves at its end.
func readSecretFile(name string) (string, error) {
	raw, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	secret := strings.TrimSpace(string(raw))
	if secret == "" {
		return "", fmt.Errorf("%s is empty", name)
	}
	return secret, nil
}

// setDefaults fills in what is unset.
func (c *Config) setDefaults() {
	if c.Issuer == "" {
		c.Issuer = defaultIssuer
	}
	if c.RedirectURL == "" {
		c.RedirectURL = defaultRedirectURL
	}
	if c.PostLogoutRedirectURL == "" {
		if o, err := origin(c.RedirectURL); err == nil {
			c.PostLogoutRedirectURL = o + "/"
		}
	}
	if c.UsersFile == "" {
		c.UsersFile = defaultUsersFile
	}
	if c.Listen == "" {
		c.Listen = defaultListen
	}
}

var errMissingSecret = errors.New("OIDC_CLIENT_SECRET (or OIDC_CLIENT_SECRET_FILE) is required")

// problems lists what is wrong with c, naming the environment variable each
// problem comes from. The users file is read by configFromEnv.
func (c Config) problems() []error {
	var errs []error
	if err := checkURL(c.Issuer, false); err != nil {
		errs = append(errs, fmt.Errorf("PASSBRIDGE_ISSUER: %w", err))
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New("OIDC_CLIENT_ID is required"))
	}
	switch {
	case c.ClientSecret == "":
		errs = append(errs, errMissingSecret)
	case len(c.ClientSecret) < minSecretBytes:
		errs = append(errs, fmt.Errorf("the client secret is shorter than %d bytes, too short for HS256 request objects: "+
			"use a confidential client's secret as passbridge issues it", minSecretBytes))
	}
	if err := checkURL(c.RedirectURL, true); err != nil {
		errs = append(errs, fmt.Errorf("OIDC_REDIRECT_URL: %w", err))
	} else if u, _ := url.Parse(c.RedirectURL); u.Path != callbackPath {
		errs = append(errs, fmt.Errorf("OIDC_REDIRECT_URL %q must end in %s, the path this app serves", c.RedirectURL, callbackPath))
	}
	if err := checkURL(c.PostLogoutRedirectURL, true); err != nil {
		errs = append(errs, fmt.Errorf("OIDC_POST_LOGOUT_REDIRECT_URL: %w", err))
	} else if a, b := mustOrigin(c.PostLogoutRedirectURL), mustOrigin(c.RedirectURL); b != "" && a != b {
		errs = append(errs, fmt.Errorf("OIDC_POST_LOGOUT_REDIRECT_URL %q must be on this app's origin %s", c.PostLogoutRedirectURL, b))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("LISTEN %q is not host:port", c.Listen))
	}
	return errs
}

// checkURL checks that raw is an absolute http(s) URL without credentials
// or a fragment (nor a query, unless query is true), and https unless its
// host is a loopback name: plain http would carry passwords, codes and
// cookies in the clear.
func checkURL(raw string, query bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	if u.User != nil || u.Fragment != "" || (!query && u.RawQuery != "") {
		return fmt.Errorf("%q must not carry credentials, a fragment or a query", raw)
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return fmt.Errorf("%q must be https (http only on localhost)", raw)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// origin returns scheme://host[:port] of an absolute URL.
func origin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute URL", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

func mustOrigin(raw string) string {
	o, _ := origin(raw)
	return o
}
