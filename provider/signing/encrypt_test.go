package signing_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

func TestEncryptPrivateKey(t *testing.T) {
	key := storage.RandomBytes(signing.MasterKeySize)
	plain := []byte("pkcs8 bytes of a private key")
	sealed, err := signing.EncryptPrivateKey(key, "kid1", plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, plain) {
		t.Fatal("ciphertext holds the plaintext")
	}
	got, err := signing.DecryptPrivateKey(key, "kid1", sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	again, _ := signing.EncryptPrivateKey(key, "kid1", plain)
	if bytes.Equal(again, sealed) {
		t.Fatal("two encryptions are equal: the nonce is not random")
	}

	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	for name, tt := range map[string]struct {
		key    []byte
		kid    string
		sealed []byte
		want   string
	}{
		"another master key":   {storage.RandomBytes(32), "kid1", sealed, "signing key kid1 cannot be decrypted with this master key"},
		"moved to another row": {key, "kid2", sealed, "signing key kid2 cannot be decrypted with this master key"},
		"nonce altered":        {key, "kid1", flip(1), "cannot be decrypted"},
		"ciphertext altered":   {key, "kid1", flip(14), "cannot be decrypted"},
		"tag altered":          {key, "kid1", flip(len(sealed) - 1), "cannot be decrypted"},
		"truncated":            {key, "kid1", sealed[:20], "cannot be decrypted"},
		"unknown version":      {key, "kid1", flip(0), "unknown encryption version"},
		"short master key":     {key[:16], "kid1", sealed, "master key has 16 bytes, want 32"},
		"empty":                {key, "kid1", nil, "cannot be decrypted"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := signing.DecryptPrivateKey(tt.key, tt.kid, tt.sealed)
			if err == nil || !strings.Contains(err.Error(), tt.want) || got != nil {
				t.Fatalf("got %q, %v; want error %q", got, err, tt.want)
			}
			if strings.Contains(tt.want, "cannot be decrypted") && !errors.Is(err, signing.ErrDecrypt) {
				t.Fatalf("%v is not ErrDecrypt", err)
			}
		})
	}
}

// A stored key the master key does not open stops signing, naming the key;
// a ciphertext copied into another key's row does not open there.
func TestStoredKeyTampered(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		clk := newClock()
		mk := storage.RandomBytes(32)
		if err := newManager(t, st, clk, mk, signing.Config{}).Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		active, next := onlyKey(t, st, storage.KeyActive), onlyKey(t, st, storage.KeyNext)
		if bytes.Contains(active.PrivateKey, active.PublicKey) || active.PrivateKey[0] != 1 {
			t.Fatalf("stored private key is not sealed: %x", active.PrivateKey[:8])
		}
		if _, err := st.UpdateSigningKey(ctx, active.ID, func(k storage.SigningKey) (storage.SigningKey, error) {
			k.PrivateKey = next.PrivateKey
			return k, nil
		}); err != nil {
			t.Fatal(err)
		}
		_, err := newManager(t, st, clk, mk, signing.Config{}).SigningKey(ctx)
		want := "signing key " + active.ID + " cannot be decrypted with this master key"
		if !errors.Is(err, signing.ErrDecrypt) || !strings.Contains(err.Error(), want) {
			t.Fatalf("moved ciphertext: %v, want %q", err, want)
		}

		// Another master key cannot sign with the store's keys either.
		_, err = newManager(t, st, clk, storage.RandomBytes(32), signing.Config{}).SigningKey(ctx)
		if !errors.Is(err, signing.ErrDecrypt) {
			t.Fatalf("another master key: %v", err)
		}
	})
}

func TestSealClientSecret(t *testing.T) {
	key := storage.RandomBytes(32)
	sealed, err := signing.SealClientSecret(key, "client-a", "pbs_secret")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := signing.OpenClientSecret(key, "client-a", sealed); err != nil || got != "pbs_secret" {
		t.Fatalf("open: %q %v", got, err)
	}
	for name, open := range map[string]func() (string, error){
		"another client":     func() (string, error) { return signing.OpenClientSecret(key, "client-b", sealed) },
		"another master key": func() (string, error) { return signing.OpenClientSecret(storage.RandomBytes(32), "client-a", sealed) },
		"as a signing key": func() (string, error) {
			b, err := signing.DecryptPrivateKey(key, "client-a", sealed)
			return string(b), err
		},
	} {
		if _, err := open(); !errors.Is(err, signing.ErrDecrypt) {
			t.Errorf("%s: %v, want ErrDecrypt", name, err)
		}
	}
}
