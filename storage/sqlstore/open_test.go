package sqlstore_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

func TestOpenRejectsUnknownScheme(t *testing.T) {
	for _, u := range []string{"mysql://db/pb", "passbridge.db", "sqlite://"} {
		s, err := sqlstore.Open(t.Context(), u)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%q) succeeded; want an error", u)
		}
	}
	_, err := sqlstore.Open(t.Context(), "mysql://user:secret@db/pb")
	if err == nil || !strings.Contains(err.Error(), `"mysql"`) || strings.Contains(err.Error(), "secret") {
		t.Errorf("Open(mysql://…) = %v; want an error naming the scheme and not echoing the URL", err)
	}
}

func TestOpenSQLiteCreatesDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "nested")
	path := filepath.Join(dir, "passbridge.db")
	s, err := sqlstore.Open(t.Context(), "sqlite://"+path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	if s.Dialect() != sqlstore.DialectSQLite {
		t.Errorf("Dialect() = %q, want %q", s.Dialect(), sqlstore.DialectSQLite)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("database directory: %v", err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("database directory mode %v, want 0700", perm)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestOpenSQLiteRelativePath(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	s, err := sqlstore.Open(t.Context(), "sqlite://./data/passbridge.db")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if _, err := os.Stat(filepath.Join(wd, "data", "passbridge.db")); err != nil {
		t.Errorf("database file under the working directory: %v", err)
	}
}

func TestOpenSQLiteInMemory(t *testing.T) {
	s, err := sqlstore.Open(t.Context(), "sqlite://:memory:")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	// One connection, so the schema migrated on it is the one later calls see.
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if _, err := s.ListApps(t.Context()); err != nil {
		t.Errorf("list apps: %v", err)
	}
}

// TestOpenPostgresUnreachable needs no server: nothing listens on the port.
func TestOpenPostgresUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s, err := sqlstore.Open(t.Context(), "postgres://postgres@"+addr+"/postgres?sslmode=disable&connect_timeout=5")
	if err == nil {
		s.Close()
		t.Fatal("Open on a closed port succeeded")
	}
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Open on a closed port = %v; want ErrUnavailable", err)
	}
}
