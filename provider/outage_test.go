package provider_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

func TestPostgresOutage(t *testing.T) {
	dsn := os.Getenv(sqlstoretest.EnvPostgresDSN)
	if dsn == "" {
		t.Skip(sqlstoretest.EnvPostgresDSN + " not set: PostgreSQL outage test skipped")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := sqlstoretest.NewNetProxy(t, u.Host)
	schema := createSchema(t, dsn)
	via := *u
	via.Host = proxy.Addr
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

	proxy.Cut()
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

	proxy.Heal()
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
