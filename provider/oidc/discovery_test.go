package oidc_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// Discovery advertises exactly what is served.
func TestDiscovery(t *testing.T) {
	h := newHarness(t, sqlstoretest.Open(t, sqlstoretest.SQLite))
	res, err := http.Get(h.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var d map[string]any
	if err := json.NewDecoder(res.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	list := func(k string) []string {
		var out []string
		for _, v := range d[k].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	for k, want := range map[string][]string{
		"acr_values_supported":                        {"phr", "phrh"},
		"code_challenge_methods_supported":            {"S256"},
		"response_types_supported":                    {"code"},
		"response_modes_supported":                    {"query"},
		"grant_types_supported":                       {"authorization_code", "refresh_token"},
		"prompt_values_supported":                     {"none", "login", "select_account", "create"},
		"id_token_signing_alg_values_supported":       {"RS256"},
		"token_endpoint_auth_methods_supported":       {"none", "client_secret_basic", "client_secret_post", "private_key_jwt"},
		"request_object_signing_alg_values_supported": {"HS256", "RS256", "ES256", "PS256", "EdDSA"},
	} {
		if got := list(k); !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	for _, k := range []string{"request_parameter_supported", "claims_parameter_supported"} {
		if d[k] != true {
			t.Errorf("%s = %v, want true", k, d[k])
		}
	}
	if _, ok := d["device_authorization_endpoint"]; ok {
		t.Error("discovery lists a device authorization endpoint that is not served")
	}
	for _, c := range []string{"sub", "acr", "amr", "auth_time", "sid", "nonce", "name", "preferred_username"} {
		if !slices.Contains(list("claims_supported"), c) {
			t.Errorf("claims_supported lacks %s", c)
		}
	}
}
