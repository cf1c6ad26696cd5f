package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/passbridge/passbridge/storage"
)

// defaultKeyFileName is the file in the data directory that receives the
// default app's API key when stderr is not a terminal.
const defaultKeyFileName = "default-app-api-key"

// keyHandover hands the default app's one-time API key to the operator. On a
// terminal it is printed. Anywhere else stderr is most likely a log collector
// (a container runtime, journald) that would keep the key for as long as it
// keeps logs, so the key goes to a file only its owner can read, and the log
// says where.
type keyHandover struct {
	terminal io.Writer // where the key is printed; nil when it goes to a file
	file     *os.File
	path     string
}

// claimKeyHandover prepares the handover before anything is stored. The
// file is created exclusively: one left by an earlier first start is never
// overwritten, and serve stops before creating an app whose key would have
// nowhere to go.
func (c *cli) claimKeyHandover(dataDir string) (*keyHandover, error) {
	if c.env.IsTerminal(c.env.Stderr) {
		return &keyHandover{terminal: c.env.Stderr}, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dataDir, defaultKeyFileName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("default app api key file %s exists from an earlier first start; move or delete it, then start again", path)
	}
	if err != nil {
		return nil, fmt.Errorf("create default app api key file: %w", err)
	}
	return &keyHandover{file: f, path: path}, nil
}

// store writes the key to the claimed file, whole and synced, before the key
// is committed: once the app exists, its key is on disk.
func (h *keyHandover) store(secret string) error {
	if h.file == nil {
		return nil
	}
	_, err := h.file.WriteString(secret + "\n")
	if err == nil {
		err = h.file.Sync()
	}
	if cerr := h.file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write default app api key file: %w", err)
	}
	return nil
}

// abandon removes the file of a key that was never stored.
func (h *keyHandover) abandon() {
	if h.file == nil {
		return
	}
	_ = h.file.Close()
	_ = os.Remove(h.path)
}

// announce tells the operator where the key is: on the terminal, the key
// itself, outside the JSON log; otherwise, in the log, the file's path only.
func (h *keyHandover) announce(app storage.App, secret string, log *slog.Logger) error {
	if h.terminal == nil {
		log.Warn("the default app's one-time API key is in a file: read it, then delete it",
			"app_id", app.ID, "path", h.path)
		return nil
	}
	_, err := fmt.Fprintf(h.terminal, "\n"+
		"  Created the default app for %s\n"+
		"    app id:  %s\n"+
		"    api key: %s\n"+
		"  The API key is shown this once; only its digest is stored.\n\n",
		app.Origins[0], app.ID, secret)
	return err
}
