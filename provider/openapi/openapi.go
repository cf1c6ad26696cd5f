package openapi

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// Path is where the document is served.
const Path = "/openapi.json"

//go:embed openapi.json
var document []byte

// checked validates the embedded document once: a malformed file is a build
// defect, caught by the first caller rather than served to clients.
var checked = sync.OnceValue(func() error {
	if !json.Valid(document) {
		return errors.New("openapi: embedded openapi.json is not valid JSON")
	}
	return nil
})

// Document returns the OpenAPI document as served. It panics if the embedded
// file is not valid JSON, which the package's tests rule out.
func Document() []byte {
	if err := checked(); err != nil {
		panic(err)
	}
	return bytes.Clone(document)
}

// API serves the document.
type API struct {
	body []byte
	etag string
}

// New returns the API that serves the document; the body and its ETag are
// computed once.
func New() *API {
	body := Document()
	sum := sha256.Sum256(body)
	return &API{body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`}
}

// RegisterRoutes mounts GET and HEAD /openapi.json on r.
func (a *API) RegisterRoutes(r *gin.RouterGroup) {
	r.GET(Path, a.serve)
	r.HEAD(Path, a.serve)
}

// cacheControl lets browsers and proxies keep the document a few minutes: it
// only changes with a new release, and the ETag makes revalidation cheap.
const cacheControl = "public, max-age=300"

func (a *API) serve(c *gin.Context) {
	c.Header("ETag", a.etag)
	c.Header("Cache-Control", cacheControl)
	c.Header("X-Content-Type-Options", "nosniff")
	if etagMatches(c.GetHeader("If-None-Match"), a.etag) {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, "application/json", a.body)
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 §13.1.2): a
// list of entity tags, "W/" prefixes ignored, or "*".
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
