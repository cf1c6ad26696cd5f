package exampletest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// npmOnce runs one install per example directory in the test process.
var npmOnce sync.Map // dir → *npmResult

type npmResult struct {
	once sync.Once
	err  error
	out  string
}

// NeedNode skips the test, visibly, when Node.js and npm are not installed.
func NeedNode(t testing.TB) {
	t.Helper()
	for _, cmd := range []string{"node", "npm"} {
		if _, err := exec.LookPath(cmd); err != nil {
			t.Skipf("Node.js example skipped: no %s on PATH (apt-get install nodejs npm)", cmd)
		}
	}
}

// NPMInstall installs dir's packages exactly as its package-lock.json pins
// them (npm ci), as the example's README's one command does; once per test
// process, and not at all when node_modules already holds that lockfile's
// packages.
func NPMInstall(t testing.TB, dir string) {
	t.Helper()
	NeedNode(t)
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := npmOnce.LoadOrStore(abs, &npmResult{})
	r := v.(*npmResult)
	r.once.Do(func() {
		if installed(abs) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = abs
		out, err := cmd.CombinedOutput()
		r.err, r.out = err, string(out)
	})
	if r.err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, r.err, r.out)
	}
}

// installed reports whether node_modules holds what package-lock.json pins:
// npm writes node_modules/.package-lock.json after an install, a copy of
// the lockfile's package entries.
func installed(dir string) bool {
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return false
	}
	hidden, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	return err == nil && !hidden.ModTime().Before(lock.ModTime())
}

// FreePort returns a loopback port nothing listens on now, for a process
// the test starts to listen on; and that port's origin,
// http://localhost:PORT.
func FreePort(t testing.TB) (port, origin string) {
	t.Helper()
	ln, origin := Listen(t)
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port, origin
}

// StartNode runs `node script` in dir with env added to the test's own
// environment, logs its output to the test log, waits until origin answers
// HTTP, and kills the process (and its children) when the test ends. It
// returns the process's log.
func StartNode(t testing.TB, dir, script, origin string, env map[string]string) *Log {
	t.Helper()
	NeedNode(t)
	log := LogWriter(t, filepath.Base(dir))
	cmd := exec.Command("node", script)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node %s: %v", script, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})

	deadline := time.Now().Add(WaitLimit)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("node %s exited before it answered: %v\n%s", script, err, log.String())
		default:
		}
		res, err := client.Get(origin + "/")
		if err == nil {
			res.Body.Close()
			return log
		}
		var opErr *net.OpError
		if !errors.As(err, &opErr) && !strings.Contains(err.Error(), "connection refused") {
			t.Logf("waiting for %s: %v", origin, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s did not answer at %s: %v\n%s", script, origin, err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
