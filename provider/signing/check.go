package signing

import "github.com/passbridge/passbridge/storage"

// CheckKey reports whether a stored signing key can serve: its public half
// parses as a key of its algorithm, and its private half decrypts with
// masterKey (ErrDecrypt otherwise) and belongs to that public half. It is
// what the provider does with a key before signing with it, so an operator
// can learn of a bad key before a token request does.
func CheckKey(masterKey []byte, k storage.SigningKey) error {
	pub, err := parsePublic(k)
	if err != nil {
		return err
	}
	_, err = parsePrivate(masterKey, k, pub)
	return err
}
