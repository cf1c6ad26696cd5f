package settings

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// MaxJWKSBytes bounds a client's key set: a few public keys, not a document.
const MaxJWKSBytes = 64 << 10

// ParseJWKS reads a JSON Web Key Set (RFC 7517 §5) of public signing keys and
// returns it as the store keeps it, or every problem, each naming the key
// ("key 2", "key \"kid\"") but not where the set came from: the caller
// prefixes that. A private or symmetric key is refused, since registering
// one would hand the provider (and its backups) the client's own
// credential.
func ParseJWKS(data []byte) ([]byte, []string) {
	if len(data) > MaxJWKSBytes {
		return nil, []string{fmt.Sprintf("is larger than %d KiB", MaxJWKSBytes>>10)}
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		// The decoder's words stay out: this text may reach an API client.
		return nil, []string{`not a JSON Web Key Set: want {"keys": [ … ]}`}
	}
	if len(raw.Keys) == 0 {
		return nil, []string{`has no keys: want a JSON Web Key Set, {"keys": [ … ]}`}
	}
	var (
		problems []string
		set      jose.JSONWebKeySet
		kids     = map[string]bool{}
	)
	for i, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil {
			problems = append(problems, fmt.Sprintf("key %d: not a JSON Web Key of a known type (RSA, EC or OKP, RFC 7518 §6, RFC 8037)", i+1))
			continue
		}
		name := fmt.Sprintf("key %d", i+1)
		if k.KeyID != "" {
			name = fmt.Sprintf("key %q", k.KeyID)
		}
		if p := CheckPublicJWK(k); p != "" {
			problems = append(problems, name+" "+p)
			continue
		}
		if kids[k.KeyID] {
			problems = append(problems, name+": another key has the same kid")
			continue
		}
		kids[k.KeyID] = true
		set.Keys = append(set.Keys, k)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	out, err := json.Marshal(set)
	if err != nil {
		return nil, []string{"could not be encoded again"}
	}
	return out, nil
}

// CheckPublicJWK says what is wrong with a key registered to verify a
// client's signatures, or "" when nothing is.
func CheckPublicJWK(k jose.JSONWebKey) string {
	switch key := k.Key.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		return "is a private key: register the public key only (without \"d\" and the other private members)"
	case []byte:
		return "is a symmetric key: register public keys only"
	case *rsa.PublicKey:
		if key.N.BitLen() < 2048 {
			return fmt.Sprintf("is an RSA key of %d bits: want at least 2048", key.N.BitLen())
		}
	}
	switch {
	case !k.IsPublic() || !k.Valid():
		return "is not a valid RSA, EC or OKP public key"
	case k.Use != "" && k.Use != "sig":
		return fmt.Sprintf("has use %q: want sig", k.Use)
	}
	return ""
}
