package provider_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// cutProxy is a TCP proxy that can be cut: while cut, it drops every
// connection it holds and every new one, as a database that went away would.
type cutProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]bool
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		p.setCut(true)
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); p.serve(c) }()
		}
	}()
	return p
}

func (p *cutProxy) serve(client net.Conn) {
	if !p.track(client) {
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(server) {
		p.drop(client)
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) { _, _ = io.Copy(dst, src); done <- struct{}{} }
	go pipe(server, client)
	go pipe(client, server)
	<-done
	p.drop(client)
	p.drop(server)
	<-done
}

// track registers a connection, or closes it at once while cut.
func (p *cutProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		_ = c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *cutProxy) drop(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
	_ = c.Close()
}

func (p *cutProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			_ = c.Close()
			delete(p.conns, c)
		}
	}
}

// TestPostgresOutage: with PostgreSQL gone, /readyz and requests that need
// the store answer 503 store_unavailable (no panic, no 500); once it is
// back, the same server recovers by itself.
func TestPostgresOutage(t *testing.T) {
	dsn := os.Getenv(sqlstoretest.EnvPostgresDSN)
	if dsn == "" {
		t.Skip(sqlstoretest.EnvPostgresDSN + " not set: PostgreSQL outage test skipped")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, u.Host)
	schema := createSchema(t, dsn)
	via := *u
	via.Host = proxy.ln.Addr().String()
	q := via.Query()
	q.Set("search_path", schema)
	q.Set("connect_timeout", "5")
	via.RawQuery = q.Encode()

	ctx := context.Background()
	st, err := sqlstore.Open(ctx, via.String())
	if err != nil {
		t.Fatalf("open through the proxy: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	app, secret := seedApp(t, st)
	srv, logs := newServer(t, st, provider.Deps{})
	h := srv.Handler()
	echo := func() (int, string) {
		code, body, _ := get(t, h, "POST", "/v1/apps/"+app.ID+"/echo", `{"say":"hi"}`,
			map[string]string{"Authorization": "Bearer " + secret})
		return code, body
	}

	if code, body, _ := get(t, h, "GET", "/readyz", "", nil); code != 200 {
		t.Fatalf("readyz before the outage: %d %s", code, body)
	}
	if code, body := echo(); code != 200 {
		t.Fatalf("request before the outage: %d %s", code, body)
	}

	proxy.setCut(true)
	for range 3 { // every attempt, not just the first after the cut
		if code, body, _ := get(t, h, "GET", "/readyz", "", nil); code != 503 || !strings.Contains(body, `"code":"store_unavailable"`) {
			t.Fatalf("readyz during the outage: %d %s", code, body)
		}
		code, body := echo()
		if code != 503 || !strings.Contains(body, `"code":"store_unavailable"`) {
			t.Fatalf("request during the outage: %d %s", code, body)
		}
		for _, leak := range []string{"pq:", "dial", "EOF", "connection"} {
			if strings.Contains(body, leak) {
				t.Fatalf("driver text %q reached the client: %s", leak, body)
			}
		}
	}
	if code, _, _ := get(t, h, "GET", "/healthz", "", nil); code != 200 {
		t.Fatalf("healthz during the outage: %d", code)
	}

	proxy.setCut(false)
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, _, _ := get(t, h, "GET", "/readyz", "", nil)
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz did not recover: %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, body := echo(); code != 200 {
		t.Fatalf("request after the outage: %d %s", code, body)
	}
	if strings.Contains(logs.String(), "panic") {
		t.Fatalf("panic during the outage: %s", logs)
	}
}

// createSchema makes an empty schema for the test, dropped at its end.
func createSchema(t *testing.T, dsn string) string {
	t.Helper()
	admin, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := "pbt_outage_" + storage.NewID()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil && !errors.Is(err, sql.ErrConnDone) {
			t.Errorf("drop schema: %v", err)
		}
	})
	return schema
}
