package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// The app's own sign-in, standing in for the SSO a company already runs:
// users with bcrypt password hashes in a small JSON file, which also
// records who has enrolled a passkey at passbridge. The file is read on
// every use and written whole (a new file renamed over the old), so that
// `add-user` may run while the app does; a real app keeps this in its
// database.

// user is one account of the app.
type user struct {
	// ID is the app's stable identifier of the user: the login_hint it
	// sends passbridge, and the sub it expects back.
	ID string `json:"id"`
	// Username is what the person types to sign in, lowercase.
	Username string `json:"username"`
	// Name is shown on the page.
	Name         string `json:"name,omitempty"`
	PasswordHash string `json:"password_hash"`
	// PasskeyEnrolledAt is set once a passkey enrolment succeeded. From
	// then on, the password alone can never add a passkey: the user must
	// step up with the one they have.
	PasskeyEnrolledAt *time.Time `json:"passkey_enrolled_at,omitempty"`
}

// enrolled says whether the user has a passkey at passbridge.
func (u user) enrolled() bool { return u.PasskeyEnrolledAt != nil }

// displayName is the name the page shows.
func (u user) displayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Username
}

// usersDoc is the users file.
type usersDoc struct {
	Users []user `json:"users"`
}

var (
	// userIDPattern keeps IDs plain: they travel in URLs and tokens.
	userIDPattern   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	usernamePattern = regexp.MustCompile(`^[a-z0-9._@-]{1,64}$`)
)

// maxNameRunes bounds a user's display name.
const maxNameRunes = 64

// maxPasswordBytes is the longest password bcrypt reads; a longer one would
// be cut silently, so it is refused instead.
const maxPasswordBytes = 72

// maxUsersFileBytes bounds what readUsers reads.
const maxUsersFileBytes = 4 << 20

// normalizeUsername is how usernames are compared.
func normalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// readUsers reads and checks the users file: unknown fields are errors, IDs
// and usernames unique, every hash a bcrypt hash.
func readUsers(path string) ([]user, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: add a user with `go run ./examples/sso-mfa add-user USERNAME`", path)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxUsersFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxUsersFileBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxUsersFileBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var doc usersDoc
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: data after the JSON object", path)
	}
	var errs []error
	ids, names := map[string]bool{}, map[string]bool{}
	for i, u := range doc.Users {
		for _, err := range u.problems() {
			errs = append(errs, fmt.Errorf("%s: user %d: %w", path, i+1, err))
		}
		if ids[u.ID] {
			errs = append(errs, fmt.Errorf("%s: user %d: id %q appears twice", path, i+1, u.ID))
		}
		if names[u.Username] {
			errs = append(errs, fmt.Errorf("%s: user %d: username %q appears twice", path, i+1, u.Username))
		}
		ids[u.ID], names[u.Username] = true, true
	}
	if len(doc.Users) == 0 {
		errs = append(errs, fmt.Errorf("%s has no users: add one with `go run ./examples/sso-mfa add-user USERNAME`", path))
	}
	return doc.Users, errors.Join(errs...)
}

// problems lists what is wrong with u.
func (u user) problems() []error {
	var errs []error
	switch {
	case !userIDPattern.MatchString(u.ID):
		errs = append(errs, fmt.Errorf("id %q: want 1 to 64 letters, digits, '.', '_' or '-'", u.ID))
	case strings.HasPrefix(u.ID, "pb_"):
		// passbridge makes such IDs for the users who sign up with it.
		errs = append(errs, fmt.Errorf("id %q: the prefix pb_ is passbridge's", u.ID))
	}
	if !usernamePattern.MatchString(u.Username) {
		errs = append(errs, fmt.Errorf("username %q: want 1 to 64 lowercase letters, digits, '.', '_', '@' or '-'", u.Username))
	}
	if utf8.RuneCountInString(u.Name) > maxNameRunes || strings.ContainsFunc(u.Name, unicode.IsControl) {
		errs = append(errs, fmt.Errorf("name of %q: at most %d characters, no control characters", u.Username, maxNameRunes))
	}
	if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
		errs = append(errs, fmt.Errorf("password_hash of %q is not a bcrypt hash", u.Username))
	}
	return errs
}

// writeUsers replaces the users file with users, readable by its owner
// only: a new file is written, synced and renamed over the old one, so a
// reader sees the old file or the new, never half of one.
func writeUsers(path string, users []user) error {
	raw, err := json.MarshalIndent(usersDoc{Users: users}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".users-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

var (
	// errBadCredentials is a wrong username or password; which one is not
	// said.
	errBadCredentials = errors.New("wrong username or password")
	errUnknownUser    = errors.New("no such user")
)

// userStore is the users file, for the running app.
type userStore struct {
	path string
	// mu serializes this process's read-modify-write of the file.
	mu sync.Mutex

	dummyMu sync.Mutex
	// dummy are hashes of no one's password, by cost, compared against
	// when the username is unknown, so that the answer takes as long as
	// for a known one and does not tell which usernames exist.
	dummy map[int][]byte
}

func newUserStore(path string) *userStore {
	return &userStore{path: path, dummy: map[int][]byte{}}
}

// checkPassword returns the user whose username and password these are.
func (s *userStore) checkPassword(username, password string) (user, error) {
	users, err := readUsers(s.path)
	if err != nil {
		return user{}, err
	}
	username = normalizeUsername(username)
	cost := bcrypt.MinCost
	for _, u := range users {
		if c, _ := bcrypt.Cost([]byte(u.PasswordHash)); c > cost {
			cost = c
		}
		if u.Username != username {
			continue
		}
		if len(password) > maxPasswordBytes ||
			bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
			return user{}, errBadCredentials
		}
		return u, nil
	}
	_ = bcrypt.CompareHashAndPassword(s.dummyHash(cost), []byte(password))
	return user{}, errBadCredentials
}

// dummyHash is a hash of a random password at cost, made once.
func (s *userStore) dummyHash(cost int) []byte {
	s.dummyMu.Lock()
	defer s.dummyMu.Unlock()
	if h, ok := s.dummy[cost]; ok {
		return h
	}
	h, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		return nil
	}
	s.dummy[cost] = h
	return h
}

// byID returns the user with this ID.
func (s *userStore) byID(id string) (user, error) {
	users, err := readUsers(s.path)
	if err != nil {
		return user{}, err
	}
	for _, u := range users {
		if u.ID == id {
			return u, nil
		}
	}
	return user{}, errUnknownUser
}

// markEnrolled records that user id has a passkey, once: the time of the
// first enrolment stays.
func (s *userStore) markEnrolled(id string, at time.Time) error {
	return s.update(func(users []user) ([]user, error) {
		for i, u := range users {
			if u.ID == id {
				if u.PasskeyEnrolledAt == nil {
					at := at.UTC()
					users[i].PasskeyEnrolledAt = &at
				}
				return users, nil
			}
		}
		return nil, errUnknownUser
	})
}

// update rewrites the users file with what fn makes of its users.
func (s *userStore) update(fn func([]user) ([]user, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	users, err := readUsers(s.path)
	if err != nil {
		return err
	}
	users, err = fn(users)
	if err != nil {
		return err
	}
	return writeUsers(s.path, users)
}
