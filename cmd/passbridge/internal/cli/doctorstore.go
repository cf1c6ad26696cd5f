package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// checkStore opens the database without creating or migrating it and
// checks its schema version. It returns nil when the store cannot be
// checked further: unreachable, or its schema is not this binary's.
func (d *doctor) checkStore(ctx context.Context, cfg config.Config) *sqlstore.Store {
	where := config.RedactURL(cfg.DatabaseURL)
	if file := sqlstore.SQLiteFile(cfg.DatabaseURL); file != "" {
		if _, err := os.Stat(strings.TrimPrefix(file, "file:")); errors.Is(err, fs.ErrNotExist) {
			d.add(checkFail, "store", where, "the SQLite database %s does not exist: run passbridge migrate to create it "+
				"(serve creates it at its first start), or point database_url at the existing one", file)
			return nil
		}
	}
	st, err := sqlstore.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		d.add(checkFail, "store", where, "unreachable: %v; check that the database runs and that database_url names it", err)
		return nil
	}
	d.add(checkOK, "store", where, "the %s database answers", st.Dialect())

	current, latest, err := st.SchemaVersion(ctx)
	switch {
	case err != nil:
		d.add(checkFail, "migrations", "", "cannot read the schema version: %v", err)
	case current > latest:
		d.add(checkFail, "migrations", "", "the schema is at version %d, newer than this passbridge knows (%d): a newer "+
			"passbridge migrated it, and this one refuses to serve from it; upgrade this binary", current, latest)
	case current == 0:
		d.add(checkFail, "migrations", "", "the database has no passbridge tables yet (this passbridge's schema is version %d): "+
			"run passbridge migrate (serve also migrates at start)", latest)
	case current < latest:
		d.add(checkFail, "migrations", "", "%d migration(s) pending: the schema is at version %d, this passbridge's is %d; "+
			"run passbridge migrate (serve also applies them at start)", latest-current, current, latest)
	default:
		d.add(checkOK, "migrations", "", "the schema is at version %d, this passbridge's", current)
		return st
	}
	_ = st.Close()
	return nil
}

// checkMasterKeyInStore compares the master key with the store's check
// value, as serve does at start, but records none where there is none.
func (d *doctor) checkMasterKeyInStore(ctx context.Context, st storage.Store, mk doctorKey) {
	switch {
	case mk.key != nil:
		err := signing.VerifyMasterKey(ctx, st, mk.key)
		switch {
		case err == nil:
			d.add(checkOK, "master_key", "", "matches the store's key check value")
		case errors.Is(err, signing.ErrNoMasterKeyCheck):
			d.add(checkWarn, "master_key", "", "the store holds no key check value yet (no server has started on it): "+
				"serve records this key's at its first start and from then on refuses any other; doctor records nothing")
		default:
			d.add(checkFail, "master_key", "", "%v", err)
		}
	case mk.missing:
		_, err := st.MasterKeyCheck(ctx)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			// A fresh store: the key serve generates becomes its key.
		case err == nil:
			d.add(checkFail, "master_key", mk.generated, "the store was set up with a master key, but none is configured and "+
				"this file does not exist: serve would generate a new key and then refuse to start; configure the key "+
				"the store was set up with (master_key_file)")
		default:
			d.add(checkFail, "master_key", "", "cannot read the store's key check value: %v", err)
		}
	default:
		d.add(checkSkip, "master_key", "", "not checked against the store: no usable master key")
	}
}

// checkSigningKeys checks that the store's signing keys are there and
// decrypt with the master key.
func (d *doctor) checkSigningKeys(ctx context.Context, st storage.Store, cfg config.Config, mk doctorKey) {
	keys, err := st.ListSigningKeys(ctx)
	if err != nil {
		d.add(checkFail, "signing_keys", "", "cannot list them: %v", err)
		return
	}
	if len(keys) == 0 {
		d.add(checkWarn, "signing_keys", "", "none yet: serve creates an active and a next %s key at start", cfg.SigningAlg)
		return
	}
	count := map[string]int{}
	bad := 0
	for _, k := range keys {
		count[k.State]++
		if mk.key == nil {
			continue
		}
		if err := signing.CheckKey(mk.key, k); err != nil {
			bad++
			if k.State == storage.KeyRetired {
				// A retired key only verifies tokens it signed: its private
				// half is never used again.
				d.add(checkWarn, "signing_keys", k.ID, "retired key: %v; it can sign nothing, and is dropped when it expires", err)
				continue
			}
			d.add(checkFail, "signing_keys", k.ID, "%s key: %v: serve cannot sign with it; configure the master key it was "+
				"sealed with, or, if that key is lost, replace the keys with passbridge keys rotate --force, twice "+
				"(tokens they signed stop verifying)", k.State, err)
		}
	}
	summary := fmt.Sprintf("%d active, %d next, %d retired", count[storage.KeyActive], count[storage.KeyNext], count[storage.KeyRetired])
	if count[storage.KeyActive] != 1 || count[storage.KeyNext] != 1 {
		d.add(checkWarn, "signing_keys", "", "%s: serve settles on one active and one next key at start", summary)
	}
	switch {
	case mk.key == nil:
		d.add(checkSkip, "signing_keys", "", "%s; not decrypted: no usable master key", summary)
	case bad == 0:
		d.add(checkOK, "signing_keys", "", "%s; each decrypts with the master key", summary)
	}
}
