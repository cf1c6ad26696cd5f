package openapi_test

import (
	"slices"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/openapi"
)

func TestOpenAPIPath(t *testing.T) {
	tests := []struct{ gin, want string }{
		{"/", "/"},
		{"/healthz", "/healthz"},
		{"/v1/apps/:app_id/users", "/v1/apps/{app_id}/users"},
		{"/v1/apps/:app_id/users/:user_id/devices/:device_id", "/v1/apps/{app_id}/users/{user_id}/devices/{device_id}"},
		{"/static/*filepath", "/static/{filepath}"},
		{"/a:b/c", "/a:b/c"}, // a colon inside a segment is literal in OpenAPI
		{"/v1/apps/:app_id/", "/v1/apps/{app_id}/"},
	}
	for _, tc := range tests {
		if got := openapi.OpenAPIPath(tc.gin); got != tc.want {
			t.Errorf("OpenAPIPath(%q) = %q, want %q", tc.gin, got, tc.want)
		}
	}
}

func routes(pairs ...string) []gin.RouteInfo {
	var out []gin.RouteInfo
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, gin.RouteInfo{Method: pairs[i], Path: pairs[i+1]})
	}
	return out
}

func TestCheckRoutes(t *testing.T) {
	documented := map[string][]string{
		"/v1/apps/{app_id}/users":           {"GET"},
		"/v1/apps/{app_id}/users/{user_id}": {"DELETE", "GET"},
		"/sdk/flex.js":                      {"GET"},
		"/healthz":                          {"GET"},
	}
	tests := []struct {
		name   string
		routes []gin.RouteInfo
		extra  []string
		want   []string
	}{
		{
			name: "agree",
			routes: routes(
				"GET", "/v1/apps/:app_id/users",
				"GET", "/v1/apps/:app_id/users/:user_id",
				"DELETE", "/v1/apps/:app_id/users/:user_id",
				"GET", "/sdk/flex.js",
				"GET", "/healthz",
			),
		},
		{
			name: "both ways",
			routes: routes(
				"GET", "/v1/apps/:app_id/users",
				"POST", "/v1/apps/:app_id/users", // method not documented
				"GET", "/v1/apps/:app_id/users/:user_id",
				"GET", "/v1/apps/:app_id/secret", // path not documented
				"GET", "/sdk/flex.js",
				"GET", "/healthz",
			),
			want: []string{
				"DELETE /v1/apps/{app_id}/users/{user_id}: documented but not registered",
				"GET /v1/apps/{app_id}/secret: registered but not documented",
				"POST /v1/apps/{app_id}/users: registered but not documented",
			},
		},
		{
			name: "parameter renamed",
			routes: routes(
				"GET", "/v1/apps/:app_id/users",
				"GET", "/v1/apps/:app_id/users/:id",
				"DELETE", "/v1/apps/:app_id/users/:id",
				"GET", "/sdk/flex.js",
				"GET", "/healthz",
			),
			want: []string{
				"DELETE /v1/apps/{app_id}/users/{id}: registered but not documented",
				"DELETE /v1/apps/{app_id}/users/{user_id}: documented but not registered",
				"GET /v1/apps/{app_id}/users/{id}: registered but not documented",
				"GET /v1/apps/{app_id}/users/{user_id}: documented but not registered",
			},
		},
		{
			name: "options, head and internals ignored",
			routes: routes(
				"GET", "/v1/apps/:app_id/users",
				"OPTIONS", "/v1/apps/:app_id/users",
				"HEAD", "/v1/apps/:app_id/users",
				"GET", "/v1/apps/:app_id/users/:user_id",
				"DELETE", "/v1/apps/:app_id/users/:user_id",
				"HEAD", "/sdk/flex.js",
				"GET", "/sdk/flex.js",
				"GET", "/healthz",
				"GET", "/authorize",
				"POST", "/oauth/token",
				"GET", "/login",
				"POST", "/login/complete",
				"GET", "/static/*filepath",
				"GET", "/admin/apps",
			),
			extra: []string{"/admin/*"},
		},
		{
			name: "catch-all covers documented paths below it",
			routes: routes(
				"GET", "/v1/apps/:app_id/users",
				"GET", "/v1/apps/:app_id/users/:user_id",
				"DELETE", "/v1/apps/:app_id/users/:user_id",
				"GET", "/sdk/*file",
				"GET", "/healthz",
			),
		},
		{
			name: "catch-all with nothing documented below it",
			routes: routes(
				"GET", "/v1/apps/:app_id/users",
				"GET", "/v1/apps/:app_id/users/:user_id",
				"DELETE", "/v1/apps/:app_id/users/:user_id",
				"GET", "/sdk/flex.js",
				"GET", "/healthz",
				"GET", "/debug/*path",
			),
			want: []string{"GET /debug/*: registered but not documented"},
		},
		{
			name:   "nothing registered",
			routes: nil,
			want: []string{
				"DELETE /v1/apps/{app_id}/users/{user_id}: documented but not registered",
				"GET /healthz: documented but not registered",
				"GET /sdk/flex.js: documented but not registered",
				"GET /v1/apps/{app_id}/users/{user_id}: documented but not registered",
				"GET /v1/apps/{app_id}/users: documented but not registered",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := openapi.CheckRoutes(tc.routes, documented, tc.extra...)
			if !slices.Equal(got, tc.want) {
				t.Errorf("CheckRoutes =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestUndocumentedIsDisjointFromTheDocument(t *testing.T) {
	paths, err := openapi.Paths()
	if err != nil {
		t.Fatal(err)
	}
	// Registering exactly what is documented, plus every internal, must
	// agree: no documented path is hidden by the internals list.
	var rs []gin.RouteInfo
	for path, methods := range paths {
		for _, m := range methods {
			rs = append(rs, gin.RouteInfo{Method: m, Path: path})
		}
	}
	for _, u := range openapi.Undocumented() {
		rs = append(rs, gin.RouteInfo{Method: "GET", Path: u})
	}
	if diffs := openapi.CheckRoutes(rs, paths); len(diffs) != 0 {
		t.Errorf("CheckRoutes = %q, want none", diffs)
	}
	for path := range paths {
		for _, u := range openapi.Undocumented() {
			if u == path || (len(u) > 1 && u[len(u)-1] == '*' && len(path) >= len(u)-1 && path[:len(u)-1] == u[:len(u)-1]) {
				t.Errorf("documented path %s is also listed as undocumented (%s)", path, u)
			}
		}
	}
}
