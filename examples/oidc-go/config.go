package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// Defaults, as the README documents them.
const (
	defaultIssuer      = "http://localhost:8080"
	defaultRedirectURL = "http://localhost:3001/callback"
	defaultListen      = "127.0.0.1:3001"
	defaultStepUpACR   = acrPhishingResistant
)

// callbackPath is the path this app serves the authorization response at;
// OIDC_REDIRECT_URL must end in it.
const callbackPath = "/callback"

// Config is what the app needs to run.
type Config struct {
	// Issuer is passbridge's issuer, exactly as its discovery document
	// states it.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this app's callback as registered with the client. Its
	// origin is the app's public origin: cookies are Secure when it is
	// https.
	RedirectURL string
	// PostLogoutRedirectURL is where passbridge sends the browser after
	// sign-out; registered with the client too.
	PostLogoutRedirectURL string
	// StepUpACR is the least acr a step-up asks for and accepts.
	StepUpACR string
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
		slog.String("step_up_acr", c.StepUpACR),
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
// the defaults and reports every problem at once. An empty variable counts
// as unset.
func configFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Issuer:                getenv("PASSBRIDGE_ISSUER"),
		ClientID:              getenv("OIDC_CLIENT_ID"),
		ClientSecret:          getenv("OIDC_CLIENT_SECRET"),
		RedirectURL:           getenv("OIDC_REDIRECT_URL"),
		PostLogoutRedirectURL: getenv("OIDC_POST_LOGOUT_REDIRECT_URL"),
		StepUpACR:             getenv("STEP_UP_ACR"),
		Listen:                getenv("LISTEN"),
	}
	// credErr is the one thing to say about the credentials it covers when
	// the file they should come from is wrong.
	var (
		credErr    error
		covers     = []error{errMissingSecret}
		registered *clientFile
	)
	file, secretFile := getenv("OIDC_CLIENT_FILE"), getenv("OIDC_CLIENT_SECRET_FILE")
	if file != "" {
		covers = append(covers, errMissingClientID)
	}
	switch {
	case file != "" && (cfg.ClientID != "" || cfg.ClientSecret != "" || secretFile != ""):
		credErr = errors.New("set OIDC_CLIENT_FILE, or OIDC_CLIENT_ID with OIDC_CLIENT_SECRET(_FILE), not both")
	case file != "":
		cf, err := readClientFile(file)
		if err != nil {
			credErr = fmt.Errorf("OIDC_CLIENT_FILE: %w", err)
		} else {
			cfg.ClientID, cfg.ClientSecret, registered = cf.ClientID, cf.ClientSecret, &cf
		}
	case secretFile != "" && cfg.ClientSecret != "":
		credErr = errors.New("set OIDC_CLIENT_SECRET or OIDC_CLIENT_SECRET_FILE, not both")
	case secretFile != "":
		secret, err := readSecretFile(secretFile)
		if err != nil {
			credErr = fmt.Errorf("OIDC_CLIENT_SECRET_FILE: %w", err)
		} else {
			cfg.ClientSecret = secret
		}
	}
	cfg.setDefaults()
	errs := []error{credErr}
	for _, err := range cfg.problems() {
		if credErr == nil || !slices.Contains(covers, err) {
			errs = append(errs, err)
		}
	}
	if registered != nil {
		errs = append(errs, registered.problems(cfg)...)
	}
	return cfg, errors.Join(errs...)
}

// clientFile is the client as `passbridge clients create --json` prints
// it (and --output-file writes it), with its secret: the fields this app
// reads.
type clientFile struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// The URIs the client has registered; nil when the file does not say.
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
}

// readClientFile reads a client file and checks that it has what this app
// needs: a confidential client's ID and secret.
func readClientFile(name string) (clientFile, error) {
	raw, err := os.ReadFile(name)
	if err != nil {
		return clientFile{}, err
	}
	var cf clientFile
	if err := json.Unmarshal(raw, &cf); err != nil {
		return clientFile{}, fmt.Errorf("%s is not a client as passbridge clients create --json prints it: %v", name, err)
	}
	switch {
	case cf.ClientID == "":
		return clientFile{}, fmt.Errorf("%s has no client_id", name)
	case cf.ClientSecret == "":
		return clientFile{}, fmt.Errorf("%s has no client_secret: this app signs in as a confidential client (create it without --public)", name)
	}
	return cf, nil
}

// problems reports the app's URLs that the client in the file has not
// registered: passbridge would refuse them, at the first sign-in or
// sign-out, with a less helpful message.
func (cf clientFile) problems(cfg Config) []error {
	var errs []error
	if cf.RedirectURIs != nil && !slices.Contains(cf.RedirectURIs, cfg.RedirectURL) {
		errs = append(errs, fmt.Errorf("OIDC_REDIRECT_URL %q is not among the client's redirect URIs in OIDC_CLIENT_FILE: %s",
			cfg.RedirectURL, strings.Join(cf.RedirectURIs, " ")))
	}
	if cf.PostLogoutRedirectURIs != nil && !slices.Contains(cf.PostLogoutRedirectURIs, cfg.PostLogoutRedirectURL) {
		errs = append(errs, fmt.Errorf("OIDC_POST_LOGOUT_REDIRECT_URL %q is not among the client's post-logout redirect URIs in OIDC_CLIENT_FILE: %s",
			cfg.PostLogoutRedirectURL, strings.Join(cf.PostLogoutRedirectURIs, " ")))
	}
	return errs
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
	if c.StepUpACR == "" {
		c.StepUpACR = defaultStepUpACR
	}
	if c.Listen == "" {
		c.Listen = defaultListen
	}
}

var (
	errMissingClientID = errors.New("OIDC_CLIENT_ID is required (or OIDC_CLIENT_FILE)")
	errMissingSecret   = errors.New("OIDC_CLIENT_SECRET (or OIDC_CLIENT_SECRET_FILE) is required")
)

// validate reports every problem of c at once.
func (c Config) validate() error { return errors.Join(c.problems()...) }

// problems lists what is wrong with c, naming the environment variable each
// problem comes from.
func (c Config) problems() []error {
	var errs []error
	if err := checkURL(c.Issuer, false); err != nil {
		errs = append(errs, fmt.Errorf("PASSBRIDGE_ISSUER: %w", err))
	}
	if c.ClientID == "" {
		errs = append(errs, errMissingClientID)
	}
	if c.ClientSecret == "" {
		errs = append(errs, errMissingSecret)
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
	if _, ok := acrRank[c.StepUpACR]; !ok {
		errs = append(errs, fmt.Errorf("STEP_UP_ACR %q is not one of phr, phrh", c.StepUpACR))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("LISTEN %q is not host:port", c.Listen))
	}
	return errs
}

// checkURL checks that raw is an absolute http(s) URL without credentials
// or a fragment (nor a query, unless query is true), and https unless its
// host is a loopback name: plain http would carry codes and cookies in the
// clear.
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
