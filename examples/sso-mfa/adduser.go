package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"
)

// passwordCost is the bcrypt cost of new password hashes: about a quarter
// of a second on a current server core.
const passwordCost = 12

// minPasswordBytes is the shortest password add-user accepts (NIST SP
// 800-63B §3.1.1.2 asks for at least 8 characters).
const minPasswordBytes = 8

// addUserCmd is `sso-mfa add-user [--id ID] [--name NAME] USERNAME`: it adds
// a user to the users file (USERS_FILE), creating the file if need be. The
// password is read from the terminal without echo, twice, or else as one
// line from standard input; it never appears in the command line, where
// other users of the machine and the shell's history would see it.
func addUserCmd(args []string, getenv func(string) string, stdin *os.File, stderr io.Writer) error {
	fs := flag.NewFlagSet("add-user", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("id", "", "the user's ID, sent to passbridge as login_hint (default: the username)")
	name := fs.String("name", "", "the name the page shows")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sso-mfa add-user [--id ID] [--name NAME] USERNAME")
		fmt.Fprintln(stderr, "The password is read from the terminal, or as one line from standard input.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("add-user takes one USERNAME")
	}
	path := getenv("USERS_FILE")
	if path == "" {
		path = defaultUsersFile
	}
	u := user{ID: *id, Username: normalizeUsername(fs.Arg(0)), Name: strings.TrimSpace(*name)}
	if u.ID == "" {
		u.ID = u.Username
	}
	password, err := readNewPassword(stdin, stderr)
	if err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), passwordCost)
	if err != nil {
		return err
	}
	u.PasswordHash = string(hash)
	if err := addUser(path, u); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "added user %q (id %q) to %s\n", u.Username, u.ID, path)
	return nil
}

// addUser adds u to the users file at path, which it creates (and its
// directory) if need be.
func addUser(path string, u user) error {
	if err := errors.Join(u.problems()...); err != nil {
		return err
	}
	var users []user
	if _, err := os.Stat(path); err == nil {
		if users, err = readUsers(path); err != nil {
			return err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	for _, other := range users {
		if other.Username == u.Username || other.ID == u.ID {
			return fmt.Errorf("%s has a user with username %q or id %q already", path, u.Username, u.ID)
		}
	}
	return writeUsers(path, append(users, u))
}

// readNewPassword reads a new password: twice without echo from a
// terminal, else one line from in.
func readNewPassword(in *os.File, prompt io.Writer) (string, error) {
	var password string
	if fd := int(in.Fd()); term.IsTerminal(fd) {
		fmt.Fprint(prompt, "Password: ")
		first, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		fmt.Fprint(prompt, "Again: ")
		second, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		if string(first) != string(second) {
			return "", errors.New("the passwords differ")
		}
		password = string(first)
	} else {
		line, err := bufio.NewReader(io.LimitReader(in, 1024)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		password = strings.TrimRight(line, "\r\n")
	}
	return password, checkNewPassword(password)
}

// checkNewPassword refuses a password bcrypt would not take whole, or one
// too short to resist guessing.
func checkNewPassword(p string) error {
	switch {
	case len(p) < minPasswordBytes:
		return fmt.Errorf("the password must have at least %d characters", minPasswordBytes)
	case len(p) > maxPasswordBytes:
		return fmt.Errorf("the password must be at most %d bytes (bcrypt reads no more)", maxPasswordBytes)
	}
	return nil
}
