package oidc_test

import (
	"crypto"
	"crypto/sha1"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// TestDiscoveryImplicit: discovery advertises id_token, form_post and the
// implicit grant only while some client has the implicit profile.
func TestDiscoveryImplicit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		read := func() map[string][]string {
			res, err := http.Get(h.issuer + "/.well-known/openid-configuration")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var d map[string]any
			_ = json.NewDecoder(res.Body).Decode(&d)
			out := map[string][]string{}
			for _, k := range []string{"response_types_supported", "response_modes_supported", "grant_types_supported"} {
				for _, v := range d[k].([]any) {
					out[k] = append(out[k], v.(string))
				}
			}
			return out
		}
		without := map[string][]string{"response_types_supported": {"code"}, "response_modes_supported": {"query"},
			"grant_types_supported": {"authorization_code", "refresh_token"}}
		if got := read(); !equalLists(got, without) {
			t.Fatalf("without an implicit client: %v, want %v", got, without)
		}
		h.createEAMClient(newEntra(t), false)
		with := map[string][]string{"response_types_supported": {"code", "id_token"}, "response_modes_supported": {"query", "form_post"},
			"grant_types_supported": {"authorization_code", "refresh_token", "implicit"}}
		if got := read(); !equalLists(got, with) {
			t.Fatalf("with an implicit client: %v, want %v", got, with)
		}
	})
}

func equalLists(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestKeysCarryCertificates: every JWKS key carries x5c, a certificate of
// that very key, and x5t, its SHA-1 thumbprint; a second read gives the
// same certificate.
func TestKeysCarryCertificates(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		read := func() jose.JSONWebKeySet {
			res, err := http.Get(h.issuer + "/keys")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var set jose.JSONWebKeySet
			if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
				t.Fatal(err) // go-jose checks x5t against x5c, and x5c's key against the JWK's
			}
			return set
		}
		set := read()
		if len(set.Keys) == 0 {
			t.Fatal("no keys")
		}
		for _, k := range set.Keys {
			if len(k.Certificates) != 1 || len(k.CertificateThumbprintSHA1) == 0 {
				t.Fatalf("key %s: %d certificates, x5t %x", k.KeyID, len(k.Certificates), k.CertificateThumbprintSHA1)
			}
			sum := sha1.Sum(k.Certificates[0].Raw)
			if string(sum[:]) != string(k.CertificateThumbprintSHA1) {
				t.Fatalf("key %s: x5t is not the certificate's thumbprint", k.KeyID)
			}
			type equaler interface{ Equal(crypto.PublicKey) bool }
			if pub, ok := k.Certificates[0].PublicKey.(equaler); !ok || !pub.Equal(k.Key) {
				t.Fatalf("key %s: the certificate is of another key", k.KeyID)
			}
			cert := k.Certificates[0]
			if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
				t.Fatalf("key %s: certificate not self-signed by the key: %v", k.KeyID, err)
			}
		}
		if again := read(); string(again.Keys[0].Certificates[0].Raw) != string(set.Keys[0].Certificates[0].Raw) {
			t.Fatal("the certificate changed between reads")
		}
	})
}
