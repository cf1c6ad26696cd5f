package bench

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/loadflow"
)

// With --server-pid the report has the server's CPU time and memory; the
// server is this test's own process. With --cpuprofile the profile of the
// measured window is fetched from a net/http/pprof listener, as the
// server's debug listener serves it.
func TestServerPIDAndCPUProfile(t *testing.T) {
	s := newServer(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	debug := httptest.NewServer(mux)
	t.Cleanup(debug.Close)

	file := filepath.Join(t.TempDir(), "cpu.pprof")
	cfg := s.config(loadflow.FlexAuth)
	cfg.Setup, cfg.Iterations, cfg.Duration, cfg.Warmup = s.storeBackend(), 0, 1500*time.Millisecond, Warmup{}
	cfg.ServerPID, cfg.CPUProfile, cfg.PprofURL = os.Getpid(), file, debug.URL
	reports, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := reports[0]
	if r.Errors != 0 || r.Iterations == 0 {
		t.Fatalf("%+v", r)
	}
	srv := r.Server
	if srv == nil || srv.CPUS <= 0 || srv.CPUMSPerIteration <= 0 || srv.RSSMiB <= 0 || srv.PeakRSSMiB < srv.RSSMiB {
		t.Fatalf("server %+v", srv)
	}
	if r.CPUProfile != file {
		t.Fatalf("cpu_profile %q", r.CPUProfile)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// A profile is gzipped protocol buffers.
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("profile is not gzip: %v", err)
	}
	if body, err := io.ReadAll(zr); err != nil || len(body) == 0 {
		t.Fatalf("profile: %d bytes, %v", len(body), err)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, reports); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "SRV CPU MS/ITER") || !strings.Contains(table.String(), file) {
		t.Errorf("table:\n%s", table.String())
	}
}

// A debug listener that refuses is an error naming the profile.
func TestCPUProfileRefused(t *testing.T) {
	s := newServer(t)
	cfg := s.config(loadflow.Discoverable)
	cfg.Setup, cfg.Iterations, cfg.Duration, cfg.Warmup = s.storeBackend(), 0, 200*time.Millisecond, Warmup{}
	cfg.CPUProfile, cfg.PprofURL = filepath.Join(t.TempDir(), "cpu.pprof"), s.Issuer
	_, err := Run(t.Context(), cfg)
	if err == nil || !strings.HasPrefix(err.Error(), "cpu profile: "+s.Issuer+"/debug/pprof/profile?seconds=1: 404") {
		t.Fatalf("%v", err)
	}
	if apps := s.apps(t); len(apps) != 0 {
		t.Fatalf("a failed run left %d apps", len(apps))
	}
}

// A process that does not exist is refused before anything runs.
func TestServerPIDMissing(t *testing.T) {
	s := newServer(t)
	cfg := s.config(loadflow.FlexAuth)
	cfg.Setup, cfg.ServerPID = s.storeBackend(), 1<<30
	if _, err := Run(t.Context(), cfg); err == nil || !strings.HasPrefix(err.Error(), "--server-pid 1073741824: ") {
		t.Fatalf("%v", err)
	}
}

func TestProfileNames(t *testing.T) {
	for _, tc := range []struct{ base, want string }{
		{"http://127.0.0.1:6060", "http://127.0.0.1:6060/debug/pprof/profile?seconds=3"},
		{"http://127.0.0.1:6060/debug/pprof/", "http://127.0.0.1:6060/debug/pprof/profile?seconds=3"},
		{"http://127.0.0.1:6060/debug/pprof/profile", "http://127.0.0.1:6060/debug/pprof/profile?seconds=3"},
	} {
		if got := profileURL(tc.base, 2500*time.Millisecond); got != tc.want {
			t.Errorf("%s: %s", tc.base, got)
		}
	}
	if got := profileFile("out/cpu.pprof", "oidc", 2); got != "out/cpu-oidc.pprof" {
		t.Errorf("several flows: %s", got)
	}
	if got := profileFile("cpu.pprof", "oidc", 1); got != "cpu.pprof" {
		t.Errorf("one flow: %s", got)
	}
}

func TestPercentile(t *testing.T) {
	tl := newTally()
	for i := 100; i >= 1; i-- {
		tl.add(time.Duration(i)*time.Millisecond, nil, []stepTime{{"a", time.Millisecond}, {"b", 3 * time.Millisecond}})
	}
	l := tl.latency()
	if l.P50 != 50 || l.P90 != 90 || l.P99 != 99 || l.Max != 100 || l.Mean != 50.5 {
		t.Fatalf("%+v", l)
	}
	steps := tl.stepReport()
	if len(steps) != 2 || steps[0].Name != "a" || steps[0].Share != 0.25 || steps[1].MeanMS != 3 || steps[1].Count != 100 {
		t.Fatalf("%+v", steps)
	}
}
