package signing_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

// Each algorithm signs a JWS the way zitadel's op does, and a relying party
// verifies it with the key it finds by kid in the published JWKS.
func TestSignVerify(t *testing.T) {
	for _, alg := range []string{signing.RS256, signing.ES256, signing.EdDSA} {
		t.Run(alg, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st storage.Store) {
				ctx := context.Background()
				m := newManager(t, st, newClock(), storage.RandomBytes(32), signing.Config{Algorithm: alg})
				if err := m.Ensure(ctx); err != nil {
					t.Fatal(err)
				}
				sk, err := m.SigningKey(ctx)
				if err != nil {
					t.Fatal(err)
				}
				signer, err := op.SignerFromKey(sk)
				if err != nil {
					t.Fatal(err)
				}
				payload := []byte(`{"sub":"user-42"}`)
				jws, err := signer.Sign(payload)
				if err != nil {
					t.Fatal(err)
				}
				compact, err := jws.CompactSerialize()
				if err != nil {
					t.Fatal(err)
				}

				// The JWKS as op serves it, through JSON.
				pubs, err := m.PublicKeys(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var set jose.JSONWebKeySet
				for _, k := range pubs {
					set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Key(), KeyID: k.ID(), Algorithm: string(k.Algorithm()), Use: k.Use()})
				}
				raw, err := json.Marshal(set)
				if err != nil {
					t.Fatal(err)
				}
				var fetched jose.JSONWebKeySet
				if err := json.Unmarshal(raw, &fetched); err != nil {
					t.Fatal(err)
				}

				parsed, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
				if err != nil {
					t.Fatal(err)
				}
				kid := parsed.Signatures[0].Header.KeyID
				found := fetched.Key(kid)
				if kid != sk.ID() || len(found) != 1 || found[0].Algorithm != alg {
					t.Fatalf("kid %q; JWKS has %+v", kid, found)
				}
				got, err := parsed.Verify(found[0])
				if err != nil || string(got) != string(payload) {
					t.Fatalf("verify: %q, %v", got, err)
				}
				// The next key, published too, does not verify it.
				for _, k := range fetched.Keys {
					if k.KeyID != kid {
						if _, err := parsed.Verify(k); err == nil {
							t.Fatalf("verified with key %s", k.KeyID)
						}
					}
				}
			})
		})
	}
}
