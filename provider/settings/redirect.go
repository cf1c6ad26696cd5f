package settings

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// CheckRedirectURIs validates the redirect URIs given as field and returns
// them without duplicates. Every problem is reported, naming the value.
func CheckRedirectURIs(field string, uris []string) ([]string, []string) {
	var problems []string
	seen := map[string]bool{}
	out := []string{}
	for _, raw := range uris {
		if err := CheckRedirectURI(raw); err != nil {
			problems = append(problems, fmt.Sprintf("%s %q: %v", field, raw, err))
			continue
		}
		if !seen[raw] {
			seen[raw] = true
			out = append(out, raw)
		}
	}
	return out, problems
}

// CheckRedirectURI applies RFC 6749 §3.1.2 (absolute, no fragment) and the
// OAuth 2.0 Security BCP: https, or http on a loopback host only, where no
// one else can listen (RFC 8252 §7.3).
func CheckRedirectURI(raw string) error {
	if len(raw) > maxURLLen {
		return fmt.Errorf("is longer than %d characters", maxURLLen)
	}
	if hasControl(raw) {
		return errors.New("must not contain control characters")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return errors.New("must be an absolute URL such as https://app.example.com/callback")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return errors.New("must not have a fragment")
	case u.User != nil:
		return errors.New("must not carry user information")
	}
	switch scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()); {
	case scheme == "https":
	case scheme == "http" && (host == "localhost" || host == "127.0.0.1" || host == "::1"):
	default:
		return errors.New("must use https (http is allowed for localhost, 127.0.0.1 and [::1] only)")
	}
	return nil
}
