package signing

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// certValidity is how long a key's certificate is valid from the key's
// creation: past any key's life. The certificate carries no trust (it is
// self-signed); it is there because some relying parties read keys only
// from a JWK's x5c (Microsoft Entra ID's external authentication methods
// require it).
const certValidity = 20 * 365 * 24 * time.Hour

// selfCertificate is key k's X.509 certificate, self-signed with its
// private half priv. Everything in it derives from the key (serial from the
// kid, validity from the creation time), so that every instance makes the
// same certificate for an RSA or Ed25519 key, whose signatures are
// deterministic; an ECDSA key's signature is not, so its certificate's
// bytes differ between instances (its key is the same).
func selfCertificate(k storage.SigningKey, priv crypto.Signer) (*x509.Certificate, error) {
	serial := sha256.Sum256([]byte("passbridge signing key " + k.ID))
	serial[0] &= 0x7f // positive, at most 20 bytes below
	notBefore := k.CreatedAt.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          new(big.Int).SetBytes(serial[:20]),
		Subject:               pkix.Name{CommonName: "passbridge signing key " + k.ID},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(certValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(deterministic{}, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: certificate: %w", k.ID, err)
	}
	return x509.ParseCertificate(der)
}

// deterministic is the randomness handed to x509.CreateCertificate, which
// RSA PKCS#1 v1.5 and Ed25519 signatures do not use; ECDSA draws its own
// from the system whatever it is given.
type deterministic struct{}

func (deterministic) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Certificate is the key's self-signed X.509 certificate, for the JWK's
// x5c. Callers must not change it.
func (k *PublicKey) Certificate() *x509.Certificate { return k.cert }
