package signing_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

// CheckKey accepts a key as Ensure stores it and names what is wrong with
// one that cannot sign: another master key, a ciphertext of another key's
// row, a public half that is not a key of its algorithm.
func TestCheckKey(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		mk := storage.RandomBytes(32)
		if err := newManager(t, st, newClock(), mk, signing.Config{}).Ensure(context.Background()); err != nil {
			t.Fatal(err)
		}
		active, next := onlyKey(t, st, storage.KeyActive), onlyKey(t, st, storage.KeyNext)
		for _, k := range []storage.SigningKey{active, next} {
			if err := signing.CheckKey(mk, k); err != nil {
				t.Fatalf("key %s as stored: %v", k.ID, err)
			}
		}
		err := signing.CheckKey(storage.RandomBytes(32), active)
		if !errors.Is(err, signing.ErrDecrypt) || !strings.Contains(err.Error(), active.ID) {
			t.Errorf("another master key: %v, want ErrDecrypt naming %s", err, active.ID)
		}
		moved := active
		moved.PrivateKey = next.PrivateKey
		if err := signing.CheckKey(mk, moved); !errors.Is(err, signing.ErrDecrypt) {
			t.Errorf("ciphertext of another row: %v, want ErrDecrypt", err)
		}
		swapped := active
		swapped.PublicKey = next.PublicKey
		if err := signing.CheckKey(mk, swapped); err == nil || !strings.Contains(err.Error(), "does not match the public key") {
			t.Errorf("public half of another key: %v", err)
		}
		relabelled := active
		relabelled.Algorithm = signing.EdDSA
		if err := signing.CheckKey(mk, relabelled); err == nil || !strings.Contains(err.Error(), "not an EdDSA key") {
			t.Errorf("an ES256 key labelled EdDSA: %v", err)
		}
	})
}
