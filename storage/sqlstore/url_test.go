package sqlstore

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		dialect string
		dsn     string // prefix of the DSN
		dir     string
	}{
		{"sqlite relative", "sqlite://./data/passbridge.db", DialectSQLite, "./data/passbridge.db?_pragma=foreign_keys(1)", "data"},
		{"sqlite relative without dot", "sqlite://data/x.db", DialectSQLite, "data/x.db?", "data"},
		{"sqlite absolute", "sqlite:///var/lib/passbridge/x.db", DialectSQLite, "/var/lib/passbridge/x.db?", "/var/lib/passbridge"},
		{"sqlite in working directory", "sqlite://x.db", DialectSQLite, "x.db?", "."},
		{"sqlite in memory", "sqlite://:memory:", DialectSQLite, ":memory:?", ""},
		{"sqlite scheme in capitals", "SQLITE://x.db", DialectSQLite, "x.db?", "."},
		{"postgres", "postgres://u:p@db:5432/pb?sslmode=disable&application_name=x", DialectPostgres,
			"postgres://u:p@db:5432/pb?sslmode=disable&application_name=x", ""},
		{"postgresql", "postgresql://db/pb", DialectPostgres, "postgresql://db/pb", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseURL(tc.url)
			if err != nil {
				t.Fatalf("parseURL(%q): %v", tc.url, err)
			}
			if got.dialect != tc.dialect || !strings.HasPrefix(got.dsn, tc.dsn) || got.dir != tc.dir {
				t.Errorf("parseURL(%q) = %+v; want dialect %q, dsn starting %q, dir %q", tc.url, got, tc.dialect, tc.dsn, tc.dir)
			}
		})
	}
}

func TestParseURLSQLiteParameters(t *testing.T) {
	got, err := parseURL("sqlite://x.db?_pragma=synchronous(NORMAL)")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"_pragma=foreign_keys(1)", "_pragma=busy_timeout(5000)", "_pragma=journal_mode(WAL)",
		"_time_format=sqlite", "_txlock=immediate", "&_pragma=synchronous(NORMAL)"} {
		if !strings.Contains(got.dsn, want) {
			t.Errorf("dsn %q lacks %q", got.dsn, want)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"empty", "", "no scheme"},
		{"no scheme", "./data/passbridge.db", "no scheme"},
		{"empty scheme", "://x", "no scheme"},
		{"unknown scheme", "mysql://db/pb", `"mysql"`},
		{"file scheme", "file:///x.db", `"file"`},
		{"sqlite without path", "sqlite://", "no path"},
		{"sqlite with only parameters", "sqlite://?_pragma=x", "no path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseURL(tc.url)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseURL(%q) = %v; want an error mentioning %s", tc.url, err, tc.want)
			}
		})
	}
}

func TestSQLiteFile(t *testing.T) {
	for url, want := range map[string]string{
		"sqlite://./data/passbridge.db":                 "./data/passbridge.db",
		"sqlite:///var/lib/x.db?_pragma=synchronous(1)": "/var/lib/x.db",
		"SQLITE://x.db":        "x.db",
		"sqlite://:memory:":    "",
		"postgres://u:p@db/pb": "",
		"mysql://db/pb":        "",
	} {
		if got := SQLiteFile(url); got != want {
			t.Errorf("SQLiteFile(%q) = %q, want %q", url, got, want)
		}
	}
}
