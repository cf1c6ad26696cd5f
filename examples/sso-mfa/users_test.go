package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// hashForTest hashes password at bcrypt's least cost.
func hashForTest(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// add-user writes a file only its owner reads; passwords are checked
// against it, and the enrolment is recorded once.
func TestUserStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "users.json")
	if err := addUser(path, user{ID: "u-1", Username: "dana", Name: "Dana", PasswordHash: hashForTest(t, "correct horse")}); err != nil {
		t.Fatal(err)
	}
	if err := addUser(path, user{ID: "u-2", Username: "erin", PasswordHash: hashForTest(t, "battery staple")}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("users file: %v %v, want mode 0600", fi.Mode(), err)
	}
	for name, u := range map[string]user{
		"same username": {ID: "u-3", Username: "dana", PasswordHash: hashForTest(t, "x")},
		"same id":       {ID: "u-1", Username: "frank", PasswordHash: hashForTest(t, "x")},
	} {
		if err := addUser(path, u); err == nil || !strings.Contains(err.Error(), "already") {
			t.Errorf("%s: %v", name, err)
		}
	}

	s := newUserStore(path)
	if u, err := s.checkPassword("Dana", "correct horse"); err != nil || u.ID != "u-1" {
		t.Errorf("right password: %v %v", u, err)
	}
	for name, tc := range map[string]struct{ username, password string }{
		"wrong password":    {"dana", "battery staple"},
		"unknown user":      {"zed", "correct horse"},
		"longer than 72":    {"dana", "correct horse" + strings.Repeat(" ", 72)},
		"another's":         {"erin", "correct horse"},
		"empty password":    {"dana", ""},
		"username as typed": {"dana\x00", "correct horse"},
	} {
		if _, err := s.checkPassword(tc.username, tc.password); !errors.Is(err, errBadCredentials) {
			t.Errorf("%s: %v", name, err)
		}
	}

	first := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.markEnrolled("u-1", first); err != nil {
		t.Fatal(err)
	}
	if err := s.markEnrolled("u-1", first.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.byID("u-1"); u.PasskeyEnrolledAt == nil || !u.PasskeyEnrolledAt.Equal(first) {
		t.Errorf("enrolled at %v, want %v", u.PasskeyEnrolledAt, first)
	}
	if u, _ := s.byID("u-2"); u.enrolled() {
		t.Error("erin enrolled too")
	}
	if err := s.markEnrolled("u-9", first); !errors.Is(err, errUnknownUser) {
		t.Errorf("unknown user: %v", err)
	}
}

// The users file is read strictly, and every problem is reported.
func TestReadUsersProblems(t *testing.T) {
	hash := hashForTest(t, "password1")
	for name, tc := range map[string]struct {
		content string
		want    []string
	}{
		"unknown field": {`{"users": [], "admins": []}`, []string{`unknown field "admins"`}},
		"no users":      {`{"users": []}`, []string{"has no users"}},
		"two objects":   {`{"users": []} {}`, []string{"data after the JSON object"}},
		"bad users": {`{"users": [
			{"id": "pb_x", "username": "Dana", "password_hash": "plain"},
			{"id": "u 1", "username": "erin", "password_hash": "` + hash + `", "name": "a\u0007"},
			{"id": "u-2", "username": "erin", "password_hash": "` + hash + `"}]}`,
			[]string{`id "pb_x": the prefix pb_ is passbridge's`, `username "Dana"`, `password_hash of "Dana" is not a bcrypt hash`,
				`user 2: id "u 1"`, `name of "erin"`, `user 3: username "erin" appears twice`}},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "users.json")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := readUsers(path)
			for _, want := range tc.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q:\n%v", want, err)
				}
			}
		})
	}
}

// add-user refuses a password bcrypt would cut or that is too short, and
// reads one line from a pipe.
func TestAddUserCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.json")
	getenv := env(map[string]string{"USERS_FILE": path})
	run := func(password string, args ...string) error {
		in := filepath.Join(dir, "stdin")
		if err := os.WriteFile(in, []byte(password), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(in)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var stderr strings.Builder
		return addUserCmd(args, getenv, f, &stderr)
	}
	if err := run("short\n", "dana"); err == nil || !strings.Contains(err.Error(), "at least 8") {
		t.Errorf("a short password: %v", err)
	}
	if err := run(strings.Repeat("x", 73)+"\n", "dana"); err == nil || !strings.Contains(err.Error(), "at most 72") {
		t.Errorf("a long password: %v", err)
	}
	if err := run("a good password\n", "--id", "emp-0042", "--name", "Dana Scully", "Dana"); err != nil {
		t.Fatal(err)
	}
	u, err := newUserStore(path).checkPassword("dana", "a good password")
	if err != nil || u.ID != "emp-0042" || u.Name != "Dana Scully" {
		t.Fatalf("the added user: %+v %v", u, err)
	}
	if cost, _ := bcrypt.Cost([]byte(u.PasswordHash)); cost != passwordCost {
		t.Errorf("bcrypt cost %d, want %d", cost, passwordCost)
	}
	if err := run("a good password\n"); err == nil {
		t.Error("add-user without a username")
	}
}
