package templates

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestFSHoldsTheSDK(t *testing.T) {
	for _, name := range []string{"static/sdk/flex.js", "static/sdk/flex.d.ts"} {
		b, err := fs.ReadFile(FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			t.Errorf("%s is empty", name)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "static", "sdk"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "static", "sdk", "flex.js"), []byte("override"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir, file string
		want            string // "" = the built-in file
		wantErr         bool
	}{
		{name: "built in", dir: "", file: "static/sdk/flex.js"},
		{name: "override", dir: dir, file: "static/sdk/flex.js", want: "override"},
		{name: "override misses a file", dir: dir, file: "static/sdk/flex.d.ts", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := fs.ReadFile(Load(tc.dir), tc.file)
			if tc.wantErr {
				if err == nil {
					t.Fatal("read a file the override directory lacks")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want == "" {
				builtin, err := fs.ReadFile(FS(), tc.file)
				if err != nil {
					t.Fatal(err)
				}
				want = string(builtin)
			}
			if string(b) != want {
				t.Errorf("read %d bytes, not the expected file", len(b))
			}
		})
	}
}
