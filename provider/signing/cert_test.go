package signing_test

import (
	"bytes"
	"crypto"
	"testing"

	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

// TestCertificatesStableAcrossInstances: two instances on one store publish
// the very same certificate for each RS256 and EdDSA key (deterministic
// signatures, everything else derived from the key), a certificate of that
// key and self-signed by it.
func TestCertificatesStableAcrossInstances(t *testing.T) {
	for _, alg := range []string{signing.RS256, signing.EdDSA} {
		t.Run(alg, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st storage.Store) {
				clk := newClock()
				key := storage.RandomBytes(signing.MasterKeySize)
				a := newManager(t, st, clk, key, signing.Config{Algorithm: alg})
				if err := a.Ensure(t.Context()); err != nil {
					t.Fatal(err)
				}
				if _, err := a.Rotate(t.Context(), true); err != nil {
					t.Fatal(err)
				}
				b := newManager(t, st, clk, key, signing.Config{Algorithm: alg})
				ka, err := a.PublicKeys(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				kb, err := b.PublicKeys(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if len(ka) != len(kb) || len(ka) < 2 {
					t.Fatalf("%d and %d keys", len(ka), len(kb))
				}
				for i := range ka {
					ca, cb := ka[i].Certificate(), kb[i].Certificate()
					if ca == nil || cb == nil || !bytes.Equal(ca.Raw, cb.Raw) {
						t.Fatalf("key %s: the instances' certificates differ", ka[i].ID())
					}
					type equaler interface{ Equal(crypto.PublicKey) bool }
					if pub, ok := ca.PublicKey.(equaler); !ok || !pub.Equal(ka[i].Key()) {
						t.Fatalf("key %s: the certificate is of another key", ka[i].ID())
					}
					if err := ca.CheckSignature(ca.SignatureAlgorithm, ca.RawTBSCertificate, ca.Signature); err != nil {
						t.Fatalf("key %s: not signed by the key: %v", ka[i].ID(), err)
					}
				}
			})
		})
	}
}
