// Package importsrc reads the users and passkeys of other passkey servers
// from their databases (Pocket ID, Hanko's passkey server) and from CSV
// files (credential exports such as the one Passage provided on request),
// and converts them to passbridge's export format, which the import then
// checks line by line like any export.
//
// The readers use each project's published schema (its migrations), read
// only, in one read-only transaction. They live with the command line, not
// in storage/: they read databases passbridge does not own, by URLs an
// operator gives, and serve the import command only; the server and its
// store never see them.
package importsrc

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/passbridge/passbridge/ceremony/transfer"
)

// Source is what a reader found: the users, each with where it came from,
// and the RP ID their passkeys belong to when the source records it.
type Source struct {
	RPID    string // "" when the source does not say
	Users   []transfer.User
	Origins []string // Origins[i] says where Users[i] came from
	// Rejected are users the reader could not convert (a cell of a CSV
	// file that is not a number, say); they are not in NDJSON's output.
	Rejected []Rejection
}

// Rejection is a user a reader left out, and why.
type Rejection struct {
	ExternalID string
	Origin     string
	Devices    int
	Reason     string
}

// add appends a user read from origin.
func (s *Source) add(u transfer.User, origin string) {
	s.Users = append(s.Users, u)
	s.Origins = append(s.Origins, origin)
}

// NDJSON streams the source as an export: a header line first when the RP
// ID is known, so that the import checks it against the app's. The caller
// closes the reader, read to its end or not.
func (s *Source) NDJSON(now time.Time) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriter(pw)
		enc := transfer.NewEncoder(bw)
		err := func() error {
			if s.RPID != "" {
				if err := enc.Header(s.RPID, now); err != nil {
					return err
				}
			}
			for _, u := range s.Users {
				if err := enc.User(u); err != nil {
					return err
				}
			}
			return bw.Flush()
		}()
		pw.CloseWithError(err) // nil: io.EOF for the reader
	}()
	return pr
}

// Origin says where the user of line n of NDJSON's output came from.
func (s *Source) Origin(line int) string {
	i := line - 1
	if s.RPID != "" {
		i--
	}
	if i < 0 || i >= len(s.Origins) {
		return ""
	}
	return s.Origins[i]
}

// Devices counts the devices read, those of rejected users too.
func (s *Source) Devices() int {
	n := 0
	for _, u := range s.Users {
		n += len(u.Devices)
	}
	for _, r := range s.Rejected {
		n += r.Devices
	}
	return n
}

// errorf is an error of a reader, prefixed with the source's name.
func errorf(source, format string, args ...any) error {
	return fmt.Errorf(source+": "+format, args...)
}
