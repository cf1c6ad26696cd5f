package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/passbridge/passbridge/storage"
)

// Signature algorithms (JWA names, RFC 7518 §3.1 and RFC 8037 §3.1).
const (
	// RS256 is RSASSA-PKCS1-v1_5 with SHA-256 over an RSA-2048 key. Every
	// OpenID provider must sign ID tokens with it (OIDC Core §15.1), so
	// every relying party accepts it.
	RS256 = "RS256"
	// ES256 is ECDSA over P-256 with SHA-256: much cheaper to sign with.
	ES256 = "ES256"
	// EdDSA is Ed25519. Some relying-party libraries do not accept it.
	EdDSA = "EdDSA"

	// DefaultAlgorithm is what new keys use unless configured otherwise.
	DefaultAlgorithm = RS256
)

// rsaBits is the size of generated RSA keys.
const rsaBits = 2048

// ValidAlgorithm reports whether alg is one passbridge signs with.
func ValidAlgorithm(alg string) bool {
	switch alg {
	case RS256, ES256, EdDSA:
		return true
	}
	return false
}

// PrivateKey is a signing key ready to sign: it satisfies zitadel's
// op.SigningKey.
type PrivateKey struct {
	id  string
	alg string
	key crypto.Signer
}

// ID is the key's kid.
func (k *PrivateKey) ID() string { return k.id }

// SignatureAlgorithm is the JWS "alg" the key signs with.
func (k *PrivateKey) SignatureAlgorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.alg)
}

// Key is the private key as go-jose takes it: *rsa.PrivateKey,
// *ecdsa.PrivateKey or ed25519.PrivateKey.
func (k *PrivateKey) Key() any { return k.key }

// PublicKey is a published key: it satisfies zitadel's op.Key, for JWKS.
type PublicKey struct {
	id        string
	alg       string
	key       crypto.PublicKey
	state     string
	expiresAt time.Time
	cert      *x509.Certificate // see Certificate
}

// ID is the key's kid.
func (k *PublicKey) ID() string { return k.id }

// Algorithm is the JWS "alg" the key verifies.
func (k *PublicKey) Algorithm() jose.SignatureAlgorithm { return jose.SignatureAlgorithm(k.alg) }

// Use is the JWK "use": always "sig".
func (k *PublicKey) Use() string { return "sig" }

// Key is the public key as go-jose takes it: *rsa.PublicKey,
// *ecdsa.PublicKey or ed25519.PublicKey.
func (k *PublicKey) Key() any { return k.key }

// State is the key's state: storage.KeyActive, KeyNext or KeyRetired.
func (k *PublicKey) State() string { return k.state }

// newKey generates a key of alg and returns it as a stored row (private key
// encrypted) in state, created at now.
func newKey(masterKey []byte, alg, state string, now time.Time) (storage.SigningKey, error) {
	var (
		priv crypto.Signer
		err  error
	)
	switch alg {
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return storage.SigningKey{}, fmt.Errorf("unknown signing algorithm %q", alg)
	}
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("generate %s key: %w", alg, err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("encode %s key: %w", alg, err)
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("encode %s public key: %w", alg, err)
	}
	k := storage.SigningKey{ID: storage.NewID(), Algorithm: alg, PublicKey: pub, State: state, CreatedAt: now}
	if state == storage.KeyActive {
		k.ActivatedAt = now
	}
	if k.PrivateKey, err = EncryptPrivateKey(masterKey, k.ID, pkcs8); err != nil {
		return storage.SigningKey{}, err
	}
	return k, nil
}

// parsePublic decodes a stored key's public half and checks that it fits
// the key's algorithm.
func parsePublic(k storage.SigningKey) (*PublicKey, error) {
	pub, err := x509.ParsePKIXPublicKey(k.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: public key: %w", k.ID, err)
	}
	if err := checkType(k.Algorithm, pub); err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	return &PublicKey{id: k.ID, alg: k.Algorithm, key: pub, state: k.State, expiresAt: k.ExpiresAt}, nil
}

// parsePrivate decrypts and decodes a stored key's private half and checks
// that it is the private half of the stored public key.
func parsePrivate(masterKey []byte, k storage.SigningKey, pub *PublicKey) (*PrivateKey, error) {
	der, err := DecryptPrivateKey(masterKey, k.ID, k.PrivateKey)
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: private key: %w", k.ID, err)
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key %s: private key of type %T cannot sign", k.ID, parsed)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if e, ok := priv.Public().(equaler); !ok || !e.Equal(pub.key) {
		return nil, fmt.Errorf("signing key %s: private key does not match the public key", k.ID)
	}
	return &PrivateKey{id: k.ID, alg: k.Algorithm, key: priv}, nil
}

// checkType checks that a public key is of the kind alg signs with.
func checkType(alg string, pub crypto.PublicKey) error {
	ok := false
	switch alg {
	case RS256:
		k, isRSA := pub.(*rsa.PublicKey)
		ok = isRSA && k.N.BitLen() >= rsaBits
	case ES256:
		k, isEC := pub.(*ecdsa.PublicKey)
		ok = isEC && k.Curve == elliptic.P256()
	case EdDSA:
		_, ok = pub.(ed25519.PublicKey)
	default:
		return fmt.Errorf("unknown signing algorithm %q", alg)
	}
	if !ok {
		return fmt.Errorf("a %T is not an %s key", pub, alg)
	}
	return nil
}
