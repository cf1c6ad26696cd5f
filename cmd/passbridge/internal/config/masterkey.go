package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/passbridge/passbridge/storage"
)

// MasterKeySize is the master key's length: an AES-256 key.
const MasterKeySize = 32

// masterKeyFileName is the generated key's file inside the data directory.
const masterKeyFileName = "master.key"

// ErrNoMasterKey refuses to generate a master key for a PostgreSQL store.
var ErrNoMasterKey = errors.New("a PostgreSQL store needs a master key that every instance shares: " +
	"set master_key_file (PASSBRIDGE_MASTER_KEY_FILE) or master_key (PASSBRIDGE_MASTER_KEY); " +
	"`passbridge keys new-master-key` prints a fresh one")

var errMasterKeyFormat = errors.New("want 32 bytes encoded as base64 (standard or URL alphabet) or hex")

// DecodeMasterKey decodes a master key given as hex or base64 (standard or
// URL alphabet, padded or not). Surrounding whitespace is ignored.
func DecodeMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*MasterKeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == MasterKeySize {
			return b, nil
		}
	}
	return nil, errMasterKeyFormat
}

// UsesPostgres reports whether the configured store is PostgreSQL.
func (c Config) UsesPostgres() bool {
	scheme, _, _ := strings.Cut(c.DatabaseURL, "://")
	scheme = strings.ToLower(scheme)
	return scheme == "postgres" || scheme == "postgresql"
}

func readMasterKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	return DecodeMasterKey(string(data))
}

// GeneratedMasterKeyPath is where ResolveMasterKey keeps a key it generates:
// master.key in the data directory.
func (c Config) GeneratedMasterKeyPath() string {
	return filepath.Join(c.DataDir, masterKeyFileName)
}

// ReadMasterKey returns the configured master key, or the one generated
// into the data directory before, and creates nothing. generated is the
// path of that generated key when it is the one in use (or, with an error
// matching fs.ErrNotExist, where ResolveMasterKey would generate one); it
// is "" for a configured key.
func (c Config) ReadMasterKey() (key []byte, generated string, err error) {
	switch {
	case c.MasterKey != "":
		k, err := DecodeMasterKey(c.MasterKey)
		if err != nil {
			return nil, "", fmt.Errorf("master_key: %w", err)
		}
		return k, "", nil
	case c.MasterKeyFile != "":
		k, err := readMasterKeyFile(c.MasterKeyFile)
		if err != nil {
			return nil, "", fmt.Errorf("master_key_file %q: %w", c.MasterKeyFile, err)
		}
		return k, "", nil
	}
	path := c.GeneratedMasterKeyPath()
	k, err := readMasterKeyFile(path)
	if err != nil {
		return nil, path, fmt.Errorf("master key %q: %w", path, err)
	}
	return k, path, nil
}

// ResolveMasterKey returns the configured master key. With none configured it
// reads <data_dir>/master.key, creating it with a fresh random key (and a
// warning: that file must be kept and backed up) when it does not exist;
// for a PostgreSQL store it creates none and returns ErrNoMasterKey.
func (c Config) ResolveMasterKey(log *slog.Logger) ([]byte, error) {
	k, path, err := c.ReadMasterKey()
	if err == nil || path == "" || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	// A PostgreSQL store is there to be shared: a key generated on this
	// host would differ from every other instance's, and the store's key
	// check would stop the second one. The operator sets one key for all.
	if c.UsesPostgres() {
		return nil, ErrNoMasterKey
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	k = storage.RandomBytes(MasterKeySize)
	// The key is written whole to a temporary file, then linked into place:
	// link fails if the name exists, so of two instances starting at once on
	// one data directory exactly one places its key, and the other never
	// reads a half-written file.
	tmp, err := os.CreateTemp(c.DataDir, ".master.key-*")
	if err != nil {
		return nil, fmt.Errorf("create master key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write master key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readMasterKeyFile(path)
	} else if err != nil {
		return nil, fmt.Errorf("place master key: %w", err)
	}
	log.Warn("generated a new master key; back it up: the signing keys cannot be decrypted without it",
		"path", path, "hint", "set PASSBRIDGE_MASTER_KEY_FILE (or master_key_file) to use a key kept elsewhere")
	return k, nil
}
