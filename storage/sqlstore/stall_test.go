package sqlstore_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// stallProxy forwards TCP connections to a server and can stall: hold
// every byte in both directions, and every new connection, without closing
// anything, as a partitioned network or a stuck proxy does.
type stallProxy struct {
	addr   string
	target string
	ln     net.Listener

	mu      sync.Mutex
	resumed chan struct{} // closed when the stall ends; nil when not stalled
	conns   map[net.Conn]bool
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &stallProxy{addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]bool{}}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		p.resume()
		p.mu.Lock()
		for c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.serve(c) })
		}
	})
	return p
}

func (p *stallProxy) serve(client net.Conn) {
	p.track(client)
	defer p.drop(client)
	p.wait()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	p.track(server)
	defer p.drop(server)
	done := make(chan struct{}, 2)
	go func() { p.copy(server, client); done <- struct{}{} }()
	go func() { p.copy(client, server); done <- struct{}{} }()
	<-done
}

// copy copies src to dst, holding what it read while stalled.
func (p *stallProxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.wait()
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *stallProxy) track(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns[c] = true
}

func (p *stallProxy) drop(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
	_ = c.Close()
}

// wait returns once the proxy is not stalled.
func (p *stallProxy) wait() {
	p.mu.Lock()
	resumed := p.resumed
	p.mu.Unlock()
	if resumed != nil {
		<-resumed
	}
}

// stall holds everything until resume, or for d at most: without the fix
// a call waits for the stall's end, and the test must end.
func (p *stallProxy) stall(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resumed == nil {
		p.resumed = make(chan struct{})
		resumed := p.resumed
		time.AfterFunc(d, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.resumed == resumed {
				close(resumed)
				p.resumed = nil
			}
		})
	}
}

// resume lets the held bytes and connections through.
func (p *stallProxy) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resumed != nil {
		close(p.resumed)
		p.resumed = nil
	}
}

// TestPostgresStallBoundedByContext: when the network to PostgreSQL stops
// moving bytes, a call whose context ends is answered ErrUnavailable then,
// not when the bytes flow again (lib/pq alone keeps reading the stalled
// connection); the connections it used are discarded, not reused
// half-read, and the store works as soon as the network does.
func TestPostgresStallBoundedByContext(t *testing.T) {
	if os.Getenv(sqlstoretest.EnvPostgresDSN) == "" {
		t.Skip(sqlstoretest.EnvPostgresDSN + " not set: PostgreSQL tests skipped")
	}
	const (
		timeout = time.Second
		// bound only detects a call that waited for the stall's end
		// (stallFor); it is no benchmark.
		bound    = 5 * time.Second
		stallFor = 8 * time.Second
	)
	ctx := t.Context()
	u, err := url.Parse(sqlstoretest.URL(t, sqlstoretest.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	p := newStallProxy(t, u.Host)
	u.Host = p.addr
	// lib/pq sets connect_timeout's deadline on every connection it dials,
	// cancel requests included: it must not undo the bounds.
	q := u.Query()
	q.Set("connect_timeout", "10")
	u.RawQuery = q.Encode()
	s, err := sqlstore.Open(ctx, u.String())
	if err != nil {
		t.Fatalf("open through the proxy: %v", err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	app := createApp(t, s)
	rename := func(ctx context.Context, name string) error {
		_, err := s.UpdateApp(ctx, app.ID, func(a storage.App) (storage.App, error) {
			a.Name = name
			return a, nil
		})
		return err
	}

	getApp := func(ctx context.Context) error {
		_, err := s.GetApp(ctx, app.ID)
		return err
	}
	tests := []struct {
		name string
		// call runs with the network stalled; idle is how many connections
		// the pool holds then.
		call func(ctx context.Context, idle int) error
	}{
		{"query on an idle connection", func(ctx context.Context, _ int) error { return getApp(ctx) }},
		{"transaction", func(ctx context.Context, _ int) error { return rename(ctx, "Stalled") }},
		{"queries on new connections", func(ctx context.Context, idle int) error {
			// More at once than the pool holds: the others connect
			// through the stalled network.
			n := idle + 4
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { errs[i] = getApp(ctx) })
			}
			wg.Wait()
			for _, err := range errs {
				if !errors.Is(err, storage.ErrUnavailable) {
					return err
				}
			}
			return errs[0]
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Warm up: statements prepared and cached, every connection
			// back in the pool.
			if err := getApp(ctx); err != nil {
				t.Fatalf("before the stall: %v", err)
			}
			if err := rename(ctx, "Before"); err != nil {
				t.Fatalf("before the stall: %v", err)
			}
			before := idleOnly(t, s)

			p.stall(stallFor)
			callCtx, cancel := context.WithTimeout(ctx, timeout)
			start := time.Now()
			err := tt.call(callCtx, before)
			took := time.Since(start)
			cancel()
			t.Logf("with the network stalled: %v after %s", err, took.Round(time.Millisecond))
			if !errors.Is(err, storage.ErrUnavailable) {
				t.Errorf("with the network stalled = %v; want ErrUnavailable", err)
			}
			if took > bound {
				t.Errorf("with the network stalled the call returned after %s; want about its %s timeout", took, timeout)
			}
			// The connections the call used are closed, not pooled. Checked
			// before the stall ends, so that none is replaced meanwhile.
			if open := s.Stats().OpenConnections; open >= before {
				t.Errorf("%d connections open after the stalled call, %d before; want the interrupted ones closed", open, before)
			}
			p.resume()

			for i := range 3 {
				name := "After " + tt.name + string(rune('0'+i))
				if err := rename(ctx, name); err != nil {
					t.Fatalf("rename after the stall: %v", err)
				}
				got, err := s.GetApp(ctx, app.ID)
				if err != nil || got.Name != name {
					t.Fatalf("GetApp after the stall = %q, %v; want %q", got.Name, err, name)
				}
			}
		})
	}
}

// idleOnly waits until no connection of s is in use (a statement prepared
// in the background, say) and returns how many are open.
func idleOnly(t *testing.T, s *sqlstore.Store) int {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		st := s.Stats()
		if st.InUse == 0 && st.OpenConnections > 0 {
			return st.OpenConnections
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections still in use: %+v", st)
		}
	}
}
