package ceremony

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/passbridge/passbridge/storage"
)

// Default app settings, used where an app leaves a field empty.
const (
	DefaultTransactionTTL  = 5 * time.Minute
	DefaultCeremonyTimeout = 2 * time.Minute
	DefaultNonceTTL        = 5 * time.Minute
)

// Bounds on app lifetimes: long enough for a person, short enough that a
// leaked value is soon worthless.
const (
	minTTL             = 30 * time.Second
	maxTransactionTTL  = 24 * time.Hour
	maxCeremonyTimeout = 10 * time.Minute
	maxNonceTTL        = time.Hour
)

// ValidationError lists every problem found in a value, so an operator can
// fix them all at once.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "invalid: " + strings.Join(e.Problems, "; ")
}

// IsValidation reports whether err is (or wraps) a *ValidationError.
func IsValidation(err error) bool {
	var v *ValidationError
	return errors.As(err, &v)
}

// PrepareApp fills the defaults of an app's empty fields, normalises its
// origins and RP ID, and validates it. It reports every problem at once in a
// *ValidationError that names the offending values.
func PrepareApp(a storage.App) (storage.App, error) {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	a.Name = strings.TrimSpace(a.Name)
	switch {
	case a.Name == "":
		add("name is required")
	case len(a.Name) > 100:
		add("name %q is longer than 100 characters", a.Name[:20]+"…")
	}
	if a.RPName = strings.TrimSpace(a.RPName); a.RPName == "" {
		a.RPName = a.Name
	}
	a.RPID = strings.ToLower(strings.TrimSpace(a.RPID))
	if err := checkRPID(a.RPID); err != nil {
		add("rp_id %q: %v", a.RPID, err)
	}
	if len(a.Origins) == 0 {
		add("at least one origin is required")
	}
	seen := map[string]bool{}
	origins := make([]string, 0, len(a.Origins))
	for _, raw := range a.Origins {
		o, host, err := normaliseOrigin(raw)
		if err != nil {
			add("origin %q: %v", raw, err)
			continue
		}
		if a.RPID != "" && !rpIDCovers(a.RPID, host) {
			add("origin %q: rp_id %q is neither its host nor a registrable suffix of it", raw, a.RPID)
		}
		if !seen[o] {
			seen[o] = true
			origins = append(origins, o)
		}
	}
	a.Origins = origins

	a.UserVerification = orDefault(a.UserVerification, storage.RequirementRequired)
	if !oneOf(a.UserVerification, storage.RequirementRequired, storage.RequirementPreferred, storage.RequirementDiscouraged) {
		add("user_verification %q: want required, preferred or discouraged", a.UserVerification)
	}
	a.ResidentKey = orDefault(a.ResidentKey, storage.RequirementRequired)
	if !oneOf(a.ResidentKey, storage.RequirementRequired, storage.RequirementPreferred, storage.RequirementDiscouraged) {
		add("resident_key %q: want required, preferred or discouraged", a.ResidentKey)
	}
	a.Attestation = orDefault(a.Attestation, "none")
	if !oneOf(a.Attestation, "none", "indirect", "direct", "enterprise") {
		add("attestation %q: want none, indirect, direct or enterprise", a.Attestation)
	}
	a.SignCountPolicy = orDefault(a.SignCountPolicy, storage.SignCountReject)
	if !oneOf(a.SignCountPolicy, storage.SignCountReject, storage.SignCountAllow) {
		add("sign_count_policy %q: want reject or allow", a.SignCountPolicy)
	}
	checkTTL := func(name string, d *time.Duration, def, max time.Duration) {
		if *d == 0 {
			*d = def
		}
		if *d < minTTL || *d > max {
			add("%s %s: want between %s and %s", name, *d, minTTL, max)
		}
	}
	checkTTL("transaction_ttl", &a.TransactionTTL, DefaultTransactionTTL, maxTransactionTTL)
	checkTTL("ceremony_timeout", &a.CeremonyTimeout, DefaultCeremonyTimeout, maxCeremonyTimeout)
	checkTTL("nonce_ttl", &a.NonceTTL, DefaultNonceTTL, maxNonceTTL)

	if len(problems) > 0 {
		return a, &ValidationError{Problems: problems}
	}
	return a, nil
}

// checkRPID applies WebAuthn L3 §5.1.2's rules for an RP ID: a valid domain
// string, never an IP address, never a public suffix.
func checkRPID(id string) error {
	switch {
	case id == "":
		return errors.New("is required")
	case id == "localhost":
		return nil
	case strings.ContainsAny(id, ":/?#@ "):
		return errors.New("must be a host name, without scheme, port or path")
	case net.ParseIP(strings.Trim(id, "[]")) != nil:
		return errors.New("must be a domain name, not an IP address")
	case len(id) > 253:
		return errors.New("is longer than 253 characters")
	}
	for _, label := range strings.Split(id, ".") {
		if !validLabel(label) {
			return fmt.Errorf("label %q is not a valid DNS label", label)
		}
	}
	if suffix, _ := publicsuffix.PublicSuffix(id); suffix == id {
		return errors.New("is a public suffix, which no site can claim")
	}
	return nil
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// normaliseOrigin checks that raw is a web origin ceremonies may run on
// (https, or http on localhost, which browsers treat as secure) and returns
// its serialisation (RFC 6454 §6.2) and host.
func normaliseOrigin(raw string) (origin, host string, err error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", "", errors.New("must be an absolute URL such as https://app.example.com")
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", "", errors.New("must be an origin: scheme, host and port only")
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	switch {
	case scheme == "https":
	case scheme == "http" && host == "localhost":
	default:
		return "", "", errors.New("must use https (http is allowed for localhost only)")
	}
	if net.ParseIP(host) != nil {
		return "", "", errors.New("must name a host, not an IP address (WebAuthn needs a domain)")
	}
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	origin = scheme + "://" + host
	if port != "" {
		origin += ":" + port
	}
	return origin, host, nil
}

// rpIDCovers reports whether a ceremony on host may use rpID: the RP ID must be
// the host itself or a registrable domain suffix of it (WebAuthn L3 §5.1.2).
func rpIDCovers(rpID, host string) bool {
	return host == rpID || strings.HasSuffix(host, "."+rpID)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func oneOf(v string, options ...string) bool {
	for _, o := range options {
		if v == o {
			return true
		}
	}
	return false
}
