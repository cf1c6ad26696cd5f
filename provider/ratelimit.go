package provider

import (
	"net/netip"
	"strings"

	"github.com/gin-gonic/gin"
)

// rateLimitKey names the client a request counts against: its address.
// Only the /v1 APIs are limited; the operational endpoints, the SDK, the
// OpenAPI document, /.well-known and paths no route serves are not (""
// exempts a request).
//
// The key is the address alone, not the address and the app of the path:
// the app ID is the client's to choose, so a client cycling through made-up
// IDs would otherwise get a fresh bucket each time (and churn out real
// clients' buckets). The address is the peer's: the engine trusts no
// forwarding header. An IPv6 address counts as its /64, the block one
// subscriber usually gets, so that rotating through it does not multiply the
// limit.
func rateLimitKey(c *gin.Context) string {
	if !strings.HasPrefix(c.FullPath(), "/v1/") {
		return ""
	}
	return clientAddress(c.ClientIP())
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
