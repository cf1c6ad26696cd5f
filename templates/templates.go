// Package templates holds passbridge's browser-facing files: the HTML pages
// (pages/…), and the static files (static/…) such as the browser SDK, page
// scripts and style sheets. They are compiled into the binary; an operator may
// serve a directory with the same layout instead, to change how the pages look
// without rebuilding.
//
// Page scripts live here as static files, not inline in the HTML, so the
// Content-Security-Policy can forbid inline script.
package templates

import (
	"embed"
	"io/fs"
	"os"
)

// embedded is the tree compiled into the binary. A new top-level directory
// (pages/) joins the directive together with its first file, since a pattern
// that matches nothing fails the build; "all:" keeps files whose names start
// with "." or "_".
//
//go:embed all:static all:pages
var embedded embed.FS

// FS returns the files compiled into the binary, rooted so that paths read
// "static/sdk/flex.js".
func FS() fs.FS {
	return embedded
}

// Dir returns the tree rooted at the directory path, laid out like FS, for an
// operator who overrides the built-in files. It must hold every file the
// server reads, not only the changed ones: a missing file is an error, never a
// silent fallback to the built-in one.
func Dir(path string) fs.FS {
	return os.DirFS(path)
}

// Load returns Dir(path) when path is set, and the built-in FS otherwise: the
// one call a server makes with its configured override directory.
func Load(path string) fs.FS {
	if path == "" {
		return FS()
	}
	return Dir(path)
}
