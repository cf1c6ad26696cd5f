package signing

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"

	"github.com/passbridge/passbridge/storage"
)

// MasterKeySize is the master key's length: an AES-256 key.
const MasterKeySize = 32

// sealVersion prefixes every encrypted private key: AES-256-GCM with a
// random 96-bit nonce and the key ID as additional data. A later format
// gets another version byte, so old rows stay readable.
const sealVersion byte = 1

const nonceSize = 12

// ErrDecrypt reports a private key that does not decrypt: another master
// key, or a ciphertext that was altered or moved to another key's row.
var ErrDecrypt = errors.New("cannot be decrypted with this master key")

// EncryptPrivateKey encrypts a private key (PKCS#8 DER) for storage. The
// key ID is authenticated with it, so the ciphertext only decrypts in the
// row of that key.
func EncryptPrivateKey(masterKey []byte, keyID string, pkcs8 []byte) ([]byte, error) {
	aead, err := newAEAD(masterKey)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 1+nonceSize+len(pkcs8)+aead.Overhead())
	out = append(out, sealVersion)
	out = append(out, storage.RandomBytes(nonceSize)...)
	return aead.Seal(out, out[1:1+nonceSize], pkcs8, []byte(keyID)), nil
}

// DecryptPrivateKey reverses EncryptPrivateKey. Any failure to
// authenticate wraps ErrDecrypt and names the key.
func DecryptPrivateKey(masterKey []byte, keyID string, sealed []byte) ([]byte, error) {
	aead, err := newAEAD(masterKey)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+nonceSize+aead.Overhead() {
		return nil, fmt.Errorf("signing key %s %w (ciphertext too short)", keyID, ErrDecrypt)
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("signing key %s: unknown encryption version %d", keyID, sealed[0])
	}
	plain, err := aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], []byte(keyID))
	if err != nil {
		return nil, fmt.Errorf("signing key %s %w", keyID, ErrDecrypt)
	}
	return plain, nil
}

func newAEAD(masterKey []byte) (cipher.AEAD, error) {
	if len(masterKey) != MasterKeySize {
		return nil, fmt.Errorf("master key has %d bytes, want %d", len(masterKey), MasterKeySize)
	}
	block, err := aes.NewCipher(masterKey)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return cipher.NewGCM(block)
}

// clientSecretAD is the additional data of a sealed client secret: the
// client ID, in a namespace of its own so that no ciphertext passes for
// another kind's.
func clientSecretAD(clientID string) string { return "client_secret:" + clientID }

// SealClientSecret encrypts a client's secret for storage (AES-256-GCM
// under the master key, the client ID authenticated with it).
func SealClientSecret(masterKey []byte, clientID, secret string) ([]byte, error) {
	return EncryptPrivateKey(masterKey, clientSecretAD(clientID), []byte(secret))
}

// OpenClientSecret reverses SealClientSecret.
func OpenClientSecret(masterKey []byte, clientID string, sealed []byte) (string, error) {
	plain, err := DecryptPrivateKey(masterKey, clientSecretAD(clientID), sealed)
	if err != nil {
		return "", fmt.Errorf("client secret: %w", err)
	}
	return string(plain), nil
}
