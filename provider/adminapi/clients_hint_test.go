package adminapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/settings"
	"github.com/passbridge/passbridge/storage"
)

// An external authentication method's client (the implicit profile and
// its hint issuer) is registered, shown and changed through the admin API
// with the command line's fields and rules, in snake_case.
func TestClientsExternalHint(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		jwks, _ := publicJWKS(t, "entra")
		var cl settings.ClientJSON
		ok(t, e.do("POST", "/apps/{app}/clients", map[string]any{
			"name": "Entra", "redirect_uris": []string{"https://login.microsoftonline.com/common/federation/externalauthprovider"},
			"implicit": true, "hint_issuer": "https://login.microsoftonline.com/tid/v2.0", "hint_jwks": jwks,
			"hint_audience": "appid", "hint_tenant": "tid", "hint_enrol": true,
		}), http.StatusCreated, &cl)
		if cl.ClientSecret != "" || cl.AuthMethod != storage.AuthMethodNone || !cl.Implicit ||
			cl.HintIssuer != "https://login.microsoftonline.com/tid/v2.0" || string(cl.HintJWKS) == "null" ||
			cl.HintAudience != "appid" || cl.HintTenant != "tid" || cl.HintUserClaim != "oid" || !cl.HintEnrol {
			t.Fatalf("created %s", mustJSON(cl))
		}
		var updated settings.ClientJSON
		ok(t, e.do("PATCH", "/apps/{app}/clients/"+cl.ClientID, map[string]any{
			"hint_jwks": nil, "hint_jwks_uri": "https://login.microsoftonline.com/tid/discovery/v2.0/keys", "hint_enrol": false,
		}), http.StatusOK, &updated)
		if string(updated.HintJWKS) != "null" || updated.HintJWKSURI == "" || updated.HintEnrol || !updated.Implicit {
			t.Fatalf("updated %s", mustJSON(updated))
		}

		r := e.do("POST", "/apps/{app}/clients", map[string]any{
			"redirect_uris": []string{"https://login.example/reply"}, "implicit": true, "auth_method": "client_secret_post",
			"hint_issuer": "http://login.example/?q", "hint_jwks_uri": "https://login.example/keys", "hint_jwks": jwks,
		})
		apitest.WantError(t, r, http.StatusBadRequest, "invalid_request")
		for _, want := range []string{`hint_issuer \"http://login.example/?q\"`, "give hint_jwks or hint_jwks_uri, not both",
			"an implicit client needs hint_audience", "its auth method must be none"} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("refusal %s lacks %q", r.Body, want)
			}
		}
	})
}
