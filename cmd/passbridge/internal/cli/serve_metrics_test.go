package cli

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// logAddr finds the address of the log line with message msg.
func logAddr(logs, msg string) string {
	for _, line := range strings.Split(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			addr, _ := m["addr"].(string)
			return addr
		}
	}
	return ""
}

func httpGet(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

// With metrics_listen, /metrics is served there and only there; both
// listeners stop together on shutdown.
func TestServeMetricsListen(t *testing.T) {
	env := map[string]string{"PASSBRIDGE_DATA_DIR": filepath.Join(t.TempDir(), "data"), "PASSBRIDGE_METRICS_LISTEN": "127.0.0.1:0"}
	srv := startServe(t, env)
	metricsAddr := logAddr(srv.stderr.String(), "serving metrics")
	if metricsAddr == "" {
		t.Fatalf("no metrics listener logged:\n%s", srv.stderr)
	}
	if metricsAddr == strings.TrimPrefix(srv.base, "http://") {
		t.Fatalf("metrics on the public address %s", metricsAddr)
	}

	if code := srv.get(t, "/healthz"); code != 200 {
		t.Fatalf("public healthz: %d", code)
	}
	code, ctype, body := httpGet(t, srv.base+"/metrics")
	if code != 404 || !strings.Contains(body, `"code":"not_found"`) {
		t.Fatalf("public GET /metrics: %d %s %s", code, ctype, body)
	}
	code, ctype, body = httpGet(t, "http://"+metricsAddr+"/metrics")
	if code != 200 || !strings.HasPrefix(ctype, "text/plain") ||
		!strings.Contains(body, `passbridge_http_requests_total{method="GET",route="/healthz",status="200"} 1`) {
		t.Fatalf("metrics listener GET /metrics: %d %s\n%s", code, ctype, body)
	}
	if code, _, body := httpGet(t, "http://"+metricsAddr+"/healthz"); code != 404 || !strings.Contains(body, `"code":"not_found"`) {
		t.Fatalf("metrics listener GET /healthz: %d %s", code, body)
	}

	if err := srv.stop(); err != nil {
		t.Fatalf("serve returned %v on shutdown", err)
	}
	if !strings.Contains(srv.stderr.String(), `"msg":"stopped"`) {
		t.Fatalf("no graceful stop logged:\n%s", srv.stderr)
	}
	for _, addr := range []string{metricsAddr, strings.TrimPrefix(srv.base, "http://")} {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections after shutdown", addr)
		}
	}
}

// Without metrics_listen, /metrics stays on the public listener.
func TestServeMetricsOnListenByDefault(t *testing.T) {
	srv := startServe(t, map[string]string{"PASSBRIDGE_DATA_DIR": filepath.Join(t.TempDir(), "data")})
	if logAddr(srv.stderr.String(), "serving metrics") != "" {
		t.Fatalf("metrics listener without metrics_listen:\n%s", srv.stderr)
	}
	if code, ctype, _ := httpGet(t, srv.base+"/metrics"); code != 200 || !strings.HasPrefix(ctype, "text/plain") {
		t.Fatalf("public GET /metrics: %d %s", code, ctype)
	}
}

// A metrics address that cannot be listened on stops serve, and the public
// listener with it.
func TestServeMetricsListenBusy(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	// Were the address ignored, serve would run: the deadline ends it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := runContext(ctx, t, map[string]string{"PASSBRIDGE_DATA_DIR": filepath.Join(t.TempDir(), "data")}, &syncBuffer{}, &syncBuffer{},
		"serve", "--listen", "127.0.0.1:0", "--metrics-listen", busy.Addr().String())
	if res.err == nil || !strings.Contains(res.err.Error(), "listen on "+busy.Addr().String()) {
		t.Fatalf("serve with a busy metrics address: %v", res.err)
	}
}
