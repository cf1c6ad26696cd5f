package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/passbridge/passbridge/storage"
)

// appByName finds the one app called name, for scripts that cannot look an
// app's generated ID up first (a container without a shell): "Default app"
// is the app a first serve creates.
func appByName(ctx context.Context, st storage.AppStore, name string) (storage.App, error) {
	apps, err := st.ListApps(ctx)
	if err != nil {
		return storage.App{}, fmt.Errorf("list apps: %w", err)
	}
	var found []storage.App
	for _, a := range apps {
		if a.Name == name {
			found = append(found, a)
		}
	}
	switch len(found) {
	case 0:
		return storage.App{}, fmt.Errorf("no app is named %q (passbridge apps list shows them)", name)
	case 1:
		return found[0], nil
	}
	return storage.App{}, fmt.Errorf("%d apps are named %q; give --app APP_ID instead", len(found), name)
}

// existingClientFile reads the client a file written by clients create
// --output-file names, and checks that the store has it, for app appID. It
// returns false when there is no such file.
func existingClientFile(ctx context.Context, st storage.ClientStore, path, appID string) (storage.Client, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return storage.Client{}, false, nil
	}
	if err != nil {
		return storage.Client{}, false, fmt.Errorf("--output-file: %w", err)
	}
	var saved clientJSON
	if err := json.Unmarshal(data, &saved); err != nil || saved.ClientID == "" {
		return storage.Client{}, false, fmt.Errorf("--output-file %s exists but holds no client; move or delete it, then run again", path)
	}
	cl, err := st.GetClient(ctx, saved.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return cl, false, fmt.Errorf("--output-file %s names client %s, which this database does not have "+
			"(was it deleted, or the database replaced?); delete the file to create a new client", path, saved.ClientID)
	}
	if err != nil {
		return cl, false, fmt.Errorf("get client: %w", err)
	}
	if cl.AppID != appID {
		return cl, false, fmt.Errorf("--output-file %s names client %s of app %s, not of app %s", path, cl.ID, cl.AppID, appID)
	}
	return cl, true, nil
}

// clientFile receives a new client with its secret. It is created
// exclusively, readable by its owner only, and written and synced before
// the client is committed: once the client exists, its secret is on disk.
type clientFile struct {
	f    *os.File
	path string
}

func claimClientFile(path string) (*clientFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--output-file: %w", err)
	}
	return &clientFile{f: f, path: path}, nil
}

func (cf *clientFile) store(v clientJSON) error {
	err := printJSON(cf.f, v)
	if err == nil {
		err = cf.f.Sync()
	}
	if cerr := cf.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write --output-file: %w", err)
	}
	return nil
}

// abandon removes the file of a client that was never stored; on nil (no
// file asked for) it does nothing.
func (cf *clientFile) abandon() {
	if cf == nil {
		return
	}
	_ = cf.f.Close()
	_ = os.Remove(cf.path)
}
