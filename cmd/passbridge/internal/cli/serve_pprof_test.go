package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// With debug_listen, Go's profiler is served there and nowhere else, and
// nothing else is served there.
func TestServeDebugListen(t *testing.T) {
	env := map[string]string{"PASSBRIDGE_DATA_DIR": filepath.Join(t.TempDir(), "data"), "PASSBRIDGE_DEBUG_LISTEN": "127.0.0.1:0"}
	srv := startServe(t, env)
	addr := logAddr(srv.stderr.String(), "serving the profiler")
	if addr == "" {
		t.Fatalf("no profiler listener logged:\n%s", srv.stderr)
	}
	if code, _, body := httpGet(t, "http://"+addr+"/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("profiler index: %d\n%s", code, body)
	}
	if code, ctype, _ := httpGet(t, "http://"+addr+"/debug/pprof/profile?seconds=1"); code != 200 || ctype != "application/octet-stream" {
		t.Fatalf("CPU profile: %d %s", code, ctype)
	}
	if code, _, _ := httpGet(t, "http://"+addr+"/healthz"); code != 404 {
		t.Fatalf("debug listener GET /healthz: %d", code)
	}
	if code, _, _ := httpGet(t, srv.base+"/debug/pprof/"); code != 404 {
		t.Fatalf("public GET /debug/pprof/: %d", code)
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("serve returned %v on shutdown", err)
	}
}

// Without debug_listen nothing serves the profiler.
func TestServeNoProfilerByDefault(t *testing.T) {
	srv := startServe(t, map[string]string{"PASSBRIDGE_DATA_DIR": filepath.Join(t.TempDir(), "data")})
	if addr := logAddr(srv.stderr.String(), "serving the profiler"); addr != "" {
		t.Fatalf("profiler served at %s without debug_listen", addr)
	}
	if code, _, _ := httpGet(t, srv.base+"/debug/pprof/"); code != 404 {
		t.Fatalf("public GET /debug/pprof/: %d", code)
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("serve returned %v on shutdown", err)
	}
}
