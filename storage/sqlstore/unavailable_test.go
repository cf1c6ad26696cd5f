package sqlstore_test

import (
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// proxy forwards TCP connections to a server; stop cuts every connection
// and stops listening, as a database that went away; start listens again on
// the same address.
type proxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	l     net.Listener
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	p.start("127.0.0.1:0")
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start(addr string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.l, p.addr = l, l.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *proxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, up)
	p.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.l.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestPostgresUnavailable: a database that goes away answers ErrUnavailable
// (so the server can answer 503), and the store recovers by itself, cached
// prepared statements included, when it comes back.
func TestPostgresUnavailable(t *testing.T) {
	if os.Getenv(sqlstoretest.EnvPostgresDSN) == "" {
		t.Skip(sqlstoretest.EnvPostgresDSN + " not set: PostgreSQL tests skipped")
	}
	ctx := t.Context()
	u, err := url.Parse(sqlstoretest.URL(t, sqlstoretest.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.addr
	s, err := sqlstore.Open(ctx, u.String())
	if err != nil {
		t.Fatalf("open through the proxy: %v", err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	app := createApp(t, s)
	if _, err := s.GetApp(ctx, app.ID); err != nil { // prepares and caches the statement
		t.Fatalf("get app: %v", err)
	}

	p.stop()
	if err := s.Ping(ctx); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Ping with the database gone = %v; want ErrUnavailable", err)
	}
	if _, err := s.GetApp(ctx, app.ID); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("GetApp with the database gone = %v; want ErrUnavailable", err)
	}
	if err := s.CreateApp(ctx, storage.App{ID: storage.NewID()}); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("CreateApp with the database gone = %v; want ErrUnavailable", err)
	}
	_, err = s.UpdateApp(ctx, app.ID, func(a storage.App) (storage.App, error) { return a, nil })
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("UpdateApp with the database gone = %v; want ErrUnavailable", err)
	}

	p.start(p.addr)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping with the database back: %v", err)
	}
	if got, err := s.GetApp(ctx, app.ID); err != nil || got.ID != app.ID {
		t.Fatalf("GetApp with the database back = %v, %v", got.ID, err)
	}
}

// TestPostgresBackendsTerminated: when the server ends every connection (a
// restart, an administrator), the next calls succeed on new connections,
// re-preparing cached statements; a call may fail only with ErrUnavailable.
func TestPostgresBackendsTerminated(t *testing.T) {
	if os.Getenv(sqlstoretest.EnvPostgresDSN) == "" {
		t.Skip(sqlstoretest.EnvPostgresDSN + " not set: PostgreSQL tests skipped")
	}
	ctx := t.Context()
	u, err := url.Parse(sqlstoretest.URL(t, sqlstoretest.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	name := "pbt_" + storage.NewID()
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	s, err := sqlstore.Open(ctx, u.String())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	app := createApp(t, s)
	if _, err := s.GetApp(ctx, app.ID); err != nil {
		t.Fatalf("get app: %v", err)
	}

	admin := sqlstoretest.Open(t, sqlstoretest.Postgres).DBForTest()
	var killed int
	if err := admin.GetContext(ctx, &killed,
		`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, name); err != nil {
		t.Fatalf("terminate backends: %v", err)
	}
	if killed == 0 {
		t.Fatal("no backend of the store to terminate")
	}

	const attempts = 3
	for i := range attempts {
		_, err = s.GetApp(ctx, app.ID)
		if err == nil {
			break
		}
		if !errors.Is(err, storage.ErrUnavailable) {
			t.Fatalf("GetApp after termination (attempt %d) = %v; want success or ErrUnavailable", i+1, err)
		}
	}
	if err != nil {
		t.Fatalf("GetApp still fails after %d attempts: %v", attempts, err)
	}
}
