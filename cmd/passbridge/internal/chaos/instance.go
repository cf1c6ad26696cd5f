package chaos

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Instance is one `passbridge serve` process on a fixed loopback port. It
// can be killed and started again on the same port, as a supervisor
// (systemd, Kubernetes) would.
type Instance struct {
	Name string
	Addr string // 127.0.0.1:port
	bin  string
	args []string
	env  []string
	log  string // the file stdout and stderr go to, across restarts

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// InstanceConfig is what an instance serves.
type InstanceConfig struct {
	Name        string
	DatabaseURL string
	MasterKey   string
	Issuer      string
	DataDir     string
	// GCInterval is --gc-interval ("" is the default, 1m).
	GCInterval string
	// Args are more flags of serve.
	Args []string
}

// NewInstance prepares an instance on a free port; Start runs it. It is
// stopped when the test ends.
func NewInstance(t testing.TB, bin string, c InstanceConfig) *Instance {
	t.Helper()
	addr := freeAddr(t)
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	args := []string{"serve", "--listen", addr, "--issuer", c.Issuer, "--rate-limit", "0", "--key-rate-limit", "0",
		"--log-level", "warn"}
	if c.GCInterval != "" {
		args = append(args, "--gc-interval", c.GCInterval)
	}
	args = append(args, c.Args...)
	env := append(os.Environ(), "PASSBRIDGE_MASTER_KEY="+c.MasterKey, "PASSBRIDGE_DATABASE_URL="+c.DatabaseURL,
		"PASSBRIDGE_DATA_DIR="+c.DataDir)
	in := &Instance{Name: c.Name, Addr: addr, bin: bin, args: args, env: env, log: filepath.Join(c.DataDir, c.Name+".log")}
	t.Cleanup(in.Stop)
	return in
}

// URL is the instance's own base URL (not the issuer).
func (in *Instance) URL() string { return "http://" + in.Addr }

// Start runs the process and waits until /readyz answers 200; it returns
// the time that took.
func (in *Instance) Start(ctx context.Context) (time.Duration, error) {
	in.mu.Lock()
	if in.cmd != nil {
		in.mu.Unlock()
		return 0, fmt.Errorf("%s is running", in.Name)
	}
	f, err := os.OpenFile(in.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		in.mu.Unlock()
		return 0, err
	}
	cmd := exec.Command(in.bin, in.args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = in.env, f, f
	start := time.Now()
	if err := cmd.Start(); err != nil {
		f.Close()
		in.mu.Unlock()
		return 0, err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(done) }()
	in.cmd, in.done = cmd, done
	in.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		if status(ctx, in.URL()+"/readyz") == http.StatusOK {
			return time.Since(start), nil
		}
		select {
		case <-done:
			return 0, fmt.Errorf("%s exited before it was ready:\n%s", in.Name, in.LogTail())
		case <-ctx.Done():
			return 0, fmt.Errorf("%s not ready after %s:\n%s", in.Name, time.Since(start).Round(time.Millisecond), in.LogTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// PID is the running process's id, 0 when none runs.
func (in *Instance) PID() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd == nil {
		return 0
	}
	return in.cmd.Process.Pid
}

// Kill sends SIGKILL and waits for the process to be gone.
func (in *Instance) Kill() {
	in.signal(syscall.SIGKILL, 0)
}

// Stop sends SIGTERM (a graceful shutdown), and SIGKILL after 20 s.
func (in *Instance) Stop() {
	in.signal(syscall.SIGTERM, 20*time.Second)
}

func (in *Instance) signal(sig syscall.Signal, grace time.Duration) {
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.cmd, in.done = nil, nil
	in.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	if grace > 0 {
		select {
		case <-done:
			return
		case <-time.After(grace):
			_ = cmd.Process.Kill()
		}
	}
	<-done
}

// Errors are the last n lines of the instance's log at level ERROR.
func (in *Instance) Errors(n int) []string {
	raw, _ := os.ReadFile(in.log)
	var out []string
	for line := range strings.SplitSeq(string(raw), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			out = append(out, line)
		}
	}
	return out[max(0, len(out)-n):]
}

// LogTail is the end of the instance's log.
func (in *Instance) LogTail() string {
	raw, _ := os.ReadFile(in.log)
	if len(raw) > 4000 {
		raw = raw[len(raw)-4000:]
	}
	return string(raw)
}

// status GETs url and returns the status, 0 when there was no answer.
func status(ctx context.Context, url string) int {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	res, err := probeClient.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// probeClient keeps no connection: a probe must not hold one to a process
// about to be killed.
var probeClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// freeAddr is a loopback address nothing listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// portOf is the port of a host:port.
func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// runCLI runs a passbridge command with env and returns its stdout.
func runCLI(ctx context.Context, bin string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("passbridge %s: %v: %s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), nil
}
