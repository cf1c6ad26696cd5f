package openapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// Undocumented returns the route patterns the document leaves out on purpose,
// in OpenAPI form; a pattern ending in "/*" also covers everything below it.
// The OIDC provider's endpoints are described by its own discovery document
// (at zitadel/oidc's default paths); the landing page, the login, account
// and enrolment pages (with the calls only their scripts make) and their
// static assets are for browsers, not an API; /.well-known/passkey-endpoints
// follows its W3C specification.
func Undocumented() []string {
	return []string{
		// OpenID Connect (zitadel/oidc op), discovered through its metadata.
		"/.well-known/openid-configuration",
		"/authorize",
		"/authorize/callback",
		"/oauth/*",
		"/userinfo",
		"/revoke",
		"/end_session",
		"/keys",
		"/device_authorization",
		"/ready",
		// Pages and what only they use.
		"/",
		"/.well-known/passkey-endpoints",
		"/login",
		"/login/*",
		"/logout",
		"/logged-out",
		"/account",
		"/account/*",
		"/enrol",
		"/enrol/*",
		"/static/*",
		"/favicon.ico",
	}
}

// ignoredMethods are answered by middleware (CORS preflight) or derived from
// GET, so the document does not list them as operations.
var ignoredMethods = []string{http.MethodOptions, http.MethodHead}

// OpenAPIPath converts a gin route path to OpenAPI path templating: ":name"
// and "*name" segments become "{name}".
func OpenAPIPath(ginPath string) string {
	segs := strings.Split(ginPath, "/")
	for i, s := range segs {
		if s != "" && (s[0] == ':' || s[0] == '*') {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

// route is one registered operation in OpenAPI form. A gin catch-all
// ("/sdk/*file") is kept as its prefix ("/sdk/"), which covers every
// documented path below it.
type route struct {
	method   string
	path     string
	catchAll bool
}

func toRoute(r gin.RouteInfo) route {
	if i := strings.Index(r.Path, "/*"); i >= 0 {
		return route{method: r.Method, path: r.Path[:i+1], catchAll: true}
	}
	return route{method: r.Method, path: OpenAPIPath(r.Path)}
}

func (r route) covers(method, path string) bool {
	if r.method != method {
		return false
	}
	if r.catchAll {
		return strings.HasPrefix(path, r.path)
	}
	return r.path == path
}

// CheckRoutes compares the routes an engine registers (gin's Engine.Routes)
// with documented operations (as Paths returns them) and describes every
// difference, both ways, sorted:
//
//	"GET /v1/apps/{app_id}/users: registered but not documented"
//	"DELETE /v1/apps/{app_id}/users/{user_id}: documented but not registered"
//
// OPTIONS and HEAD are ignored, and so are registered routes matching
// Undocumented or one of the extra patterns (same form). An empty result
// means the document and the engine agree.
func CheckRoutes(routes []gin.RouteInfo, documented map[string][]string, undocumented ...string) []string {
	skip := append(Undocumented(), undocumented...)
	var registered []route
	for _, ri := range routes {
		if slices.Contains(ignoredMethods, ri.Method) {
			continue
		}
		r := toRoute(ri)
		if !r.catchAll && matchesAny(r.path, skip) {
			continue
		}
		if r.catchAll && matchesAny(r.path+"*", skip) {
			continue
		}
		registered = append(registered, r)
	}

	var diffs []string
	for _, r := range registered {
		if !r.documentedIn(documented) {
			p := r.path
			if r.catchAll {
				p += "*"
			}
			diffs = append(diffs, r.method+" "+p+": registered but not documented")
		}
	}
	for path, methods := range documented {
		for _, m := range methods {
			if slices.Contains(ignoredMethods, m) {
				continue
			}
			if !slices.ContainsFunc(registered, func(r route) bool { return r.covers(m, path) }) {
				diffs = append(diffs, m+" "+path+": documented but not registered")
			}
		}
	}
	slices.Sort(diffs)
	return slices.Compact(diffs)
}

// documentedIn reports whether the document has an operation for r; a
// catch-all is documented when at least one documented path lies below it.
func (r route) documentedIn(documented map[string][]string) bool {
	for path, methods := range documented {
		if slices.Contains(methods, r.method) && r.covers(r.method, path) {
			return true
		}
	}
	return false
}

// matchesAny reports whether an OpenAPI path matches one of the patterns:
// exactly, or below a pattern ending in "/*".
func matchesAny(path string, patterns []string) bool {
	for _, p := range patterns {
		if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasSuffix(prefix, "/") {
			if strings.HasPrefix(path, prefix) {
				return true
			}
			continue
		}
		if path == p {
			return true
		}
	}
	return false
}
