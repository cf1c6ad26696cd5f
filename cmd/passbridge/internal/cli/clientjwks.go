package cli

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/go-jose/go-jose/v4"
)

// maxJWKSBytes bounds a key set file: a few public keys, not a document.
const maxJWKSBytes = 64 << 10

// readJWKS reads a JSON Web Key Set (RFC 7517 §5) of public signing keys and
// returns it as the store keeps it. Every problem names the file and the
// key: a private or symmetric key is refused, since registering one would
// hand the provider (and its backups) the client's own credential.
func readJWKS(path string) ([]byte, []string) {
	problem := func(format string, args ...any) []string {
		return []string{fmt.Sprintf("--jwks-file %q: ", path) + fmt.Sprintf(format, args...)}
	}
	file, err := os.Open(path)
	if err != nil {
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		return nil, problem("%v", err)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxJWKSBytes+1))
	if err != nil {
		return nil, problem("%v", err)
	}
	if len(data) > maxJWKSBytes {
		return nil, problem("is larger than %d KiB", maxJWKSBytes>>10)
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, problem("not a JSON Web Key Set: %v", err)
	}
	if len(raw.Keys) == 0 {
		return nil, problem(`has no keys: want a JSON Web Key Set, {"keys": [ … ]}`)
	}
	var (
		problems []string
		set      jose.JSONWebKeySet
		kids     = map[string]bool{}
	)
	for i, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil {
			problems = append(problems, problem("key %d: %v", i+1, err)...)
			continue
		}
		name := fmt.Sprintf("key %d", i+1)
		if k.KeyID != "" {
			name = fmt.Sprintf("key %q", k.KeyID)
		}
		if p := checkPublicJWK(k); p != "" {
			problems = append(problems, problem("%s %s", name, p)...)
			continue
		}
		if kids[k.KeyID] {
			problems = append(problems, problem("%s: another key has the same kid", name)...)
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
		return nil, problem("encode: %v", err)
	}
	return out, nil
}

// checkPublicJWK says what is wrong with a key registered to verify a
// client's signatures, or "" when nothing is.
func checkPublicJWK(k jose.JSONWebKey) string {
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
