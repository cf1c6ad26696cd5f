// Package config is the configuration of the passbridge binary: a typed
// struct with its defaults in one place, loaded from flags, PASSBRIDGE_*
// environment variables and an optional YAML file (in that order of
// precedence), and validated so that every problem is reported at once.
package config

import (
	"log/slog"
	"strings"
	"time"
)

// Config is the whole configuration of the binary.
type Config struct {
	Listen            string        // address the HTTP server listens on
	MetricsListen     string        // separate address for /metrics; "": /metrics is served on Listen
	DebugListen       string        // loopback address for /debug/pprof/; "": not served
	SigningAlg        string        // algorithm of new OIDC signing keys
	Issuer            string        // public base URL; OIDC issuer
	DatabaseURL       string        // sqlite://PATH or postgres://…
	DatabaseURLFile   string        // file holding DatabaseURL (it may carry a password)
	MasterKey         string        // 32 bytes as base64 or hex; encrypts secrets at rest
	MasterKeyFile     string        // file holding MasterKey
	DataDir           string        // where the SQLite database and a generated master key live
	LogLevel          string        // debug | info | warn | error
	MaxBodyBytes      int64         // request body limit
	RateLimit         float64       // client API requests per second per client address, per instance; 0: off
	RateLimitBurst    int           // /v1 requests a client may make at once
	KeyRateLimit      float64       // requests per second one API or admin key may make, per instance; 0: off
	KeyRateLimitBurst int           // requests one key may make at once
	TrustedProxies    string        // comma-separated addresses or CIDRs whose X-Forwarded-For is believed
	GCInterval        time.Duration // how often expired rows are deleted
	ShutdownTimeout   time.Duration // how long in-flight requests may finish on shutdown
	RequestTimeout    time.Duration // deadline of each request's store calls; past it, 503
}

// Defaults: passbridge runs with no configuration at all.
const (
	DefaultListen            = "127.0.0.1:8080"
	DefaultIssuer            = "http://localhost:8080"
	DefaultDataDir           = "./data"
	DefaultLogLevel          = "info"
	DefaultMaxBodyBytes      = 1 << 20
	DefaultRateLimit         = 50
	DefaultRateLimitBurst    = 100
	DefaultKeyRateLimit      = 100
	DefaultKeyRateLimitBurst = 200
	DefaultGCInterval        = time.Minute
	DefaultShutdownTimeout   = 15 * time.Second
	DefaultRequestTimeout    = 15 * time.Second
	DefaultSigningAlg        = "RS256"
)

// Default returns the configuration used where nothing else is set. The
// database URL is left empty: it follows the data directory (see Load).
func Default() Config {
	return Config{
		Listen:            DefaultListen,
		Issuer:            DefaultIssuer,
		SigningAlg:        DefaultSigningAlg,
		DataDir:           DefaultDataDir,
		LogLevel:          DefaultLogLevel,
		MaxBodyBytes:      DefaultMaxBodyBytes,
		RateLimit:         DefaultRateLimit,
		RateLimitBurst:    DefaultRateLimitBurst,
		KeyRateLimit:      DefaultKeyRateLimit,
		KeyRateLimitBurst: DefaultKeyRateLimitBurst,
		GCInterval:        DefaultGCInterval,
		ShutdownTimeout:   DefaultShutdownTimeout,
		RequestTimeout:    DefaultRequestTimeout,
	}
}

// DefaultDatabaseURL is the SQLite database inside dataDir.
func DefaultDatabaseURL(dataDir string) string {
	return "sqlite://" + strings.TrimSuffix(dataDir, "/") + "/passbridge.db"
}

// SlogLevel is LogLevel as a slog.Level (info for an unknown value, which
// Validate reports).
func (c Config) SlogLevel() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// ProxyList is TrustedProxies split at commas, without blanks.
func (c Config) ProxyList() []string {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
