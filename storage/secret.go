package storage

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// Secret prefixes tell an operator (and secret scanners) what a string is.
const (
	PrefixAPIKey       = "pbk_"
	PrefixClientSecret = "pbs_"
	PrefixAdminKey     = "pba_"
)

// NewSecret returns a random secret of 256 bits, base64url-encoded behind the
// given prefix, and the short non-secret part of it to show in listings. The
// alphabet is URL-unreserved, so the secret survives form and Basic encoding.
func NewSecret(prefix string) (secret, display string) {
	secret = prefix + base64.RawURLEncoding.EncodeToString(RandomBytes(32))
	return secret, secret[:len(prefix)+6]
}

// HashSecret is the digest under which a secret (API key, client secret,
// nonce, code, token, cookie) is stored. The secrets are high-entropy random
// strings, so a fast hash is the right one: a slow password hash would only
// cost time on every request.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// SecretMatches compares a presented secret with a stored digest in constant time.
func SecretMatches(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashSecret(secret), hash) == 1
}
