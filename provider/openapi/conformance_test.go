package openapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/adminapi"
	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/provider/openapi"
	"github.com/passbridge/passbridge/provider/passkeyapi"
	"github.com/passbridge/passbridge/provider/sdk"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// The server of the conformance tests: the defaults of `passbridge serve`.
const (
	issuer = "http://localhost:8080"
	origin = "http://localhost:8080"
)

// world is a server with every documented area on a real SQLite store, an
// app with an API key, and the document to hold the answers to.
type world struct {
	engine  *gin.Engine
	doc     doc
	checker schemaChecker
	app     storage.App
	key     string
	// store is the world's store; adminKey an admin key of it.
	store    storage.Store
	adminKey string
	// exercised records each documented operation answered with 2xx.
	exercised map[string]bool
}

// newWorld builds a world; each configure function changes the server's
// Deps before the server is built.
func newWorld(t *testing.T, configure ...func(*provider.Deps)) *world {
	t.Helper()
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	svc, err := ceremony.New(ceremony.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	masterKey := storage.RandomBytes(32)
	keys, err := signing.New(signing.Config{Store: st, MasterKey: masterKey})
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Ensure(t.Context()); err != nil {
		t.Fatal(err)
	}
	admin, err := adminapi.New(adminapi.Deps{Store: st, Ceremony: svc, Keys: keys, MasterKey: masterKey, Issuer: issuer})
	if err != nil {
		t.Fatal(err)
	}
	deps := provider.Deps{
		Store:    st,
		Ceremony: svc,
		Issuer:   issuer,
		Areas: []provider.Area{
			flexapi.New(flexapi.Deps{Store: st, Ceremony: svc, Issuer: issuer}),
			passkeyapi.New(passkeyapi.Deps{Store: st, Ceremony: svc}),
			sdk.New(),
			openapi.New(),
			admin,
		},
	}
	for _, f := range configure {
		f(&deps)
	}
	srv, err := provider.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	engine, ok := srv.Handler().(*gin.Engine)
	if !ok {
		t.Fatalf("provider's handler is a %T, not a gin engine", srv.Handler())
	}
	app, err := ceremony.PrepareApp(storage.App{ID: storage.NewID(), Name: "Docs", RPID: "localhost", Origins: []string{origin}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateApp(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	key, prefix := storage.NewSecret(storage.PrefixAPIKey)
	err = st.CreateAPIKey(t.Context(), storage.APIKey{
		ID: storage.NewID(), AppID: app.ID, Name: "docs", Prefix: prefix, Hash: storage.HashSecret(key),
	})
	if err != nil {
		t.Fatal(err)
	}
	adminSecret, adminPrefix := storage.NewSecret(storage.PrefixAdminKey)
	err = st.CreateAdminKey(t.Context(), storage.AdminKey{
		ID: storage.NewID(), Name: "docs", Prefix: adminPrefix, Hash: storage.HashSecret(adminSecret),
	})
	if err != nil {
		t.Fatal(err)
	}
	d := load(t)
	return &world{engine: engine, doc: d, checker: schemaChecker{doc: d}, app: app, key: key,
		store: st, adminKey: adminSecret, exercised: map[string]bool{}}
}

// call is one request to a documented operation.
type call struct {
	method   string
	template string            // the documented path
	params   map[string]string // path parameters; app_id defaults to the world's app
	query    string
	body     any // nil, string (sent as is) or a value to encode
	noKey    bool
	header   map[string]string
}

// answer is a response, its body decoded.
type answer struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

func (a answer) str(keys ...string) string { return str(a.json, keys...) }

// do makes the call and holds the answer to the document: its status must
// be documented for the operation, its body must match the schema of that
// response, and the headers documented as required must be there.
func (w *world) do(t *testing.T, c call) answer {
	t.Helper()
	path := c.template
	for k, v := range c.params {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	path = strings.ReplaceAll(path, "{app_id}", w.app.ID)
	if c.query != "" {
		path += "?" + c.query
	}
	var body io.Reader
	switch b := c.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(enc)
	}
	req := httptest.NewRequestWithContext(t.Context(), c.method, path, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.HasPrefix(c.template, "/v1/") && !c.noKey {
		req.Header.Set("Authorization", "Bearer "+w.key)
	}
	if strings.HasPrefix(c.template, "/admin/") && !c.noKey {
		req.Header.Set("Authorization", "Bearer "+w.adminKey)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	w.engine.ServeHTTP(rec, req)
	a := answer{status: rec.Code, header: rec.Header(), raw: rec.Body.Bytes()}
	w.conform(t, c, a)
	if json.Valid(a.raw) {
		_ = json.Unmarshal(a.raw, &a.json)
	}
	return a
}

func (w *world) conform(t *testing.T, c call, a answer) {
	t.Helper()
	what := c.method + " " + c.template + " → " + strconv.Itoa(a.status)
	op := get(w.doc, "paths", c.template, strings.ToLower(c.method))
	if op == nil {
		t.Fatalf("%s: the operation is not documented", what)
	}
	r := deref(t, w.doc, get(op, "responses", strconv.Itoa(a.status)))
	if r == nil {
		t.Fatalf("%s: status not documented; body %s", what, a.raw)
	}
	if a.status < 300 {
		w.exercised[c.method+" "+c.template] = true
	}
	headers, _ := get(r, "headers").(map[string]any)
	for name, h := range headers {
		if get(deref(t, w.doc, h), "required") == true && a.header.Get(name) == "" {
			t.Errorf("%s: documented header %s is missing", what, name)
		}
	}
	content, _ := get(r, "content").(map[string]any)
	if len(content) == 0 {
		if len(a.raw) != 0 {
			t.Errorf("%s: documented without a body, got %q", what, a.raw)
		}
		return
	}
	mt, _, err := mime.ParseMediaType(a.header.Get("Content-Type"))
	if err != nil || content[mt] == nil {
		t.Fatalf("%s: Content-Type %q is not documented", what, a.header.Get("Content-Type"))
	}
	if mt != "application/json" {
		return
	}
	v, err := decodeJSON(a.raw)
	if err != nil {
		t.Fatalf("%s: body is not JSON: %v", what, err)
	}
	if errs := w.checker.check(get(content[mt], "schema"), v); len(errs) > 0 {
		t.Errorf("%s: body does not match the document:\n  %s\nbody: %s", what, strings.Join(errs, "\n  "), a.raw)
	}
}

// want fails the test unless the answer has status and, for an error, code
// (the "code" of Error, the "type" of CommandError).
func want(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.raw)
	}
	if code != "" && a.str("code") != code && a.str("type") != code {
		t.Fatalf("answer %s, want %q", a.raw, code)
	}
}

func TestRoutesMatchTheDocument(t *testing.T) {
	w := newWorld(t)
	paths, err := openapi.Paths()
	if err != nil {
		t.Fatal(err)
	}
	if diffs := openapi.CheckRoutes(w.engine.Routes(), paths); len(diffs) > 0 {
		t.Errorf("routes and document differ:\n%s", strings.Join(diffs, "\n"))
	}
}

// requireExercised fails the test unless every documented method of paths
// was answered with success at least once: each success schema was checked.
func (w *world) requireExercised(t *testing.T, paths ...string) {
	t.Helper()
	all, err := openapi.Paths()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if len(all[p]) == 0 {
			t.Errorf("%s is not documented", p)
		}
		for _, m := range all[p] {
			if !w.exercised[m+" "+p] {
				t.Errorf("%s %s was never answered with success", m, p)
			}
		}
	}
}
