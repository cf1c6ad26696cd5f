package provider

import (
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
)

// Defaults of the failed-attempt limit (Deps.FailedAuthRate,
// Deps.FailedAuthBurst): a person mistyping a key or an app ID is never held
// up, and a client guessing gets one try a second.
const (
	DefaultFailedAuthRate  = 1.0
	DefaultFailedAuthBurst = 20
)

// rateLimitKey names the client a request counts against: its address, for
// the browser client API of the Flex routes (the ceremony starts and
// finishes, which anyone may call) and the login page's calls, and ""
// (not limited) for everything else.
//
// The API-key routes are not limited per address: every call of a customer's
// backend comes from the same few addresses, so a per-address bucket would
// cap the sign-ins of all its users together; those calls are authenticated
// by a 256-bit key. CORS preflights take no token either: a page's every
// call is preceded by one, and they start no ceremony. What they and the
// API-key routes do cost is the app's lookup, which the app cache answers
// from memory (storage/cachestore); what proves nothing — an unknown app, a
// missing or wrong key — is limited apart, per address, by failureKey.
//
// The key is the address alone, not the address and the app of the path:
// the app ID is the client's to choose, so a client cycling through made-up
// IDs would otherwise get a fresh bucket each time (and churn out real
// clients' buckets). The address is the peer's unless trusted proxies are
// configured. An IPv6 address counts as its /64, the block one subscriber
// usually gets, so that rotating through it does not multiply the limit.
func rateLimitKey(c *gin.Context) string {
	if c.Request.Method == http.MethodOptions || !isClientRoute(c.FullPath()) {
		return ""
	}
	return clientAddress(c.ClientIP())
}

// failureKey names the client a failed attempt counts against (see
// httpapi.LimitFailures): its address, as for rateLimitKey, on every route.
// Only LoadApp and RequireAPIKey consult it.
func failureKey(c *gin.Context) string {
	return clientAddress(c.ClientIP())
}

// newFailureLimiter builds the limiter of failed attempts from deps, with
// the defaults for what deps leave unset.
func newFailureLimiter(deps Deps, now func() time.Time, refused func()) (*httpapi.RateLimiter, error) {
	rate, burst := deps.FailedAuthRate, deps.FailedAuthBurst
	if rate == 0 {
		rate = DefaultFailedAuthRate
	}
	if burst == 0 {
		burst = DefaultFailedAuthBurst
	}
	return httpapi.NewRateLimiter(httpapi.RateLimiterConfig{Rate: rate, Burst: burst, Now: now, Refused: refused})
}

// isClientRoute reports whether route is one of the Flex client API's
// ceremony routes (/v1/apps/:app_id/{register,authenticate}/transactions/webauthn/…),
// of the login page's calls (/login/ceremony, /login/complete), of the
// account page's ceremony calls (/account/session, /account/passkeys,
// /account/api/passkeys/transaction) or of the enrolment page's
// (/enrol/transaction, /enrol/complete).
func isClientRoute(route string) bool {
	// The login and account pages' calls run ceremonies as the client API
	// does, for anyone who asks; /authorize stores a request (half an
	// hour) for anyone who knows a client's redirect URI.
	switch route {
	case "/authorize", "/login/ceremony", "/login/complete",
		"/account/session", "/account/passkeys", "/account/api/passkeys/transaction",
		"/enrol/transaction", "/enrol/complete":
		return true
	}
	rest, ok := strings.CutPrefix(route, "/v1/apps/:app_id/")
	if !ok {
		return false
	}
	return strings.HasPrefix(rest, "register/transactions/webauthn/") ||
		strings.HasPrefix(rest, "authenticate/transactions/webauthn/")
}

// clientAddress is ip as a rate-limit key: an IPv4 address as it is, an
// IPv6 address as its /64 prefix.
func clientAddress(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}
