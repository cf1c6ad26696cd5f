package chaos

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pgBin is where Debian's PostgreSQL 15 server binaries live.
const pgBin = "/usr/lib/postgresql/15/bin"

// Cluster is a private PostgreSQL cluster in a temporary directory on a
// free port, which a test may restart without disturbing the shared
// server other packages' tests use.
type Cluster struct {
	dir  string
	port int
	as   []string // the command prefix that runs as the cluster's owner
}

// NewCluster initialises and starts a private cluster, or skips the test
// with the reason when that is not possible here.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	if _, err := os.Stat(filepath.Join(pgBin, "initdb")); err != nil {
		t.Skipf("no PostgreSQL server binaries at %s: the PostgreSQL restart is skipped", pgBin)
	}
	base, err := os.MkdirTemp("", "passbridge-chaos-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	c := &Cluster{dir: filepath.Join(base, "data"), port: portOf(freeAddr(t))}
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: run it as postgres, owning the directory.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root without a postgres user: the PostgreSQL restart is skipped")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(base, uid, gid); err != nil {
			t.Skipf("chown %s to postgres: %v: the PostgreSQL restart is skipped", base, err)
		}
		c.as = []string{"runuser", "-u", "postgres", "--"}
	}
	if out, err := c.run("initdb", "-D", c.dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"); err != nil {
		t.Skipf("initdb: %v: %s: the PostgreSQL restart is skipped", err, out)
	}
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nfsync = off\n"+
		"max_connections = 100\nshared_buffers = 32MB\n", c.port, base)
	f, err := os.OpenFile(filepath.Join(c.dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(conf)
		f.Close()
	}
	if err != nil {
		t.Skipf("configure the private cluster: %v: the PostgreSQL restart is skipped", err)
	}
	if err := c.Start(); err != nil {
		t.Skipf("start the private cluster: %v: the PostgreSQL restart is skipped", err)
	}
	t.Cleanup(func() { _, _ = c.run("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop") })
	return c
}

func (c *Cluster) run(name string, args ...string) (string, error) {
	argv := append(append(append([]string(nil), c.as...), filepath.Join(pgBin, name)), args...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// DSN is the cluster's postgres database.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the cluster and waits until it accepts connections.
func (c *Cluster) Start() error {
	if out, err := c.run("pg_ctl", "-D", c.dir, "-l", filepath.Join(filepath.Dir(c.dir), "pg.log"), "-w", "-t", "60", "start"); err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	return nil
}

// Stop stops the cluster: mode "fast" (sessions ended, a clean shutdown) or
// "immediate" (a crash: recovery at the next start).
func (c *Cluster) Stop(mode string) error {
	if out, err := c.run("pg_ctl", "-D", c.dir, "-m", mode, "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

// Ping tells whether the cluster answers a query.
func (c *Cluster) Ping(ctx context.Context) bool {
	db, err := sql.Open("postgres", c.DSN())
	if err != nil {
		return false
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return db.PingContext(ctx) == nil
}
