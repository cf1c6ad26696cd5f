package config

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// testKey is a valid master key in every accepted encoding.
var testKey = bytes.Repeat([]byte{0xab}, 32)

// load runs Load with the given flag arguments and environment.
func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return Load(Sources{Flags: fs, LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	cfg, err := load(t, nil, nil)
	if err != nil {
		t.Fatalf("no configuration: %v", err)
	}
	want := Config{
		Listen:            "127.0.0.1:8080",
		Issuer:            "http://localhost:8080",
		SigningAlg:        "RS256",
		DatabaseURL:       "sqlite://./data/passbridge.db",
		DataDir:           "./data",
		LogLevel:          "info",
		MaxBodyBytes:      1 << 20,
		RateLimit:         50,
		RateLimitBurst:    100,
		KeyRateLimit:      100,
		KeyRateLimitBurst: 200,
		GCInterval:        time.Minute,
		ShutdownTimeout:   15 * time.Second,
		RequestTimeout:    15 * time.Second,
	}
	if cfg != want {
		t.Fatalf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, "config.yaml", `
listen: 127.0.0.1:7001
issuer: https://file.example.com
log_level: warn
gc_interval: 5m
max_body_bytes: 2048
rate_limit: 2.5
rate_limit_burst: 5
key_rate_limit: 7.5
key_rate_limit_burst: 15
shutdown_timeout: 3s
request_timeout: 20s
data_dir: /var/lib/from-file
`)
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c Config)
	}{
		{"file only", []string{"--config", file}, nil, func(t *testing.T, c Config) {
			want(t, c.Listen, "127.0.0.1:7001")
			want(t, c.Issuer, "https://file.example.com")
			want(t, c.LogLevel, "warn")
			want(t, c.GCInterval, 5*time.Minute)
			want(t, c.MaxBodyBytes, int64(2048))
			want(t, c.RateLimit, 2.5)
			want(t, c.RateLimitBurst, 5)
			want(t, c.KeyRateLimit, 7.5)
			want(t, c.KeyRateLimitBurst, 15)
			want(t, c.ShutdownTimeout, 3*time.Second)
			want(t, c.RequestTimeout, 20*time.Second)
			want(t, c.DatabaseURL, "sqlite:///var/lib/from-file/passbridge.db")
		}},
		{"file from the environment", nil, map[string]string{"PASSBRIDGE_CONFIG": file}, func(t *testing.T, c Config) {
			want(t, c.Listen, "127.0.0.1:7001")
		}},
		{"environment over file", []string{"--config", file}, map[string]string{
			"PASSBRIDGE_LISTEN": "127.0.0.1:7002", "PASSBRIDGE_GC_INTERVAL": "10s", "PASSBRIDGE_RATE_LIMIT": "0",
		}, func(t *testing.T, c Config) {
			want(t, c.Listen, "127.0.0.1:7002")
			want(t, c.GCInterval, 10*time.Second)
			want(t, c.RateLimit, 0.0)
			want(t, c.RateLimitBurst, 5)
			want(t, c.Issuer, "https://file.example.com")
		}},
		{"rate limit flags over environment", []string{"--rate-limit", "100", "--rate-limit-burst", "1"}, map[string]string{
			"PASSBRIDGE_RATE_LIMIT": "7", "PASSBRIDGE_RATE_LIMIT_BURST": "9",
		}, func(t *testing.T, c Config) {
			want(t, c.RateLimit, 100.0)
			want(t, c.RateLimitBurst, 1)
		}},
		{"rate limit off without a burst", []string{"--rate-limit", "0", "--rate-limit-burst", "0"}, nil, func(t *testing.T, c Config) {
			want(t, c.RateLimit, 0.0)
			want(t, c.RateLimitBurst, 0)
		}},
		{"key rate limit flags over environment over file", []string{"--config", file, "--key-rate-limit", "3"}, map[string]string{
			"PASSBRIDGE_KEY_RATE_LIMIT": "4", "PASSBRIDGE_KEY_RATE_LIMIT_BURST": "8",
		}, func(t *testing.T, c Config) {
			want(t, c.KeyRateLimit, 3.0)
			want(t, c.KeyRateLimitBurst, 8)
		}},
		{"key rate limit off without a burst", []string{"--key-rate-limit", "0", "--key-rate-limit-burst", "0"}, nil, func(t *testing.T, c Config) {
			want(t, c.KeyRateLimit, 0.0)
			want(t, c.KeyRateLimitBurst, 0)
		}},
		{"flags over environment over file", []string{"--config", file, "--listen", "127.0.0.1:7003"}, map[string]string{
			"PASSBRIDGE_LISTEN": "127.0.0.1:7002", "PASSBRIDGE_ISSUER": "https://env.example.com",
		}, func(t *testing.T, c Config) {
			want(t, c.Listen, "127.0.0.1:7003")
			want(t, c.Issuer, "https://env.example.com")
			want(t, c.LogLevel, "warn")
		}},
		{"--config over PASSBRIDGE_CONFIG", []string{"--config", file}, map[string]string{"PASSBRIDGE_CONFIG": "/nonexistent.yaml"}, func(t *testing.T, c Config) {
			want(t, c.Listen, "127.0.0.1:7001")
		}},
		{"empty variable is unset", nil, map[string]string{"PASSBRIDGE_LISTEN": ""}, func(t *testing.T, c Config) {
			want(t, c.Listen, DefaultListen)
		}},
		{"explicit database url", []string{"--database-url", "postgres://u@db/pb?sslmode=disable", "--data-dir", "/x"}, nil, func(t *testing.T, c Config) {
			want(t, c.DatabaseURL, "postgres://u@db/pb?sslmode=disable")
		}},
		{"database url follows data dir", nil, map[string]string{"PASSBRIDGE_DATA_DIR": "/srv/pb/"}, func(t *testing.T, c Config) {
			want(t, c.DatabaseURL, "sqlite:///srv/pb/passbridge.db")
		}},
		{"issuer trailing slash and level case", []string{"--issuer", "https://id.example.com/", "--log-level", "DEBUG"}, nil, func(t *testing.T, c Config) {
			want(t, c.Issuer, "https://id.example.com")
			want(t, c.LogLevel, "debug")
			want(t, c.SlogLevel(), slog.LevelDebug)
		}},
		{"every environment variable", nil, map[string]string{
			"PASSBRIDGE_LISTEN": ":9000", "PASSBRIDGE_ISSUER": "https://e.example.com", "PASSBRIDGE_DATABASE_URL": "sqlite:///tmp/e.db",
			"PASSBRIDGE_MASTER_KEY": hex.EncodeToString(testKey), "PASSBRIDGE_DATA_DIR": "/tmp/e", "PASSBRIDGE_LOG_LEVEL": "error",
			"PASSBRIDGE_MAX_BODY_BYTES": "4096", "PASSBRIDGE_GC_INTERVAL": "2m", "PASSBRIDGE_SHUTDOWN_TIMEOUT": "0s",
			"PASSBRIDGE_RATE_LIMIT": "0.5", "PASSBRIDGE_RATE_LIMIT_BURST": "3", "PASSBRIDGE_SIGNING_ALG": "ES256",
			"PASSBRIDGE_KEY_RATE_LIMIT": "20", "PASSBRIDGE_KEY_RATE_LIMIT_BURST": "40", "PASSBRIDGE_REQUEST_TIMEOUT": "5s",
		}, func(t *testing.T, c Config) {
			want(t, c, Config{Listen: ":9000", Issuer: "https://e.example.com", DatabaseURL: "sqlite:///tmp/e.db", SigningAlg: "ES256",
				MasterKey: hex.EncodeToString(testKey), DataDir: "/tmp/e", LogLevel: "error", MaxBodyBytes: 4096,
				RateLimit: 0.5, RateLimitBurst: 3, KeyRateLimit: 20, KeyRateLimitBurst: 40, GCInterval: 2 * time.Minute,
				RequestTimeout: 5 * time.Second})
		}},
		{"every flag", []string{"--listen", ":9001", "--issuer", "https://f.example.com", "--database-url", "sqlite://f.db",
			"--master-key", base64.StdEncoding.EncodeToString(testKey), "--data-dir", "f", "--log-level", "debug",
			"--max-body-bytes", "8192", "--rate-limit", "50", "--rate-limit-burst", "60", "--key-rate-limit", "0.25", "--key-rate-limit-burst", "2",
			"--gc-interval", "1h", "--shutdown-timeout", "1m", "--signing-alg", "EdDSA", "--request-timeout", "30s"}, nil, func(t *testing.T, c Config) {
			want(t, c, Config{Listen: ":9001", Issuer: "https://f.example.com", DatabaseURL: "sqlite://f.db", SigningAlg: "EdDSA",
				MasterKey: base64.StdEncoding.EncodeToString(testKey), DataDir: "f", LogLevel: "debug", MaxBodyBytes: 8192,
				RateLimit: 50, RateLimitBurst: 60, KeyRateLimit: 0.25, KeyRateLimitBurst: 2, GCInterval: time.Hour, ShutdownTimeout: time.Minute,
				RequestTimeout: 30 * time.Second})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load(t, tt.args, tt.env)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			tt.check(t, cfg)
		})
	}
}

func want[T comparable](t *testing.T, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestDatabaseURLFile(t *testing.T) {
	const pg = "postgres://app:hunter2@db.internal/pb?sslmode=verify-full"
	urlFile := writeFile(t, "db", pg+"\n")
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		yaml    string
		wantURL string
		wantErr string
	}{
		{"env _FILE", nil, map[string]string{"PASSBRIDGE_DATABASE_URL_FILE": urlFile}, "", pg, ""},
		{"flag --database-url-file", []string{"--database-url-file", urlFile}, nil, "", pg, ""},
		{"yaml database_url_file", nil, nil, "database_url_file: " + urlFile + "\n", pg, ""},
		{"flag value over env _FILE", []string{"--database-url", "sqlite://./x.db"}, map[string]string{"PASSBRIDGE_DATABASE_URL_FILE": urlFile}, "", "sqlite://./x.db", ""},
		{"env _FILE over yaml value", nil, map[string]string{"PASSBRIDGE_DATABASE_URL_FILE": urlFile}, "database_url: sqlite://./y.db\n", pg, ""},
		{"env value and _FILE", nil, map[string]string{"PASSBRIDGE_DATABASE_URL": pg, "PASSBRIDGE_DATABASE_URL_FILE": urlFile}, "", "",
			"PASSBRIDGE_DATABASE_URL and PASSBRIDGE_DATABASE_URL_FILE are both set; set one of them"},
		{"unreadable file", nil, map[string]string{"PASSBRIDGE_DATABASE_URL_FILE": "/nonexistent/db"}, "", "", `database_url_file "/nonexistent/db": no such file or directory`},
		{"empty file", nil, map[string]string{"PASSBRIDGE_DATABASE_URL_FILE": writeFile(t, "empty", "\n")}, "", "", "the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.yaml != "" {
				args = append(args, "--config", writeFile(t, "c.yaml", tt.yaml))
			}
			cfg, err := load(t, args, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if cfg.DatabaseURL != tt.wantURL {
				t.Fatalf("database URL %q, want %q", cfg.DatabaseURL, tt.wantURL)
			}
		})
	}
}

func TestMasterKeyFile(t *testing.T) {
	keyFile := writeFile(t, "key", base64.RawURLEncoding.EncodeToString(testKey)+"\n")
	otherKey := bytes.Repeat([]byte{0x01}, 32)
	yamlWithKey := writeFile(t, "c.yaml", "master_key: "+hex.EncodeToString(otherKey)+"\n")
	yamlWithFile := writeFile(t, "d.yaml", "master_key_file: "+keyFile+"\n")
	yamlWithBoth := writeFile(t, "e.yaml", "master_key: "+hex.EncodeToString(otherKey)+"\nmaster_key_file: "+keyFile+"\n")

	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantKey []byte
		wantErr string
	}{
		{"env _FILE", nil, map[string]string{"PASSBRIDGE_MASTER_KEY_FILE": keyFile}, testKey, ""},
		{"yaml master_key_file", []string{"--config", yamlWithFile}, nil, testKey, ""},
		{"flag --master-key-file", []string{"--master-key-file", keyFile}, nil, testKey, ""},
		{"env value", nil, map[string]string{"PASSBRIDGE_MASTER_KEY": hex.EncodeToString(otherKey)}, otherKey, ""},
		{"env _FILE over yaml value", []string{"--config", yamlWithKey}, map[string]string{"PASSBRIDGE_MASTER_KEY_FILE": keyFile}, testKey, ""},
		{"flag value over env _FILE", []string{"--master-key", hex.EncodeToString(otherKey)}, map[string]string{"PASSBRIDGE_MASTER_KEY_FILE": keyFile}, otherKey, ""},
		{"env value and _FILE", nil, map[string]string{"PASSBRIDGE_MASTER_KEY": hex.EncodeToString(otherKey), "PASSBRIDGE_MASTER_KEY_FILE": keyFile}, nil,
			"PASSBRIDGE_MASTER_KEY and PASSBRIDGE_MASTER_KEY_FILE are both set; set one of them"},
		{"yaml value and file", []string{"--config", yamlWithBoth}, nil, nil, "master_key in " + yamlWithBoth + " and master_key_file in " + yamlWithBoth + " are both set"},
		{"flag value and file", []string{"--master-key", hex.EncodeToString(otherKey), "--master-key-file", keyFile}, nil, nil, "--master-key and --master-key-file are both set"},
		{"unreadable file", nil, map[string]string{"PASSBRIDGE_MASTER_KEY_FILE": "/nonexistent/key"}, nil, `master_key_file "/nonexistent/key": no such file or directory`},
		{"file of the wrong length", nil, map[string]string{"PASSBRIDGE_MASTER_KEY_FILE": writeFile(t, "short", "c2hvcnQ=")}, nil, "want 32 bytes encoded as base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load(t, tt.args, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			key, err := cfg.ResolveMasterKey(slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if !bytes.Equal(key, tt.wantKey) {
				t.Fatalf("key %x, want %x", key, tt.wantKey)
			}
		})
	}
}

// Every problem is reported, each naming its setting and value.
func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		yaml    string
		wantErr []string
	}{
		{"issuer not a URL", []string{"--issuer", "localhost:8080"}, nil, "", []string{`issuer "localhost:8080": want an absolute http or https URL`}},
		{"issuer ftp", []string{"--issuer", "ftp://x.example.com"}, nil, "", []string{`issuer "ftp://x.example.com": want an absolute http`}},
		{"issuer with query", []string{"--issuer", "https://x.example.com/?a=b"}, nil, "", []string{`issuer "https://x.example.com/?a=b": must not have a query or fragment`}},
		{"issuer with user", []string{"--issuer", "https://u@x.example.com"}, nil, "", []string{"must not carry user information"}},
		{"issuer bad port", []string{"--issuer", "https://x.example.com:99999"}, nil, "", []string{`port "99999"`}},
		{"listen without port", []string{"--listen", "localhost"}, nil, "", []string{`listen "localhost": want host:port`}},
		{"listen bad port", []string{"--listen", "127.0.0.1:http2"}, nil, "", []string{`listen "127.0.0.1:http2": port "http2"`}},
		{"database scheme", []string{"--database-url", "mysql://x/y"}, nil, "", []string{`database_url "mysql://x/y": scheme "mysql": want sqlite or postgres`}},
		{"database no scheme", []string{"--database-url", "./data/x.db"}, nil, "", []string{`database_url "./data/x.db": want sqlite://PATH`}},
		{"database password redacted", []string{"--database-url", "mongo://u:hunter2@h/db"}, nil, "", []string{`database_url "mongo://u:xxxxx@h/db"`}},
		{"password of an unparsable URL redacted", []string{"--database-url", "postgres://app:S3cr%et#pw@db.internal/pb"}, nil, "", []string{`database_url "postgres://xxxxx@db.internal/pb"`}},
		{"empty sqlite path", []string{"--database-url", "sqlite://"}, nil, "", []string{"the SQLite database path is empty"}},
		{"log level", []string{"--log-level", "verbose"}, nil, "", []string{`log_level "verbose": want debug, info, warn or error`}},
		{"data dir", []string{"--data-dir", ""}, nil, "", []string{"data_dir is required"}},
		{"body too small", []string{"--max-body-bytes", "10"}, nil, "", []string{"max_body_bytes 10: want between 1024 and 67108864"}},
		{"body not a number", nil, map[string]string{"PASSBRIDGE_MAX_BODY_BYTES": "1MiB"}, "", []string{`PASSBRIDGE_MAX_BODY_BYTES "1MiB": not an integer`}},
		{"negative rate limit", []string{"--rate-limit", "-1"}, nil, "", []string{"rate_limit -1: must not be negative"}},
		{"rate limit not a number", nil, map[string]string{"PASSBRIDGE_RATE_LIMIT": "fast"}, "", []string{`PASSBRIDGE_RATE_LIMIT "fast": not a number`}},
		{"rate limit NaN", []string{"--rate-limit", "NaN"}, nil, "", []string{"rate_limit NaN: want a number of requests per second"}},
		{"rate limit infinite", nil, nil, "rate_limit: .inf\n", []string{`c.yaml ".inf": not a number`}},
		{"rate limit Inf", []string{"--rate-limit", "+Inf"}, nil, "", []string{"rate_limit +Inf: want a number of requests per second"}},
		{"negative burst", nil, map[string]string{"PASSBRIDGE_RATE_LIMIT_BURST": "-3"}, "", []string{"rate_limit_burst -3: must not be negative"}},
		{"negative burst with limiting off", []string{"--rate-limit", "0", "--rate-limit-burst", "-1"}, nil, "", []string{"rate_limit_burst -1: must not be negative"}},
		{"no burst", []string{"--rate-limit-burst", "0"}, nil, "", []string{"rate_limit_burst 0: want at least 1 while rate_limit is set"}},
		{"burst not an integer", []string{"--rate-limit-burst", "2.5"}, nil, "", []string{`--rate-limit-burst "2.5": not an integer`}},
		{"rate limit and burst at once", []string{"--rate-limit", "-2", "--rate-limit-burst", "-2"}, nil, "", []string{
			"rate_limit -2", "rate_limit_burst -2"}},
		{"negative key rate limit", []string{"--key-rate-limit", "-1"}, nil, "", []string{"key_rate_limit -1: must not be negative"}},
		{"key rate limit not a number", nil, map[string]string{"PASSBRIDGE_KEY_RATE_LIMIT": "fast"}, "", []string{`PASSBRIDGE_KEY_RATE_LIMIT "fast": not a number`}},
		{"key rate limit NaN", []string{"--key-rate-limit", "NaN"}, nil, "", []string{"key_rate_limit NaN: want a number of requests per second"}},
		{"key rate limit infinite", nil, nil, "key_rate_limit: .inf\n", []string{`c.yaml ".inf": not a number`}},
		{"negative key burst", nil, map[string]string{"PASSBRIDGE_KEY_RATE_LIMIT_BURST": "-3"}, "", []string{"key_rate_limit_burst -3: must not be negative"}},
		{"no key burst", []string{"--key-rate-limit-burst", "0"}, nil, "", []string{"key_rate_limit_burst 0: want at least 1 while key_rate_limit is set"}},
		{"key burst not an integer", []string{"--key-rate-limit-burst", "2.5"}, nil, "", []string{`--key-rate-limit-burst "2.5": not an integer`}},
		{"trusted proxy not an address", []string{"--trusted-proxies", "10.0.0.0/8, proxy.internal"}, nil, "", []string{`trusted_proxies "proxy.internal": want IP addresses or CIDR prefixes`}},
		{"gc interval not a duration", []string{"--gc-interval", "often"}, nil, "", []string{`--gc-interval "often": not a duration`}},
		{"gc interval too short", []string{"--gc-interval", "1ms"}, nil, "", []string{"gc_interval 1ms: want between 1s and 24h0m0s"}},
		{"negative shutdown", []string{"--shutdown-timeout", "-1s"}, nil, "", []string{"shutdown_timeout -1s: must not be negative"}},
		{"request timeout too short", []string{"--request-timeout", "100ms"}, nil, "", []string{"request_timeout 100ms: want between 1s and 1m0s"}},
		{"request timeout too long", nil, map[string]string{"PASSBRIDGE_REQUEST_TIMEOUT": "5m"}, "", []string{"request_timeout 5m0s: want between 1s and 1m0s"}},
		{"request timeout not a duration", nil, nil, "request_timeout: 15\n", []string{`c.yaml "15": not a duration`}},
		{"master key too short", []string{"--master-key", "c2VjcmV0LWJ1dC1zaG9ydA=="}, nil, "", []string{"master_key: want 32 bytes"}},
		{"unknown yaml key", nil, nil, "listen: :1\nlisten_adress: :2\n", []string{"line 2: unknown setting listen_adress"}},
		{"yaml list", nil, nil, "listen: [a, b]\n", []string{"want a single value, not a list or mapping"}},
		{"yaml syntax", nil, nil, "listen: :1\n  issuer: x\n", []string{"config file"}},
		{"yaml bad duration", nil, nil, "gc_interval: soon\n", []string{`gc_interval in `, `"soon": not a duration`}},
		{"missing config file", []string{"--config", "/nonexistent/passbridge.yaml"}, nil, "", []string{`config file "/nonexistent/passbridge.yaml" (from --config): no such file or directory`}},
		{"many at once", []string{"--issuer", "nope", "--listen", "x", "--log-level", "loud", "--database-url", "x://y"}, nil, "", []string{
			`issuer "nope"`, `listen "x"`, `log_level "loud"`, `database_url "x://y"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.yaml != "" {
				args = append(args, "--config", writeFile(t, "c.yaml", tt.yaml))
			}
			_, err := load(t, args, tt.env)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a *config.Error", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if len(ce.Problems) != max(1, len(tt.wantErr)) && tt.name != "yaml bad duration" {
				t.Errorf("%d problems, want %d: %v", len(ce.Problems), len(tt.wantErr), ce.Problems)
			}
		})
	}
}

func TestSecretsNotEchoed(t *testing.T) {
	const secret = "c2VjcmV0LWJ1dC1zaG9ydA=="
	_, err := load(t, []string{"--master-key", secret}, nil)
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("error %v echoes the master key or is nil", err)
	}
	for _, u := range []string{
		"mysql://app:hunter2@db/pb",                  // parsable, refused scheme
		"postgres://app:S3cr%et#pw@db.internal/pb",   // unparsable: a bad escape
		"postgres://app:hunter2@db.internal:port/pb", // unparsable: a bad port
		"host=db user=app password=hunter2",          // not a URL
		"mysql://db/pb?password=hunter2",             // a password in the query
	} {
		_, err := load(t, []string{"--database-url", u}, nil)
		if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "S3cr") {
			t.Errorf("database URL %q: error %v echoes the password or is nil", u, err)
		}
	}
}

func TestDecodeMasterKey(t *testing.T) {
	for name, s := range map[string]string{
		"hex":          hex.EncodeToString(testKey),
		"HEX":          strings.ToUpper(hex.EncodeToString(testKey)),
		"std":          base64.StdEncoding.EncodeToString(testKey),
		"raw std":      base64.RawStdEncoding.EncodeToString(testKey),
		"url":          base64.URLEncoding.EncodeToString(testKey),
		"raw url":      base64.RawURLEncoding.EncodeToString(testKey),
		"with newline": base64.StdEncoding.EncodeToString(testKey) + "\n",
	} {
		got, err := DecodeMasterKey(s)
		if err != nil || !bytes.Equal(got, testKey) {
			t.Errorf("%s: got %x, %v", name, got, err)
		}
	}
	for name, s := range map[string]string{
		"31 bytes": base64.StdEncoding.EncodeToString(testKey[:31]),
		"33 bytes": hex.EncodeToString(append(testKey, 1)),
		"not hex":  strings.Repeat("z", 64),
		"empty":    "",
	} {
		if _, err := DecodeMasterKey(s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestGeneratedMasterKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg := Default()
	cfg.DataDir = dir
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))

	first, err := cfg.ResolveMasterKey(log)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if len(first) != 32 {
		t.Fatalf("generated %d bytes", len(first))
	}
	if !strings.Contains(logs.String(), `"level":"WARN"`) || !strings.Contains(logs.String(), "master.key") {
		t.Fatalf("no warning naming the file: %s", logs.String())
	}
	for path, mode := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, filepath.Join(dir, "master.key"): 0o600} {
		st, err := os.Stat(path)
		if err != nil || st.Mode() != mode {
			t.Fatalf("%s: mode %v (%v), want %v", path, st.Mode(), err, mode)
		}
	}
	logs.Reset()
	second, err := cfg.ResolveMasterKey(log)
	if err != nil || !bytes.Equal(first, second) {
		t.Fatalf("second start: %x, %v; want the stored key %x", second, err, first)
	}
	if logs.Len() != 0 {
		t.Fatalf("second start logged: %s", logs.String())
	}

	// A damaged key file is an error, never silently replaced.
	if err := os.WriteFile(filepath.Join(dir, "master.key"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.ResolveMasterKey(log); err == nil || !strings.Contains(err.Error(), "master.key") {
		t.Fatalf("damaged key: %v", err)
	}
}

// Instances starting at once on one empty data directory agree on one key,
// and none reads a half-written file.
func TestMasterKeyGeneratedOnceUnderConcurrency(t *testing.T) {
	cfg := Default()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	const n = 16
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = cfg.ResolveMasterKey(slog.New(slog.DiscardHandler)) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("instance %d: %x, %v; want %x like instance 0", i, keys[i], errs[i], keys[0])
		}
	}
	entries, err := os.ReadDir(cfg.DataDir)
	if err != nil || len(entries) != 1 || entries[0].Name() != "master.key" {
		t.Fatalf("data dir holds %v (%v), want only master.key", entries, err)
	}
}

// The YAML file's keys and the settings are the same set.
func TestYAMLKeysMatchSettings(t *testing.T) {
	var fromStruct []string
	typ := reflect.TypeOf(yamlFile{})
	for i := 0; i < typ.NumField(); i++ {
		fromStruct = append(fromStruct, typ.Field(i).Tag.Get("yaml"))
	}
	if !reflect.DeepEqual(fromStruct, keyNames()) {
		t.Fatalf("yaml keys %v, settings %v", fromStruct, keyNames())
	}
}

// A PostgreSQL store is shared by instances on several hosts: a key
// generated on one would differ from the others', so none is generated, and
// the error says how to set one. A configured key, or a key file already in
// the data directory, is used as it is.
func TestNoGeneratedMasterKeyForPostgres(t *testing.T) {
	for _, url := range []string{"postgres://u@db/pb", "PostgreSQL://u@db/pb"} {
		dir := filepath.Join(t.TempDir(), "data")
		cfg := Default()
		cfg.DataDir = dir
		cfg.DatabaseURL = url
		_, err := cfg.ResolveMasterKey(slog.New(slog.DiscardHandler))
		if !errors.Is(err, ErrNoMasterKey) || !strings.Contains(err.Error(), "passbridge keys new-master-key") ||
			!strings.Contains(err.Error(), "PASSBRIDGE_MASTER_KEY_FILE") {
			t.Fatalf("%s without a key: %v, want ErrNoMasterKey saying how to set one", url, err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s without a key: the data directory was created (%v)", url, err)
		}

		cfg.MasterKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
		if k, err := cfg.ResolveMasterKey(slog.New(slog.DiscardHandler)); err != nil || len(k) != 32 {
			t.Fatalf("%s with a key: %v", url, err)
		}
	}
}

func TestSigningAlg(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		cfg := Default()
		cfg.DatabaseURL = "sqlite://x.db"
		cfg.SigningAlg = alg
		if err := cfg.Validate(); err != nil {
			t.Errorf("signing_alg %s refused: %v", alg, err)
		}
	}
	for _, alg := range []string{"", "HS256", "none", "rs256", "PS256"} {
		cfg := Default()
		cfg.SigningAlg = alg
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "signing_alg") {
			t.Errorf("signing_alg %q: %v, want refused", alg, err)
		}
	}
}
