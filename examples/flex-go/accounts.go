package main

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// signupCookie carries the token of the browser's pending sign-up.
const signupCookie = "flexgo_signup"

// reservationLifetime is how long a username stays reserved for the browser
// that asked to sign it up. It is longer than passbridge's default
// transaction lifetime (5 minutes), so the reservation outlives the
// ceremony it was made for.
const reservationLifetime = 10 * time.Minute

// accounts are the app's own user records: which accounts exist, which
// passkeys (passbridge device IDs) each one accepted, and which usernames
// are being signed up, by which browser. The example keeps them in a JSON
// file; a real app keeps them in its database, where "reserve" is an INSERT
// that a unique username column decides atomically.
//
// passbridge proves which passkey signed a ceremony; only the app knows
// whether that ceremony may create an account or sign one in. A sign-up is
// complete when the browser that reserved the username brings back the
// nonce of that username's first passkey; a sign-in counts only with a
// passkey the account accepted.
type accounts struct {
	mu     sync.Mutex
	byName map[string]*account
	path   string // "" keeps them in memory only
	now    func() time.Time
}

type account struct {
	Active  bool     `json:"active"`
	Devices []string `json:"devices,omitempty"` // accepted passbridge device IDs
	// While !Active: the digest of the reserving browser's token, and when
	// the reservation lapses.
	TokenHash []byte    `json:"token_hash,omitempty"`
	Until     time.Time `json:"until,omitzero"`
	// DataDeletionConfirmedAt is when the account's owner last confirmed
	// "Delete my data" with a passkey: the example's stand-in for a
	// sensitive action.
	DataDeletionConfirmedAt time.Time `json:"data_deletion_confirmed_at,omitzero"`
}

// errLastPasskey refuses to forget an account's last passkey.
var errLastPasskey = errors.New("the account's last passkey")

// openAccounts loads the accounts kept at path (none yet if it does not
// exist); an empty path keeps them in memory.
func openAccounts(path string, now func() time.Time) (*accounts, error) {
	if now == nil {
		now = time.Now
	}
	a := &accounts{byName: map[string]*account{}, path: path, now: now}
	if path == "" {
		return a, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return a, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &a.byName); err != nil {
		return nil, fmt.Errorf("accounts file %s: %w", path, err)
	}
	return a, nil
}

// save writes the accounts to their file: a new file renamed into place, so
// a crash leaves the old or the new one. a.mu must be held.
func (a *accounts) save() error {
	if a.path == "" {
		return nil
	}
	raw, err := json.Marshal(a.byName)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(a.path), ".accounts-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), a.path)
}

// reserve claims name for a new sign-up and returns the token that the
// reserving browser must bring back. It refuses (ok false) when the account
// exists or another browser's reservation of it has not lapsed.
func (a *accounts) reserve(name, held string) (token string, ok bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc, found := a.byName[name]
	// The browser holding the reservation may ask again (after a
	// cancelled passkey prompt): its reservation starts over, same token.
	mine := found && !acc.Active && held != "" && subtle.ConstantTimeCompare(acc.TokenHash, digest(held)) == 1
	if found && (acc.Active || a.now().Before(acc.Until)) && !mine {
		return "", false, nil
	}
	token = held
	if !mine {
		token = rand.Text()
	}
	a.byName[name] = &account{TokenHash: digest(token), Until: a.now().Add(reservationLifetime)}
	return token, true, a.save()
}

// exists reports whether name is an account that finished its sign-up.
func (a *accounts) exists(name string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc, found := a.byName[name]
	return found && acc.Active
}

// activate completes the sign-up of name, reserved with token, with its
// first passkey, once. It refuses when name is not reserved, is reserved by
// another browser (another token), its reservation lapsed, or it is an
// account already.
func (a *accounts) activate(name, token, deviceID string) (ok bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc, found := a.byName[name]
	if !found || acc.Active || token == "" || !a.now().Before(acc.Until) ||
		subtle.ConstantTimeCompare(acc.TokenHash, digest(token)) != 1 {
		return false, nil
	}
	a.byName[name] = &account{Active: true, Devices: []string{deviceID}}
	return true, a.save()
}

// accept adds a passkey that the signed-in name registered to its account.
func (a *accounts) accept(name, deviceID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc, found := a.byName[name]
	if !found || !acc.Active {
		return fmt.Errorf("accept a passkey of %q: no such account", name)
	}
	if !slices.Contains(acc.Devices, deviceID) {
		acc.Devices = append(acc.Devices, deviceID)
	}
	return a.save()
}

// accepted reports whether deviceID is a passkey name's account accepted.
func (a *accounts) accepted(name, deviceID string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc, found := a.byName[name]
	return found && acc.Active && slices.Contains(acc.Devices, deviceID)
}

// forget removes deviceID from the passkeys name's account accepted, unless
// it is the last one the account can sign in with: then it refuses with
// errLastPasskey. live lists the passkeys passbridge holds for the user;
// only accepted passkeys that passbridge still holds sign in. The check and
// the removal happen under one lock, so two removals racing cannot both
// pass. wasAccepted tells whether deviceID was an accepted passkey, to
// accept it again if its removal at passbridge fails; removing a passkey
// the account never accepted changes nothing here.
func (a *accounts) forget(name, deviceID string, live []string) (wasAccepted bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc, found := a.byName[name]
	if !found || !acc.Active {
		return false, fmt.Errorf("forget a passkey of %q: no such account", name)
	}
	i := slices.Index(acc.Devices, deviceID)
	if i < 0 {
		return false, nil
	}
	others := slices.ContainsFunc(acc.Devices, func(id string) bool {
		return id != deviceID && slices.Contains(live, id)
	})
	if !others {
		return false, errLastPasskey
	}
	acc.Devices = slices.Delete(acc.Devices, i, i+1)
	return true, a.save()
}

// signInPasskeys lists the passkeys of live (what passbridge holds for
// name) that name's account accepted: the ones that sign in.
func (a *accounts) signInPasskeys(name string, live []string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc, found := a.byName[name]
	if !found || !acc.Active {
		return nil
	}
	var out []string
	for _, id := range live {
		if slices.Contains(acc.Devices, id) {
			out = append(out, id)
		}
	}
	return out
}

// recordDataDeletion notes that name confirmed "Delete my data" at at.
func (a *accounts) recordDataDeletion(name string, at time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc, found := a.byName[name]
	if !found || !acc.Active {
		return fmt.Errorf("record a deletion for %q: no such account", name)
	}
	acc.DataDeletionConfirmedAt = at
	return a.save()
}

// dataDeletionConfirmedAt is when name last confirmed "Delete my data";
// zero if never.
func (a *accounts) dataDeletionConfirmedAt(name string) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	if acc, found := a.byName[name]; found && acc.Active {
		return acc.DataDeletionConfirmedAt
	}
	return time.Time{}
}

func digest(token string) []byte {
	d := sha256.Sum256([]byte(token))
	return d[:]
}
