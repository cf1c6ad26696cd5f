package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

func TestKeys(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		ctx := context.Background()
		masterKey := storage.RandomBytes(signing.MasterKeySize)
		env := map[string]string{"PASSBRIDGE_MASTER_KEY": base64.StdEncoding.EncodeToString(masterKey)}

		// Keys a server set up two hours ago.
		st := openDB(t, db)
		twoHoursAgo := func() time.Time { return time.Now().Add(-2 * time.Hour) }
		m, err := signing.New(signing.Config{Store: st, MasterKey: masterKey, Algorithm: signing.ES256, Now: twoHoursAgo})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		active, next := storedKey(t, st, storage.KeyActive), storedKey(t, st, storage.KeyNext)

		var listed []signingKeyJSON
		mustJSON(t, &listed, env, "keys", "list", "--database-url", db)
		if len(listed) != 2 {
			t.Fatalf("listed %+v", listed)
		}
		for _, k := range listed {
			want := map[string]string{active.ID: storage.KeyActive, next.ID: storage.KeyNext}[k.ID]
			if k.State != want || k.Algorithm != signing.ES256 || k.RetiredAt != nil || k.ExpiresAt != nil ||
				(k.ActivatedAt != nil) != (want == storage.KeyActive) || k.CreatedAt.IsZero() {
				t.Errorf("listed %+v", k)
			}
		}
		out := mustRun(t, env, "keys", "list", "--database-url", db)
		for _, want := range []string{"ID", "ALGORITHM", "STATE", "EXPIRES", active.ID, next.ID, "active", "next", "never"} {
			if !strings.Contains(out, want) {
				t.Errorf("list lacks %q:\n%s", want, out)
			}
		}

		// The next key has been published for two hours: it may sign now.
		var r rotationJSON
		mustJSON(t, &r, env, "keys", "rotate", "--database-url", db)
		if r.ActiveKeyID != next.ID || r.RetiredKeyID != active.ID || r.NextKeyID == "" || r.NextKeyID == next.ID {
			t.Fatalf("rotation %+v; active was %s, next %s", r, active.ID, next.ID)
		}
		if k := storedKey(t, st, storage.KeyNext); k.ID != r.NextKeyID || k.Algorithm != signing.ES256 {
			t.Fatalf("new next key %+v: want %s, keeping the algorithm ES256", k, r.NextKeyID)
		}
		if k := storedKey(t, st, storage.KeyRetired); k.ExpiresAt.Before(time.Now().Add(signing.DefaultRetireAfter - time.Minute)) {
			t.Fatalf("retired key expires %v", k.ExpiresAt)
		}

		// The new next key was published a moment ago.
		res := run(t, env, "keys", "rotate", "--database-url", db)
		if !errors.Is(res.err, signing.ErrRotateTooSoon) || !strings.Contains(res.err.Error(), r.NextKeyID) ||
			!strings.Contains(res.err.Error(), "--force rotates now") || res.stdout != "" {
			t.Fatalf("rotate too soon: %v\n%s", res.err, res.stdout)
		}
		if k := storedKey(t, st, storage.KeyActive); k.ID != r.ActiveKeyID {
			t.Fatal("a refused rotation changed the active key")
		}

		out = mustRun(t, env, "keys", "rotate", "--database-url", db, "--force", "--algorithm", signing.EdDSA)
		if !strings.Contains(out, "active:") || !strings.Contains(out, r.NextKeyID) || !strings.Contains(out, "next:") {
			t.Fatalf("human rotate:\n%s", out)
		}
		if k := storedKey(t, st, storage.KeyNext); k.Algorithm != signing.EdDSA {
			t.Fatalf("--algorithm EdDSA: new next key is %s", k.Algorithm)
		}
		mustJSON(t, &listed, env, "keys", "list", "--database-url", db)
		if len(listed) != 4 {
			t.Fatalf("after two rotations: %+v", listed)
		}
		if got := auditTypes(t, st); !reflect.DeepEqual(got, []string{"signing_key.rotated", "signing_key.rotated"}) {
			t.Fatalf("audit %v", got)
		}

		res = run(t, env, "keys", "rotate", "--database-url", db, "--algorithm", "HS256")
		if res.err == nil || !strings.Contains(res.err.Error(), `--algorithm "HS256": want RS256, ES256 or EdDSA`) {
			t.Fatalf("bad algorithm: %v", res.err)
		}

		// Another master key is refused before anything is read or written.
		other := map[string]string{"PASSBRIDGE_MASTER_KEY": base64.StdEncoding.EncodeToString(storage.RandomBytes(32))}
		for _, args := range [][]string{{"list"}, {"list", "--json"}, {"rotate"}, {"rotate", "--force"}} {
			res := run(t, other, append(append([]string{"keys"}, args...), "--database-url", db)...)
			if !errors.Is(res.err, signing.ErrMasterKeyMismatch) || res.stdout != "" ||
				!strings.Contains(res.err.Error(), "start every instance with the same master key") {
				t.Errorf("keys %v with another master key: %v\n%s", args, res.err, res.stdout)
			}
		}
		mustJSON(t, &listed, env, "keys", "list", "--database-url", db)
		if len(listed) != 4 {
			t.Fatalf("keys changed by a refused command: %+v", listed)
		}
	})
}

// On a store without keys, rotate creates the active and next keys (RS256)
// and then refuses: the next key was published a moment ago.
func TestKeysRotateEmptyStore(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		env := map[string]string{"PASSBRIDGE_MASTER_KEY": base64.StdEncoding.EncodeToString(storage.RandomBytes(32))}
		res := run(t, env, "keys", "rotate", "--database-url", db)
		if !errors.Is(res.err, signing.ErrRotateTooSoon) {
			t.Fatalf("rotate: %v", res.err)
		}
		var listed []signingKeyJSON
		mustJSON(t, &listed, env, "keys", "list", "--database-url", db)
		if len(listed) != 2 || listed[0].Algorithm != signing.RS256 || listed[1].Algorithm != signing.RS256 {
			t.Fatalf("listed %+v", listed)
		}
	})
}

func TestKeysNewMasterKey(t *testing.T) {
	// No store and no configuration are needed: a bad one is not even read.
	env := map[string]string{"PASSBRIDGE_DATABASE_URL": "mysql://nowhere", "PASSBRIDGE_LOG_LEVEL": "loud"}
	first := mustRun(t, env, "keys", "new-master-key")
	key, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(first, "\n"))
	if err != nil || len(key) != 32 {
		t.Fatalf("new-master-key printed %q: %d bytes, %v", first, len(key), err)
	}
	if k, err := config.DecodeMasterKey(first); err != nil || string(k) != string(key) {
		t.Fatalf("the configuration does not take %q: %v", first, err)
	}
	var out struct {
		MasterKey string `json:"master_key"`
	}
	mustJSON(t, &out, nil, "keys", "new-master-key")
	if k, err := config.DecodeMasterKey(out.MasterKey); err != nil || out.MasterKey == strings.TrimSpace(first) {
		t.Fatalf("--json: %q (%d bytes), %v", out.MasterKey, len(k), err)
	}
}

// storedKey returns the one stored key in state.
func storedKey(t *testing.T, st storage.Store, state string) storage.SigningKey {
	t.Helper()
	keys, err := st.ListSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var found []storage.SigningKey
	for _, k := range keys {
		if k.State == state {
			found = append(found, k)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s keys, want 1", len(found), state)
	}
	return found[0]
}
