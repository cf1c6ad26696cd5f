//go:build e2e

package compose_test

import (
	"context"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// host stands in for Docker: the services' binaries, volumes and published
// ports on this machine, and the test's database for the postgres service.
type host struct {
	t           *testing.T
	file        composeFile
	databaseURL string
	binaries    map[string]string // binary path in an image → the one built here
	volumes     map[string]string // volume → a directory
	ports       map[string]string // a published port → a free local port
}

func newHost(t *testing.T, file composeFile) *host {
	t.Helper()
	h := &host{t: t, file: file, databaseURL: sqlstoretest.URL(t, sqlstoretest.Postgres),
		binaries: map[string]string{}, volumes: map[string]string{}, ports: map[string]string{}}
	pkgs := map[string]bool{}
	for name, svc := range file.Services {
		svc.name = name
		if svc.Build != nil {
			dockerfile := svc.Build.Dockerfile
			if dockerfile == "" {
				dockerfile = "Dockerfile"
			}
			if svc.Build.Context != "." {
				t.Fatalf("service %s builds from %q; the test knows the repository's root only", name, svc.Build.Context)
			}
			svc.image = readImage(t, dockerfile)
			pkgs[svc.image.pkg] = true
		}
		for _, p := range svc.Ports {
			published, target, ok := strings.Cut(p, ":")
			if !ok || strings.Contains(target, ":") {
				t.Fatalf("service %s publishes %q; the test knows PUBLISHED:TARGET only", name, p)
			}
			port, _ := exampletest.FreePort(t)
			h.ports[published], h.ports[target] = port, port
		}
		for _, v := range svc.Volumes {
			vol, _, _ := strings.Cut(v, ":")
			if strings.ContainsAny(vol, "./") {
				t.Fatalf("service %s mounts %q; the test knows named volumes only", name, v)
			}
			h.volumes[vol] = filepath.Join(t.TempDir(), vol)
		}
		file.Services[name] = svc
	}
	for vol, dir := range h.volumes {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("volume %s: %v", vol, err)
		}
	}
	built := h.build(slices.Sorted(maps.Keys(pkgs)))
	for name, svc := range file.Services {
		if svc.Build == nil {
			continue
		}
		h.binaries[svc.image.entrypoint[0]] = built[svc.image.pkg]
		svc.env = map[string]string{}
		for k, v := range svc.image.env {
			svc.env[k] = v
		}
		for k, v := range svc.Environment {
			svc.env[k] = v
		}
		file.Services[name] = svc
	}
	for name, svc := range file.Services {
		for k, v := range svc.env {
			svc.env[k] = h.translate(svc, v)
		}
		file.Services[name] = svc
	}
	return h
}

// build builds the packages' binaries into a temporary directory, with the
// race detector when the test has it (sharing its compiled packages).
func (h *host) build(pkgs []string) map[string]string {
	h.t.Helper()
	dir := h.t.TempDir()
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	if info, ok := debug.ReadBuildInfo(); ok && slices.ContainsFunc(info.Settings, func(s debug.BuildSetting) bool {
		return s.Key == "-race" && s.Value == "true"
	}) {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, pkgs...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		h.t.Fatalf("go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, out)
	}
	built := map[string]string{}
	for _, p := range pkgs {
		built[p] = filepath.Join(dir, filepath.Base(p))
	}
	return built
}

func (h *host) service(name string) service {
	h.t.Helper()
	svc, ok := h.file.Services[name]
	if !ok || svc.Build == nil {
		h.t.Fatalf("docker-compose.yml has no service %s built from this repository", name)
	}
	return svc
}

// startOrder is the order compose starts the built services in: each
// after the services it depends on (network_mode: service:X included).
func (h *host) startOrder() []string {
	var order []string
	var visit func(name string, path []string)
	visit = func(name string, path []string) {
		if slices.Contains(order, name) {
			return
		}
		if slices.Contains(path, name) {
			h.t.Fatalf("docker-compose.yml: a dependency cycle: %v", append(path, name))
		}
		svc := h.file.Services[name]
		deps := slices.Sorted(maps.Keys(svc.DependsOn))
		if dep, ok := strings.CutPrefix(svc.NetworkMode, "service:"); ok {
			deps = append(deps, dep)
		}
		for _, d := range deps {
			if h.file.Services[d].Build != nil {
				visit(d, append(path, name))
			}
		}
		order = append(order, name)
	}
	for _, name := range slices.Sorted(maps.Keys(h.file.Services)) {
		if h.file.Services[name].Build != nil {
			visit(name, nil)
		}
	}
	return order
}

var portRef = regexp.MustCompile(`:(\d+)\b`)

// translate turns a value meant for a container into one for this host: a
// PostgreSQL URL naming the postgres service into the test's database, a
// path in a mounted volume into the volume's directory, an image's binary
// into the one built here, a published port into its free local port, and
// "every address" into the loopback one.
func (h *host) translate(svc service, v string) string {
	h.t.Helper()
	if u, err := url.Parse(v); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		if u.Hostname() != "postgres" {
			h.t.Fatalf("service %s: database %s is not the postgres service", svc.name, u.Redacted())
		}
		return h.databaseURL
	}
	if bin, ok := h.binaries[v]; ok {
		return bin
	}
	if p, ok := h.volumePath(svc, v); ok {
		return p
	}
	v = portRef.ReplaceAllStringFunc(v, func(ref string) string {
		if port, ok := h.ports[ref[1:]]; ok {
			return ":" + port
		}
		return ref
	})
	v = strings.ReplaceAll(v, "0.0.0.0:", "127.0.0.1:")
	for name := range h.file.Services {
		if strings.Contains(v, "//"+name+":") || strings.HasPrefix(v, name+":") {
			h.t.Fatalf("service %s: %q reaches service %s by its name, which the test does not translate", svc.name, v, name)
		}
	}
	return v
}

// volumePath is where a path inside svc's container is on this host, if a
// volume holds it.
func (h *host) volumePath(svc service, p string) (string, bool) {
	for _, v := range svc.Volumes {
		parts := strings.Split(v, ":")
		if target := parts[1]; p == target || strings.HasPrefix(p, target+"/") {
			return h.volumes[parts[0]] + strings.TrimPrefix(p, target), true
		}
	}
	return "", false
}

// hostPath is volumePath, failing the test when no volume holds p.
func (h *host) hostPath(svc service, p string) string {
	h.t.Helper()
	hp, ok := h.volumePath(svc, p)
	if !ok {
		h.t.Fatalf("service %s: no volume holds %s", svc.name, p)
	}
	return hp
}

// argv is the process a service's container runs: the entrypoint with the
// service's command (or the image's), translated.
func (h *host) argv(svc service) []string {
	cmd := svc.Command
	if cmd == nil {
		cmd = svc.image.cmd
	}
	var argv []string
	for _, a := range append(slices.Clone(svc.image.entrypoint), cmd...) {
		argv = append(argv, h.translate(svc, a))
	}
	return argv
}

func (svc service) environ() []string {
	var env []string
	for k, v := range svc.env {
		env = append(env, k+"="+v)
	}
	return env
}

// start runs a long-lived service until the test ends. The channel is
// closed when it exits.
func (h *host) start(svc service) <-chan struct{} {
	h.t.Helper()
	argv := h.argv(svc)
	log := exampletest.LogWriter(h.t, svc.name)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = svc.environ()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		h.t.Fatalf("start %s: %v", svc.name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	h.t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	return exited
}

// runOnce runs a one-shot service to its end and returns its output,
// which the test log shows as compose's log would.
func (h *host) runOnce(svc service) (string, error) {
	h.t.Helper()
	argv := h.argv(svc)
	out, err := h.run(svc, argv)
	h.t.Logf("%s: %s: %v\n%s", svc.name, strings.Join(argv, " "), err, out)
	return out, err
}

// healthcheck runs the service's health check once, as Docker runs it in
// the container.
func (h *host) healthcheck(svc service) (string, error) {
	h.t.Helper()
	test := svc.Healthcheck.Test
	if len(test) < 2 || test[0] != "CMD" {
		h.t.Fatalf("service %s: health check %q; the test knows [CMD, ...] only", svc.name, test)
	}
	var argv []string
	for _, a := range test[1:] {
		argv = append(argv, h.translate(svc, a))
	}
	return h.run(svc, argv)
}

func (h *host) run(svc service, argv []string) (string, error) {
	ctx, cancel := context.WithTimeout(h.t.Context(), exampletest.WaitLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = svc.environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// waitHealthy runs the service's health check until it passes, as compose
// does for a service_healthy dependency, or the service exits.
func (h *host) waitHealthy(svc service, exited <-chan struct{}) {
	h.t.Helper()
	deadline := time.Now().Add(exampletest.WaitLimit)
	for {
		out, err := h.healthcheck(svc)
		if err == nil {
			return
		}
		select {
		case <-exited:
			h.t.Fatalf("%s exited before it was healthy", svc.name)
		default:
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s never became healthy: %v\n%s", svc.name, err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
