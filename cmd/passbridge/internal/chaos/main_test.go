package chaos

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

var long = flag.Bool("chaos.long", false, "run the long form of every scenario (make chaos)")

// profile is a scenario's length: the short form in make test, the long
// one with -chaos.long.
type profile struct {
	Workers      int
	Spread       time.Duration // load per step-spread round
	KillLoad     time.Duration
	Kills        int
	Cuts         int
	CutRefuse    time.Duration
	Restarts     int
	Soak         time.Duration
	SoakEvery    time.Duration
	SoakWindow   time.Duration
	BadWindow    time.Duration
	BadRounds    int
	SQLiteLoad   time.Duration
	SQLiteKills  int
	UsersPerFlow int
}

func current() profile {
	if *long {
		return profile{Workers: 8, Spread: 60 * time.Second, KillLoad: 120 * time.Second, Kills: 10, Cuts: 3,
			CutRefuse: 5 * time.Second, Restarts: 3, Soak: 10 * time.Minute, SoakEvery: 5 * time.Second, SoakWindow: time.Minute,
			BadWindow: 15 * time.Second, BadRounds: 5, SQLiteLoad: 60 * time.Second, SQLiteKills: 5, UsersPerFlow: 8}
	}
	return profile{Workers: 4, Spread: 5 * time.Second, KillLoad: 8 * time.Second, Kills: 2, Cuts: 1,
		CutRefuse: 3 * time.Second, Restarts: 1, Soak: 30 * time.Second, SoakEvery: 2 * time.Second, SoakWindow: 10 * time.Second,
		BadWindow: 3 * time.Second, BadRounds: 1, SQLiteLoad: 6 * time.Second, SQLiteKills: 1, UsersPerFlow: 4}
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	RemoveBinary()
	os.Exit(code)
}

// TestChaos runs every scenario (those on PostgreSQL when
// PASSBRIDGE_TEST_POSTGRES_DSN is set) and prints the table.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos: not in -short")
	}
	start := time.Now()
	p := current()
	tab := &Table{}
	Binary(t) // once, before the scenarios start their clocks
	t.Logf("passbridge built in %s", time.Since(start).Round(time.Millisecond))
	t.Run("scenarios", func(t *testing.T) {
		t.Run("postgres", func(t *testing.T) {
			t.Parallel()
			if os.Getenv(sqlstoretest.EnvPostgresDSN) == "" {
				t.Skip(sqlstoretest.EnvPostgresDSN + " not set: the PostgreSQL scenarios (several instances, kill -9, connection cut, stall, bad input) are skipped")
			}
			testPostgres(t, p, tab)
		})
		t.Run("postgres-restart", func(t *testing.T) {
			t.Parallel()
			testPostgresRestart(t, p, tab)
		})
		t.Run("soak", func(t *testing.T) {
			t.Parallel()
			testSoak(t, p, tab)
		})
		t.Run("sqlite-kill9", func(t *testing.T) {
			t.Parallel()
			testSQLiteKill(t, p, tab)
		})
	})
	form := "short"
	if *long {
		form = "long"
	}
	out := fmt.Sprintf("chaos (%s form, %s):\n\n%s", form, time.Since(start).Round(time.Second), tab.Markdown())
	t.Log("\n" + out)
	fmt.Println(out)
	file := filepath.Join(t.ArtifactDir(), "chaos-table.md")
	if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
		t.Error(err)
	} else {
		t.Logf("table written to %s", file)
	}
}
