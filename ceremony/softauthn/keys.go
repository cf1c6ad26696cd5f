package softauthn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
)

// rsaBits is the modulus size of RS256 keys, the size Windows Hello and
// most RS256 authenticators use.
const rsaBits = 2048

// generateKey creates a key pair for the COSE algorithm alg.
func generateKey(alg int) (crypto.Signer, error) {
	switch alg {
	case AlgES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgEdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case AlgRS256:
		return rsa.GenerateKey(rand.Reader, rsaBits)
	default:
		return nil, fmt.Errorf("softauthn: unsupported algorithm %d", alg)
	}
}

// sign produces the signature an authenticator makes over data with key:
// for ES256 an ASN.1 DER ECDSA signature over SHA-256 (WebAuthn L3 §6.5.5),
// for EdDSA a plain Ed25519 signature over data, for RS256 a PKCS #1 v1.5
// signature over SHA-256.
func sign(key crypto.Signer, alg int, data []byte) ([]byte, error) {
	if alg == AlgEdDSA {
		return key.Sign(rand.Reader, data, crypto.Hash(0))
	}
	digest := sha256.Sum256(data)
	return key.Sign(rand.Reader, digest[:], crypto.SHA256)
}

// spki encodes the public key as a DER SubjectPublicKeyInfo, the form of
// AuthenticatorAttestationResponse.getPublicKey() (WebAuthn L3 §5.2.1.1).
func spki(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshal spki: %w", err)
	}
	return der, nil
}

// randomCredentialID returns 16 to 32 random bytes. Real authenticators use
// IDs of many lengths; varying it keeps servers from assuming one.
func randomCredentialID() ([]byte, error) {
	var n [1]byte
	if _, err := rand.Read(n[:]); err != nil {
		return nil, fmt.Errorf("credential id length: %w", err)
	}
	id := make([]byte, 16+int(n[0])%17)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("credential id: %w", err)
	}
	return id, nil
}
