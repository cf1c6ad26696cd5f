package signing

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// checkLabel is what the master key check value is the HMAC of. The check
// value proves nothing about the key beyond equality, and reveals nothing
// of it.
const checkLabel = "passbridge master key check v1"

// ErrMasterKeyMismatch reports an instance started with a master key other
// than the one its store was set up with.
var ErrMasterKeyMismatch = errors.New("the master key does not match this store")

// CheckMasterKey makes sure masterKey is the store's master key. The first
// call on a store records a check value (an HMAC of a fixed label under the
// key); every later call compares against it, so an instance with another
// key stops at start instead of failing to decrypt signing keys, or worse,
// creating keys other instances cannot read.
func CheckMasterKey(ctx context.Context, store storage.SigningKeyStore, masterKey []byte, now time.Time) error {
	if len(masterKey) != MasterKeySize {
		return fmt.Errorf("master key has %d bytes, want %d", len(masterKey), MasterKeySize)
	}
	want := checkValue(masterKey)
	stored, err := store.InitMasterKeyCheck(ctx, want, now)
	if err != nil {
		return fmt.Errorf("check master key: %w", err)
	}
	return compareCheck(want, stored)
}

// ErrNoMasterKeyCheck reports a store that holds no check value yet: no
// instance has started on it. The first CheckMasterKey records one.
var ErrNoMasterKeyCheck = errors.New("the store holds no master key check value yet")

// VerifyMasterKey is CheckMasterKey that writes nothing: on a store without
// a check value it returns ErrNoMasterKeyCheck instead of recording one.
func VerifyMasterKey(ctx context.Context, store storage.SigningKeyStore, masterKey []byte) error {
	if len(masterKey) != MasterKeySize {
		return fmt.Errorf("master key has %d bytes, want %d", len(masterKey), MasterKeySize)
	}
	stored, err := store.MasterKeyCheck(ctx)
	if errors.Is(err, storage.ErrNotFound) {
		return ErrNoMasterKeyCheck
	}
	if err != nil {
		return fmt.Errorf("check master key: %w", err)
	}
	return compareCheck(checkValue(masterKey), stored)
}

// checkValue is the check value of masterKey.
func checkValue(masterKey []byte) []byte {
	mac := hmac.New(sha256.New, masterKey)
	mac.Write([]byte(checkLabel))
	return mac.Sum(nil)
}

// compareCheck compares a key's check value with the stored one, in
// constant time.
func compareCheck(want, stored []byte) error {
	if !hmac.Equal(want, stored) {
		return fmt.Errorf("%w: this store was set up with another master key: start every instance with "+
			"the same master key (master_key / master_key_file); a lost key cannot be recovered", ErrMasterKeyMismatch)
	}
	return nil
}
