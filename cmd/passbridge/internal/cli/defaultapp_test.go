package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

var (
	printedAppID = regexp.MustCompile(`app id:\s+(\S+)`)
	printedKey   = regexp.MustCompile(`api key:\s+(pbk_\S+)`)
)

// keyFromFile returns the default app's ID and API key as a first start with
// stderr not a terminal hands them over: the ID in the log, the key in a
// file of the data directory, readable by its owner only, and nowhere in the
// log.
func keyFromFile(t *testing.T, srv *server, dataDir string) (appID, key string) {
	t.Helper()
	path := filepath.Join(dataDir, "default-app-api-key")
	logs := srv.stderr.String()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("key file: %v\n%s", err, logs)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want a regular file with 0600", fi.Mode())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key = strings.TrimSpace(string(data))
	if !strings.HasPrefix(key, storage.PrefixAPIKey) || strings.ContainsAny(key, " \n") {
		t.Fatalf("key file holds %q, want one API key", data)
	}
	if strings.Contains(logs, key) || printedKey.MatchString(logs) {
		t.Fatalf("the key reached stderr:\n%s", logs)
	}
	for _, line := range strings.Split(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["path"] == path {
			appID, _ = m["app_id"].(string)
		}
	}
	if appID == "" {
		t.Fatalf("no log line names the app and the key file:\n%s", logs)
	}
	return appID, key
}

// On a terminal the key is shown there, as an operator at a shell expects,
// and no file is written.
func TestServeDefaultAppKeyOnTerminal(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	srv := startServeWith(t, &syncBuffer{tty: true}, map[string]string{"PASSBRIDGE_DATA_DIR": dataDir})
	logs := srv.stderr.String()
	appMatch, keyMatch := printedAppID.FindStringSubmatch(logs), printedKey.FindStringSubmatch(logs)
	if appMatch == nil || keyMatch == nil {
		t.Fatalf("default app id and key not printed:\n%s", logs)
	}
	users := "/v1/apps/" + appMatch[1] + "/users"
	if code := srv.getAuth(t, users, keyMatch[1]); code != 200 {
		t.Fatalf("GET %s with the printed key: %d", users, code)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "default-app-api-key")); !os.IsNotExist(err) {
		t.Fatalf("key file written beside a terminal: %v", err)
	}
}

// A key file left by an earlier first start is never overwritten: serve
// refuses before creating anything, so the operator decides what to keep.
func TestServeKeepsAnEarlierKeyFile(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dataDir, "default-app-api-key")
	if err := os.WriteFile(path, []byte("pbk_earlier\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Were the file ignored, serve would run: the deadline ends it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := runContext(ctx, t, map[string]string{"PASSBRIDGE_DATA_DIR": dataDir}, &syncBuffer{}, &syncBuffer{}, "serve", "--listen", "127.0.0.1:0")
	if res.err == nil || !strings.Contains(res.err.Error(), path) {
		t.Fatalf("serve with an earlier key file: %v\n%s", res.err, res.stderr)
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != "pbk_earlier\n" {
		t.Fatalf("earlier key file now %q, %v", data, err)
	}
	if strings.Contains(res.stderr, "pbk_") {
		t.Fatalf("a key reached stderr:\n%s", res.stderr)
	}
	st := openDB(t, "sqlite://"+filepath.Join(dataDir, "passbridge.db"))
	if apps, err := st.ListApps(context.Background()); err != nil || len(apps) != 0 {
		t.Fatalf("apps after the refusal: %+v %v", apps, err)
	}
}

// Without an IsTerminal of its own, the CLI counts only an *os.File open on
// a terminal as one: a regular file (a redirected stderr) or any other
// writer is not.
func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) || isTerminal(&syncBuffer{tty: true}) || isTerminal(io.Discard) {
		t.Fatalf("a file or a buffer taken for a terminal")
	}
}
