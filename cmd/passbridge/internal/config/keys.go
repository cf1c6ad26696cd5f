package config

import (
	"strconv"
	"strings"
	"time"
)

// A key is one configuration setting under its three names: the YAML key,
// the flag (--data-dir) and the environment variable (PASSBRIDGE_DATA_DIR),
// all derived from the YAML key.
type key struct {
	name  string // YAML key
	usage string
	set   func(c *Config, v string) error
	get   func(c Config) string
}

// Setting names, as YAML spells them, for AddFlags.
const (
	KeyConfig            = "config" // the configuration file itself
	KeyListen            = "listen"
	KeyMetricsListen     = "metrics_listen"
	KeyDebugListen       = "debug_listen"
	KeyIssuer            = "issuer"
	KeyDatabaseURL       = "database_url"
	KeyDatabaseURLFile   = "database_url_file"
	KeyMasterKey         = "master_key"
	KeyMasterKeyFile     = "master_key_file"
	KeyDataDir           = "data_dir"
	KeyLogLevel          = "log_level"
	KeyMaxBodyBytes      = "max_body_bytes"
	KeyRateLimit         = "rate_limit"
	KeyRateLimitBurst    = "rate_limit_burst"
	KeyKeyRateLimit      = "key_rate_limit"
	KeyKeyRateLimitBurst = "key_rate_limit_burst"
	KeyTrustedProxies    = "trusted_proxies"
	KeyGCInterval        = "gc_interval"
	KeyShutdownTimeout   = "shutdown_timeout"
	KeyRequestTimeout    = "request_timeout"
	KeySigningAlg        = "signing_alg"
)

// keys lists every setting, in the order help shows them.
func keys() []key {
	str := func(name, usage string, f func(*Config) *string) key {
		return key{
			name: name, usage: usage,
			set: func(c *Config, v string) error { *f(c) = v; return nil },
			get: func(c Config) string { return *f(&c) },
		}
	}
	dur := func(name, usage string, f func(*Config) *time.Duration) key {
		return key{
			name: name, usage: usage,
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(strings.TrimSpace(v))
				if err != nil {
					return errNotDuration
				}
				*f(c) = d
				return nil
			},
			get: func(c Config) string { return f(&c).String() },
		}
	}
	return []key{
		str(KeyListen, "address to listen on (host:port)", func(c *Config) *string { return &c.Listen }),
		str(KeyMetricsListen, "separate address (host:port) to serve /metrics on, off the public listener (default: none; /metrics is served on listen)", func(c *Config) *string { return &c.MetricsListen }),
		str(KeyDebugListen, "loopback address (host:port) to serve Go's profiler (/debug/pprof/) on, for performance work (default: none)", func(c *Config) *string { return &c.DebugListen }),
		str(KeyIssuer, "public base URL of this server (OIDC issuer)", func(c *Config) *string { return &c.Issuer }),
		str(KeySigningAlg, "algorithm of new OIDC signing keys: RS256, ES256 or EdDSA (takes effect through key rotation)", func(c *Config) *string { return &c.SigningAlg }),
		str(KeyDatabaseURL, "sqlite://PATH or postgres://… (default sqlite://<data_dir>/passbridge.db)", func(c *Config) *string { return &c.DatabaseURL }),
		str(KeyDatabaseURLFile, "file holding the database URL", func(c *Config) *string { return &c.DatabaseURLFile }),
		str(KeyMasterKey, "32-byte key (base64 or hex) that encrypts secrets at rest (default: generated into <data_dir>/master.key)", func(c *Config) *string { return &c.MasterKey }),
		str(KeyMasterKeyFile, "file holding the master key", func(c *Config) *string { return &c.MasterKeyFile }),
		str(KeyDataDir, "directory for the SQLite database and a generated master key", func(c *Config) *string { return &c.DataDir }),
		str(KeyLogLevel, "debug, info, warn or error", func(c *Config) *string { return &c.LogLevel }),
		str(KeyTrustedProxies, "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client (default: none; the peer is the client)", func(c *Config) *string { return &c.TrustedProxies }),
		{
			name: KeyMaxBodyBytes, usage: "largest request body accepted, in bytes",
			set: func(c *Config, v string) error {
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil {
					return errNotInteger
				}
				c.MaxBodyBytes = n
				return nil
			},
			get: func(c Config) string { return strconv.FormatInt(c.MaxBodyBytes, 10) },
		},
		{
			name: KeyRateLimit, usage: "requests per second one client (IP address or IPv6 /64) may make to the browser client API (ceremony starts and finishes), per instance; 0 turns limiting off",
			set: func(c *Config, v string) error {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					return errNotNumber
				}
				c.RateLimit = f
				return nil
			},
			get: func(c Config) string { return strconv.FormatFloat(c.RateLimit, 'g', -1, 64) },
		},
		{
			name: KeyRateLimitBurst, usage: "requests a client may make in one burst before the rate limit applies",
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil {
					return errNotInteger
				}
				c.RateLimitBurst = n
				return nil
			},
			get: func(c Config) string { return strconv.Itoa(c.RateLimitBurst) },
		},
		{
			name: KeyKeyRateLimit, usage: "requests per second one API key or admin key may make to the routes it authenticates, per instance; 0 turns limiting off",
			set: func(c *Config, v string) error {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					return errNotNumber
				}
				c.KeyRateLimit = f
				return nil
			},
			get: func(c Config) string { return strconv.FormatFloat(c.KeyRateLimit, 'g', -1, 64) },
		},
		{
			name: KeyKeyRateLimitBurst, usage: "requests one key may make in one burst before its rate limit applies",
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil {
					return errNotInteger
				}
				c.KeyRateLimitBurst = n
				return nil
			},
			get: func(c Config) string { return strconv.Itoa(c.KeyRateLimitBurst) },
		},
		dur(KeyGCInterval, "how often expired rows are deleted", func(c *Config) *time.Duration { return &c.GCInterval }),
		dur(KeyShutdownTimeout, "how long in-flight requests may finish on shutdown", func(c *Config) *time.Duration { return &c.ShutdownTimeout }),
		dur(KeyRequestTimeout, "how long a request may wait for the database before it is answered 503", func(c *Config) *time.Duration { return &c.RequestTimeout }),
	}
}

func (k key) flag() string { return flagName(k.name) }
func (k key) env() string  { return envName(k.name) }

func flagName(name string) string { return strings.ReplaceAll(name, "_", "-") }
func envName(name string) string  { return "PASSBRIDGE_" + strings.ToUpper(name) }

type parseError string

func (e parseError) Error() string { return string(e) }

const (
	errNotDuration = parseError("not a duration such as 30s, 1m or 1h30m")
	errNotInteger  = parseError("not an integer")
	errNotNumber   = parseError("not a number")
)
