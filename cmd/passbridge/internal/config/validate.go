package config

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Bounds of the numeric settings.
const (
	minBodyBytes  = 1 << 10  // below this a WebAuthn response with attestation does not fit
	maxBodyBytes  = 64 << 20 // above this one request could exhaust memory
	minGCInterval = time.Second
	maxGCInterval = 24 * time.Hour
	// A request's deadline: at least a second, so that a busy database
	// is not mistaken for a stuck one; at most the HTTP server's write
	// timeout (a minute), past which the answer could not be sent anyway.
	minRequestTimeout = time.Second
	maxRequestTimeout = time.Minute
)

// Validate checks every setting and reports every problem at once in an
// *Error. Problems name the setting and its value, except for secrets.
func (c Config) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if err := checkListen(c.Listen); err != nil {
		add("listen %q: %v", c.Listen, err)
	}
	if !slices.Contains([]string{"RS256", "ES256", "EdDSA"}, c.SigningAlg) {
		add("signing_alg %q: want RS256, ES256 or EdDSA", c.SigningAlg)
	}
	if c.MetricsListen != "" {
		if err := checkMetricsListen(c.MetricsListen, c.Listen); err != nil {
			add("metrics_listen %q: %v", c.MetricsListen, err)
		}
	}
	if c.DebugListen != "" {
		if err := checkDebugListen(c.DebugListen, c.Listen); err != nil {
			add("debug_listen %q: %v", c.DebugListen, err)
		}
	}
	if err := checkIssuer(c.Issuer); err != nil {
		add("issuer %q: %v", c.Issuer, err)
	}
	if err := checkDatabaseURL(c.DatabaseURL); err != nil {
		add("database_url %q: %v", redactURL(c.DatabaseURL), err)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		add("data_dir is required")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("log_level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.MaxBodyBytes < minBodyBytes || c.MaxBodyBytes > maxBodyBytes {
		add("max_body_bytes %d: want between %d and %d", c.MaxBodyBytes, minBodyBytes, maxBodyBytes)
	}
	switch {
	case math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0):
		add("rate_limit %v: want a number of requests per second, or 0 to turn limiting off", c.RateLimit)
	case c.RateLimit < 0:
		add("rate_limit %v: must not be negative (0 turns limiting off)", c.RateLimit)
	}
	switch {
	case c.RateLimitBurst < 0:
		add("rate_limit_burst %d: must not be negative", c.RateLimitBurst)
	case c.RateLimitBurst < 1 && c.RateLimit > 0:
		add("rate_limit_burst %d: want at least 1 while rate_limit is set", c.RateLimitBurst)
	}
	switch {
	case math.IsNaN(c.KeyRateLimit) || math.IsInf(c.KeyRateLimit, 0):
		add("key_rate_limit %v: want a number of requests per second, or 0 to turn limiting off", c.KeyRateLimit)
	case c.KeyRateLimit < 0:
		add("key_rate_limit %v: must not be negative (0 turns limiting off)", c.KeyRateLimit)
	}
	switch {
	case c.KeyRateLimitBurst < 0:
		add("key_rate_limit_burst %d: must not be negative", c.KeyRateLimitBurst)
	case c.KeyRateLimitBurst < 1 && c.KeyRateLimit > 0:
		add("key_rate_limit_burst %d: want at least 1 while key_rate_limit is set", c.KeyRateLimitBurst)
	}
	for _, p := range c.ProxyList() {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				add("trusted_proxies %q: want IP addresses or CIDR prefixes, separated by commas", p)
			}
		}
	}
	if c.GCInterval < minGCInterval || c.GCInterval > maxGCInterval {
		add("gc_interval %s: want between %s and %s", c.GCInterval, minGCInterval, maxGCInterval)
	}
	if c.ShutdownTimeout < 0 {
		add("shutdown_timeout %s: must not be negative", c.ShutdownTimeout)
	}
	if c.RequestTimeout < minRequestTimeout || c.RequestTimeout > maxRequestTimeout {
		add("request_timeout %s: want between %s and %s", c.RequestTimeout, minRequestTimeout, maxRequestTimeout)
	}
	switch {
	case c.MasterKey != "" && c.MasterKeyFile != "":
		add("master_key and master_key_file are both set; set one of them")
	case c.MasterKey != "":
		if _, err := DecodeMasterKey(c.MasterKey); err != nil {
			add("master_key: %v", err) // never echo a secret
		}
	case c.MasterKeyFile != "":
		if _, err := readMasterKeyFile(c.MasterKeyFile); err != nil {
			add("master_key_file %q: %v", c.MasterKeyFile, err)
		}
	}
	if len(problems) > 0 {
		return &Error{Problems: problems}
	}
	return nil
}

func checkListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port, such as 127.0.0.1:8080 or :8080")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("host %q is not a host name or IP address", host)
	}
	return nil
}

// checkMetricsListen: the metrics listener exists to keep /metrics off the
// public one, so it must not be the public address. Port 0 asks for any
// free port, so two such listeners never share one.
func checkMetricsListen(addr, listen string) error {
	if err := checkListen(addr); err != nil {
		return err
	}
	if _, port, _ := net.SplitHostPort(addr); addr == listen && port != "0" {
		return fmt.Errorf("the address of listen; want a separate one, such as 127.0.0.1:9090")
	}
	return nil
}

// checkDebugListen: the profiler shows the process's memory and code paths
// to whoever reaches it, so it listens on a loopback address only, and not
// on the public one.
func checkDebugListen(addr, listen string) error {
	if err := checkMetricsListen(addr, listen); err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("not a loopback address; want one such as 127.0.0.1:6060")
	}
	return nil
}

// checkIssuer: the issuer is an absolute http(s) URL without query or
// fragment (OpenID Connect Discovery §3 and RFC 8414 §2).
func checkIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return fmt.Errorf("want an absolute http or https URL, such as https://id.example.com")
	case u.User != nil:
		return fmt.Errorf("must not carry user information")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return fmt.Errorf("must not have a query or fragment")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q is not a number from 1 to 65535", port)
		}
	}
	return nil
}

func checkDatabaseURL(raw string) error {
	scheme, rest, ok := strings.Cut(raw, "://")
	scheme = strings.ToLower(scheme)
	switch {
	case !ok:
		return fmt.Errorf("want sqlite://PATH or postgres://USER@HOST/DB")
	case scheme == "sqlite":
		if rest == "" {
			return fmt.Errorf("the SQLite database path is empty")
		}
	case scheme == "postgres" || scheme == "postgresql":
		if _, err := url.Parse(raw); err != nil {
			return fmt.Errorf("not a valid PostgreSQL URL")
		}
	default:
		return fmt.Errorf("scheme %q: want sqlite or postgres", scheme)
	}
	return nil
}

// redactURL hides a password in a database URL so errors and logs can show
// the rest of it.
func redactURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		// Not a URL. A bare path is shown; a key=value connection string
		// (or anything with user information) may hold a password anywhere.
		if strings.ContainsAny(raw, "=@ ") {
			return "(not shown: not a URL)"
		}
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Unparsable: the credentials cannot be found exactly, so show only
		// what stands before them and after the last "@", without a query.
		rest, _, _ = strings.Cut(rest, "?")
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = "xxxxx@" + rest[at+1:]
		}
		return scheme + "://" + rest
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	// Drivers take passwords in the query too (password=, sslpassword=).
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "pass") {
			q.Set(k, "xxxxx")
		}
	}
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}
