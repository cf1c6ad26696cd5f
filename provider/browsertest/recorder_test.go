//go:build e2e

package browsertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// recorded is one request of the Flex client API as the browser sent it, and
// how the server answered.
type recorded struct {
	Method string
	Path   string // e.g. "register/transactions/webauthn/start"
	Header http.Header
	Body   map[string]json.RawMessage // nil for a body that is not a JSON object

	Status int
	Code   string // the error code of an error answer
	Error  string // the error message of an error answer
}

// recorder keeps the client API requests a server saw, so a test can check
// what the SDK put on the wire and what the server answered.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

// clientPath returns the part of path after /v1/apps/{app_id}/ when path is
// a client ceremony call.
func clientPath(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/v1/apps/")
	if !ok {
		return "", false
	}
	_, rest, ok = strings.Cut(rest, "/")
	if !ok || !strings.Contains(rest, "/transactions/webauthn/") {
		return "", false
	}
	return rest, true
}

// wrap records the client API requests next serves.
func (r *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		path, ok := clientPath(req.URL.Path)
		if !ok {
			next.ServeHTTP(w, req)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		req.Body = io.NopCloser(bytes.NewReader(body))
		cw := &capture{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(cw, req)

		rec := recorded{Method: req.Method, Path: path, Header: req.Header.Clone(), Status: cw.status}
		_ = json.Unmarshal(body, &rec.Body) // stays nil for a non-object body
		var answer struct{ Code, Error string }
		if cw.status >= 400 && json.Unmarshal(cw.body.Bytes(), &answer) == nil {
			rec.Code, rec.Error = answer.Code, answer.Error
		}
		r.mu.Lock()
		r.reqs = append(r.reqs, rec)
		r.mu.Unlock()
	})
}

// take returns the requests recorded since the last take.
func (r *recorder) take() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

// capture keeps a copy of the status and body written through it.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(status int) {
	c.status = status
	c.ResponseWriter.WriteHeader(status)
}

func (c *capture) Write(p []byte) (int, error) {
	c.body.Write(p)
	return c.ResponseWriter.Write(p)
}
