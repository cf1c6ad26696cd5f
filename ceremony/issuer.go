package ceremony

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/passbridge/passbridge/storage"
)

// IssuerMisfit is why pages on the issuer's origin cannot run an app's
// ceremonies; CheckIssuerFit returns it.
type IssuerMisfit struct {
	Origin string // the issuer's origin
	Host   string // the issuer's host
	RPID   string // the app's RP ID
	// MissingOrigin: Origin is not among the app's origins.
	MissingOrigin bool
	// ForeignRPID: RPID is neither Host nor a registrable suffix of it.
	ForeignRPID bool
}

func (m *IssuerMisfit) Error() string {
	var parts []string
	if m.MissingOrigin {
		parts = append(parts, fmt.Sprintf("origin %s is not among the app's origins", m.Origin))
	}
	if m.ForeignRPID {
		parts = append(parts, fmt.Sprintf("rp_id %s is neither the issuer's host %s nor a registrable suffix of it", m.RPID, m.Host))
	}
	return strings.Join(parts, "; ")
}

// CheckIssuerFit reports why pages served on the issuer's origin (the OIDC
// login page, the account page) cannot run the app's ceremonies, or nil
// when they can. The browser sends the page's origin in clientDataJSON, so
// the app's origins must include the issuer's origin (WebAuthn L3 §13.4.9);
// and a page may only use an RP ID that is its host or a registrable suffix
// of it (§5.1.4.1). An app that does not fit gets an *IssuerMisfit;
// an issuer no app can fit (not a URL, an IP address, http on a host other
// than localhost) gets a plain error saying so.
func CheckIssuerFit(app storage.App, issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return fmt.Errorf("the issuer %q is not an absolute URL", issuer)
	}
	origin, host, err := normaliseOrigin(u.Scheme + "://" + u.Host)
	if err != nil {
		return fmt.Errorf("the issuer's origin %s cannot run passkey ceremonies: it %v", u.Scheme+"://"+u.Host, err)
	}
	m := &IssuerMisfit{Origin: origin, Host: host, RPID: app.RPID, MissingOrigin: true, ForeignRPID: !rpIDCovers(app.RPID, host)}
	for _, o := range app.Origins {
		if strings.EqualFold(o, origin) {
			m.MissingOrigin = false
		}
	}
	if m.MissingOrigin || m.ForeignRPID {
		return m
	}
	return nil
}
