package softauthn

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Client data types (WebAuthn L3 §5.8.1).
const (
	typeCreate = "webauthn.create"
	typeGet    = "webauthn.get"
)

// clientDataJSON serialises CollectedClientData the way browsers do, with
// the fixed member order and string encoding of WebAuthn L3 §5.8.1.2
// (CCDToString), for a same-origin call.
func clientDataJSON(typ, challenge, origin string) []byte {
	var b strings.Builder
	b.WriteString(`{"type":`)
	writeCCDString(&b, typ)
	b.WriteString(`,"challenge":`)
	writeCCDString(&b, challenge)
	b.WriteString(`,"origin":`)
	writeCCDString(&b, origin)
	b.WriteString(`,"crossOrigin":false}`)
	return []byte(b.String())
}

// writeCCDString is CCDToString of WebAuthn L3 §5.8.1.2: code points from
// U+0020 up are copied except '"' and '\', which get a backslash; everything
// else becomes \u and four lowercase hex digits.
func writeCCDString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20:
			b.WriteRune(r)
		default:
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
}

// parseOrigin checks that origin is a secure context that can run WebAuthn
// and returns its serialisation (scheme://host[:port], default port
// dropped) and its host, the effective domain of WebAuthn L3 §5.1.3 step 7.
func parseOrigin(origin string) (serialised, host string, err error) {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("%w: origin %q is not a tuple origin", ErrSecurity, origin)
	}
	scheme := strings.ToLower(u.Scheme)
	host = strings.ToLower(u.Hostname())
	port := u.Port()
	if net.ParseIP(host) != nil {
		return "", "", fmt.Errorf("%w: origin host %q is an ip address", ErrSecurity, host)
	}
	secure := scheme == "https" ||
		scheme == "http" && (host == "localhost" || strings.HasSuffix(host, ".localhost"))
	if !secure {
		return "", "", fmt.Errorf("%w: origin %q is not a secure context", ErrSecurity, origin)
	}
	serialised = scheme + "://" + host
	if port != "" && !(scheme == "https" && port == "443" || scheme == "http" && port == "80") {
		serialised += ":" + port
	}
	return serialised, host, nil
}

// checkRPID applies WebAuthn L3 §5.1.3 step 8 / §5.1.4.1 step 8: the RP ID
// must equal the origin's host or be a registrable domain suffix of it (a
// parent domain that is not a public suffix).
func checkRPID(rpID, host string) error {
	if rpID == host {
		return nil
	}
	if !strings.HasSuffix(host, "."+rpID) {
		return fmt.Errorf("%w: rp id %q is not a suffix of %q", ErrSecurity, rpID, host)
	}
	if suffix, _ := publicsuffix.PublicSuffix(rpID); suffix == rpID {
		return fmt.Errorf("%w: rp id %q is a public suffix", ErrSecurity, rpID)
	}
	return nil
}
