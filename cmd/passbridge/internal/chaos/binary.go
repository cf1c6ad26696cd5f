package chaos

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var build struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// Binary builds ./cmd/passbridge once per test process into a directory
// that lives as long as the process, and returns its path. Plain `go
// build`, not a race build: the servers run at full speed whatever the
// tests' flags.
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		dir, err := os.MkdirTemp("", "passbridge-chaos-bin-")
		if err != nil {
			build.err = err
			return
		}
		build.path = filepath.Join(dir, "passbridge")
		cmd := exec.Command("go", "build", "-o", build.path, "github.com/passbridge/passbridge/cmd/passbridge")
		build.out, build.err = cmd.CombinedOutput()
	})
	if build.err != nil {
		t.Fatalf("build passbridge: %v\n%s", build.err, build.out)
	}
	return build.path
}

// RemoveBinary deletes what Binary built; TestMain calls it at the end.
func RemoveBinary() {
	if build.path != "" {
		_ = os.RemoveAll(filepath.Dir(build.path))
	}
}
