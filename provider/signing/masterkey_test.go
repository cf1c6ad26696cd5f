package signing_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

func TestCheckMasterKey(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		mk := storage.RandomBytes(32)
		if err := signing.CheckMasterKey(ctx, st, mk, start); err != nil {
			t.Fatalf("first start: %v", err)
		}
		// The check value is stored once: the same key passes again, and the
		// stored value stays the first one.
		if err := signing.CheckMasterKey(ctx, st, mk, start.Add(1)); err != nil {
			t.Fatalf("same key: %v", err)
		}
		err := signing.CheckMasterKey(ctx, st, storage.RandomBytes(32), start)
		if !errors.Is(err, signing.ErrMasterKeyMismatch) {
			t.Fatalf("another key: %v, want ErrMasterKeyMismatch", err)
		}
		for _, want := range []string{"another master key", "start every instance with the same master key",
			"master_key_file", "cannot be recovered"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q lacks %q", err, want)
			}
		}
		if err := signing.CheckMasterKey(ctx, st, mk, start); err != nil {
			t.Fatalf("first key after a refused one: %v", err)
		}
		if err := signing.CheckMasterKey(ctx, st, mk[:31], start); err == nil || errors.Is(err, signing.ErrMasterKeyMismatch) {
			t.Fatalf("short key: %v", err)
		}
	})
}

// VerifyMasterKey answers as CheckMasterKey does, but never records a check
// value: on a fresh store it says there is none, and the store stays so.
func TestVerifyMasterKey(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		mk := storage.RandomBytes(32)
		for range 2 {
			if err := signing.VerifyMasterKey(ctx, st, mk); !errors.Is(err, signing.ErrNoMasterKeyCheck) {
				t.Fatalf("fresh store: %v, want ErrNoMasterKeyCheck", err)
			}
		}
		if _, err := st.MasterKeyCheck(ctx); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("VerifyMasterKey recorded a check value: %v", err)
		}
		// Any key can still be the first: VerifyMasterKey chose none.
		other := storage.RandomBytes(32)
		if err := signing.CheckMasterKey(ctx, st, other, start); err != nil {
			t.Fatalf("first start after verifying another key: %v", err)
		}
		if err := signing.VerifyMasterKey(ctx, st, other); err != nil {
			t.Fatalf("the store's key: %v", err)
		}
		err := signing.VerifyMasterKey(ctx, st, mk)
		if !errors.Is(err, signing.ErrMasterKeyMismatch) || !strings.Contains(err.Error(), "another master key") {
			t.Fatalf("another key: %v, want ErrMasterKeyMismatch", err)
		}
		if err := signing.VerifyMasterKey(ctx, st, other[:31]); err == nil || errors.Is(err, signing.ErrMasterKeyMismatch) {
			t.Fatalf("short key: %v", err)
		}
	})
}
