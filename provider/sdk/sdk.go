// Package sdk serves the browser SDK (templates/static/sdk) at /sdk/flex.js,
// with its TypeScript declarations at /sdk/flex.d.ts.
//
// The SDK is a public, credential-less ES module that pages of other origins
// import; module scripts are fetched in CORS mode, so every answer allows any
// origin. The files are read and hashed once, at construction.
package sdk

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/templates"
)

// dir is where the SDK lives inside the templates tree.
const dir = "static/sdk"

// cacheControl lets browsers and CDNs keep the SDK for five minutes: pages
// import it on every load, and a fix must still reach them soon.
const cacheControl = "public, max-age=300"

// files are the files served, by name, with their media types and, for a
// module, where its type declarations are (the X-TypeScript-Types header that
// Deno reads).
var files = []struct{ name, contentType, types string }{
	{"flex.js", "text/javascript; charset=utf-8", "./flex.d.ts"},
	// application/typescript is what Deno and TypeScript tooling expect of a .d.ts.
	{"flex.d.ts", "application/typescript; charset=utf-8", ""},
}

// Handler serves the SDK files.
type Handler struct {
	assets map[string]asset
}

type asset struct {
	body        []byte
	contentType string
	types       string
	etag        string
	length      string
}

// New returns a Handler serving the SDK built into the binary. The built-in
// tree always holds the SDK, so a failure here is a broken build and panics.
func New() *Handler {
	h, err := NewFS(templates.FS())
	if err != nil {
		panic(err)
	}
	return h
}

// NewFS returns a Handler serving the SDK of fsys, a tree laid out like
// templates.FS (an operator's override directory).
func NewFS(fsys fs.FS) (*Handler, error) {
	h := &Handler{assets: make(map[string]asset, len(files))}
	for _, f := range files {
		body, err := fs.ReadFile(fsys, path.Join(dir, f.name))
		if err != nil {
			return nil, fmt.Errorf("sdk: read %s: %w", f.name, err)
		}
		sum := sha256.Sum256(body)
		h.assets[f.name] = asset{
			body:        body,
			contentType: f.contentType,
			types:       f.types,
			length:      strconv.Itoa(len(body)),
			etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:]) + `"`,
		}
	}
	return h, nil
}

// RegisterRoutes mounts GET and HEAD /sdk/flex.js and /sdk/flex.d.ts on r.
func (h *Handler) RegisterRoutes(r *gin.RouterGroup) {
	for _, f := range files {
		serve := serveAsset(h.assets[f.name])
		r.GET("/sdk/"+f.name, serve)
		r.HEAD("/sdk/"+f.name, serve)
	}
}

// serveAsset answers with a, or 304 when the client holds it already.
func serveAsset(a asset) gin.HandlerFunc {
	return func(c *gin.Context) {
		hd := c.Writer.Header()
		hd.Set("ETag", a.etag)
		hd.Set("Cache-Control", cacheControl)
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("X-Content-Type-Options", "nosniff")
		if a.types != "" {
			hd.Set("X-TypeScript-Types", a.types)
		}
		if etagMatches(c.GetHeader("If-None-Match"), a.etag) {
			c.Status(http.StatusNotModified)
			c.Writer.WriteHeaderNow()
			return
		}
		hd.Set("Content-Length", a.length)
		c.Data(http.StatusOK, a.contentType, a.body)
	}
}
