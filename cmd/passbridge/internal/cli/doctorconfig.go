package cli

import (
	"errors"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
)

// doctorKey is the master key as doctor found it, without generating one.
type doctorKey struct {
	key []byte // nil: none usable
	// generated is the key file in the data directory serve generated, or,
	// with missing set, where it would generate one.
	generated string
	missing   bool // none configured and none generated yet (SQLite)
}

// checkConfig reports every problem serve's configuration loading reports.
func (d *doctor) checkConfig(cfg config.Config, err error) {
	var ce *config.Error
	switch {
	case err == nil:
		d.add(checkOK, "config", "", "valid: issuer %s, database %s", cfg.Issuer, config.RedactURL(cfg.DatabaseURL))
	case errors.As(err, &ce):
		for _, p := range ce.Problems {
			d.add(checkFail, "config", "", "%s (serve refuses to start until it is fixed)", p)
		}
	default:
		d.add(checkFail, "config", "", "%v", err)
	}
}

// usableIssuer is the issuer as a URL, or nil when it is none that any page
// could be served on (the config check reports why).
func usableIssuer(issuer string) *url.URL {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil
	}
	return u
}

// checkDeployment reports settings that are valid but keep part of the
// server from working, or that a server on the internet should not keep.
func (d *doctor) checkDeployment(cfg config.Config) {
	u := usableIssuer(cfg.Issuer)
	if u == nil {
		d.add(checkSkip, "deployment", "issuer", "not checked: the issuer %q is not an http or https URL (see config)", cfg.Issuer)
		return
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case net.ParseIP(host) != nil:
		d.add(checkWarn, "deployment", "issuer", "the issuer's host %s is an IP address, which cannot be a WebAuthn RP ID: "+
			"no app can fit it, so OIDC sign-in and the account page cannot work; use a host name (localhost for development)", host)
	case u.Scheme == "http" && host != "localhost":
		d.add(checkWarn, "deployment", "issuer", "the issuer %s uses http: browsers run passkey ceremonies only on https "+
			"origins (and http://localhost), so OIDC sign-in and the account page cannot work; serve the issuer over https", cfg.Issuer)
	default:
		d.add(checkOK, "deployment", "issuer", "the issuer %s can serve the sign-in and account pages", cfg.Issuer)
	}
	// passbridge serves plain HTTP: an https issuer means a reverse proxy
	// terminates TLS in front of it.
	if u.Scheme == "https" {
		if len(cfg.ProxyList()) == 0 {
			d.add(checkWarn, "deployment", "trusted_proxies", "unset while the issuer is https, so a reverse proxy is in front: "+
				"every request seems to come from the proxy's address, and the per-client rate limit throttles all clients "+
				"together; set trusted_proxies to the proxy's address")
		}
		if cfg.MetricsListen == "" {
			d.add(checkWarn, "deployment", "metrics_listen", "unset: /metrics is served on the public listener %s, and a proxy "+
				"forwarding every path publishes it; set metrics_listen to an address only the scraper reaches "+
				"(such as 127.0.0.1:9090), or block /metrics at the proxy", cfg.Listen)
		}
	}
	if cfg.RateLimit == 0 {
		d.add(checkWarn, "deployment", "rate_limit", "0: ceremonies, /authorize and the pages' calls are not rate-limited, "+
			"failed attempts included; set rate_limit (default %d) unless a proxy in front limits them", config.DefaultRateLimit)
	}
}

// checkMasterKeySource finds the master key as serve would, but never
// generates one.
func (d *doctor) checkMasterKeySource(cfg config.Config) doctorKey {
	key, generated, err := cfg.ReadMasterKey()
	switch {
	case err == nil && generated == "":
		from := "master_key"
		if cfg.MasterKeyFile != "" {
			from = "master_key_file " + cfg.MasterKeyFile
			d.checkKeyFileMode(cfg.MasterKeyFile)
		}
		d.add(checkOK, "master_key", "", "configured (%s)", from)
		return doctorKey{key: key}
	case err == nil:
		d.add(checkWarn, "master_key", generated, "the master key is the file a first start generated: back it up, since "+
			"the signing keys and client secrets cannot be decrypted without it; to keep it elsewhere, move it and set "+
			"master_key_file (every instance sharing a store needs this one key)")
		d.checkKeyFileMode(generated)
		return doctorKey{key: key, generated: generated}
	case generated == "":
		d.add(checkSkip, "master_key", "", "the configured master key is not usable (see config)")
		return doctorKey{}
	case errors.Is(err, fs.ErrNotExist) && cfg.UsesPostgres():
		d.add(checkFail, "master_key", "", "none configured: %v", config.ErrNoMasterKey)
		return doctorKey{}
	case errors.Is(err, fs.ErrNotExist):
		d.add(checkWarn, "master_key", generated, "none configured and none generated yet: serve generates one into this "+
			"file at its first start; back it up then, or configure one now (passbridge keys new-master-key prints one)")
		return doctorKey{generated: generated, missing: true}
	default:
		d.add(checkFail, "master_key", generated, "%v: serve cannot start; restore the key file a first start generated, "+
			"or configure the store's key with master_key_file", err)
		return doctorKey{}
	}
}

// checkKeyFileMode warns about a master key file others may read.
func (d *doctor) checkKeyFileMode(path string) {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	d.add(checkWarn, "master_key", path, "other users may read or write it (mode %04o): chmod 600 %s", fi.Mode().Perm(), path)
}
