package openapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/provider/openapi"
)

// doc is the served document decoded generically, as a tool reading it would.
type doc = map[string]any

func load(t *testing.T) doc {
	t.Helper()
	var d doc
	if err := json.Unmarshal(openapi.Document(), &d); err != nil {
		t.Fatalf("document is not JSON: %v", err)
	}
	return d
}

// get walks keys through nested objects; nil when any step is missing.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any, keys ...string) string {
	s, _ := get(v, keys...).(string)
	return s
}

// operation is one method of one path.
type operation struct {
	path, method string
	item, op     map[string]any
}

func (o operation) String() string { return strings.ToUpper(o.method) + " " + o.path }

func operations(t *testing.T, d doc) []operation {
	t.Helper()
	paths, ok := d["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		t.Fatal("document has no paths")
	}
	var ops []operation
	for path, item := range paths {
		for method, op := range item.(map[string]any) {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				ops = append(ops, operation{path, method, item.(map[string]any), op.(map[string]any)})
			}
		}
	}
	slices.SortFunc(ops, func(a, b operation) int { return strings.Compare(a.String(), b.String()) })
	return ops
}

func TestDocumentHeader(t *testing.T) {
	d := load(t)
	checks := []struct{ what, got, want string }{
		{"openapi", str(d, "openapi"), "3.1.0"},
		{"info.title", str(d, "info", "title"), "passbridge"},
		{"servers[0].url", str(get(d, "servers").([]any)[0], "url"), "/"},
		{"apiKey type", str(d, "components", "securitySchemes", "apiKey", "type"), "http"},
		{"apiKey scheme", str(d, "components", "securitySchemes", "apiKey", "scheme"), "bearer"},
		{"adminKey type", str(d, "components", "securitySchemes", "adminKey", "type"), "http"},
		{"adminKey scheme", str(d, "components", "securitySchemes", "adminKey", "scheme"), "bearer"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if str(d, "info", "version") == "" {
		t.Error("info.version is empty")
	}
	var tags []string
	for _, tag := range get(d, "tags").([]any) {
		tags = append(tags, str(tag, "name"))
	}
	want := []string{"Flex management", "Flex client", "Start/finish", "Commands", "Well-known", "Operations", "Admin"}
	if !slices.Equal(tags, want) {
		t.Errorf("tags = %q, want %q", tags, want)
	}
}

// resolve follows a local JSON pointer (RFC 6901) in d.
func resolve(d doc, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("not a local reference")
	}
	var v any = d
	for _, tok := range strings.Split(rest, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q: not an object", tok)
		}
		if v, ok = m[tok]; !ok {
			return nil, fmt.Errorf("%q: no such member", tok)
		}
	}
	return v, nil
}

// deref follows v's $ref, if it has one, to what it names.
func deref(t *testing.T, d doc, v any) any {
	t.Helper()
	ref := str(v, "$ref")
	if ref == "" {
		return v
	}
	target, err := resolve(d, ref)
	if err != nil {
		t.Fatalf("$ref %s: %v", ref, err)
	}
	return deref(t, d, target)
}

// refs lists every $ref in v.
func refs(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok && k == "$ref" {
				out = append(out, s)
				continue
			}
			out = append(out, refs(e)...)
		}
	case []any:
		for _, e := range v {
			out = append(out, refs(e)...)
		}
	}
	return out
}

func TestRefsResolve(t *testing.T) {
	d := load(t)
	all := refs(d)
	if len(all) == 0 {
		t.Fatal("document has no $ref at all")
	}
	used := map[string]bool{}
	for _, r := range all {
		if _, err := resolve(d, r); err != nil {
			t.Errorf("$ref %q does not resolve: %v", r, err)
		}
		used[r] = true
	}
	// A component nothing refers to is a leftover that misleads readers.
	for _, kind := range []string{"schemas", "parameters", "headers", "responses", "requestBodies", "examples"} {
		comps, _ := get(d, "components", kind).(map[string]any)
		for name := range comps {
			if !used["#/components/"+kind+"/"+name] {
				t.Errorf("components/%s/%s is never referenced", kind, name)
			}
		}
	}
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// parameters are the parameters of an operation with those of its path item,
// resolved.
func parameters(t *testing.T, d doc, o operation) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, list := range []any{o.item["parameters"], o.op["parameters"]} {
		ps, _ := list.([]any)
		for _, p := range ps {
			if r := str(p, "$ref"); r != "" {
				var err error
				if p, err = resolve(d, r); err != nil {
					t.Fatalf("%s: parameter %s: %v", o, r, err)
				}
			}
			out = append(out, p.(map[string]any))
		}
	}
	return out
}

func TestOperations(t *testing.T) {
	d := load(t)
	var declaredTags []string
	for _, tag := range get(d, "tags").([]any) {
		declaredTags = append(declaredTags, str(tag, "name"))
	}
	ids := map[string]string{}
	for _, o := range operations(t, d) {
		t.Run(o.String(), func(t *testing.T) {
			id := str(o.op, "operationId")
			if id == "" {
				t.Error("no operationId")
			} else if prev, dup := ids[id]; dup {
				t.Errorf("operationId %q is also used by %s", id, prev)
			}
			ids[id] = o.String()
			if str(o.op, "summary") == "" {
				t.Error("no summary")
			}
			tags, _ := o.op["tags"].([]any)
			if len(tags) == 0 {
				t.Error("no tags")
			}
			for _, tag := range tags {
				if !slices.Contains(declaredTags, tag.(string)) {
					t.Errorf("tag %q is not declared", tag)
				}
			}
			if _, ok := o.op["security"].([]any); !ok {
				t.Error("security is not stated (use [] for a public operation)")
			}
			checkPathParameters(t, d, o)
			checkErrorResponses(t, d, o)
		})
	}
}

// checkPathParameters: every {name} of the template is a required path
// parameter, and every path parameter is in the template.
func checkPathParameters(t *testing.T, d doc, o operation) {
	var inTemplate []string
	for _, m := range pathParam.FindAllStringSubmatch(o.path, -1) {
		inTemplate = append(inTemplate, m[1])
	}
	var declared []string
	for _, p := range parameters(t, d, o) {
		if str(p, "in") != "path" {
			continue
		}
		declared = append(declared, str(p, "name"))
		if p["required"] != true {
			t.Errorf("path parameter %s is not required", str(p, "name"))
		}
	}
	slices.Sort(inTemplate)
	slices.Sort(declared)
	if !slices.Equal(inTemplate, declared) {
		t.Errorf("path parameters %v, template has %v", declared, inTemplate)
	}
}

// takesInput reports whether a client can send the operation something
// wrong: a body, a path or query parameter.
func takesInput(t *testing.T, d doc, o operation) bool {
	if o.op["requestBody"] != nil {
		return true
	}
	for _, p := range parameters(t, d, o) {
		if in := str(p, "in"); in == "path" || in == "query" {
			return true
		}
	}
	return false
}

var errorSchemas = []string{"#/components/schemas/Error", "#/components/schemas/CommandError"}

// checkErrorResponses: an operation that takes input documents a 4xx in the
// error shape; one behind the API key documents the 401; every error
// example carries a code of the Error enum.
func checkErrorResponses(t *testing.T, d doc, o operation) {
	responses, _ := o.op["responses"].(map[string]any)
	if len(responses) == 0 {
		t.Fatal("no responses")
	}
	has4xx := false
	for status, r := range responses {
		r = deref(t, d, r)
		code, err := strconv.Atoi(status)
		if err != nil {
			t.Errorf("response key %q is not a status code", status)
			continue
		}
		if str(r, "description") == "" {
			t.Errorf("response %s has no description", status)
		}
		if code < 400 {
			continue
		}
		schema := str(r, "content", "application/json", "schema", "$ref")
		if !slices.Contains(errorSchemas, schema) {
			t.Errorf("response %s: schema %q is not Error or CommandError", status, schema)
			continue
		}
		if code < 500 {
			has4xx = true
		}
	}
	if takesInput(t, d, o) && !has4xx {
		t.Error("takes input but documents no 4xx error response")
	}
	if secured(o) && responses["401"] == nil {
		t.Error("requires a key but documents no 401")
	}
}

// secured reports whether the operation needs an API key or an admin key.
func secured(o operation) bool {
	sec, _ := o.op["security"].([]any)
	for _, req := range sec {
		for _, scheme := range []string{"apiKey", "adminKey"} {
			if _, ok := req.(map[string]any)[scheme]; ok {
				return true
			}
		}
	}
	return false
}

// errorExamples maps each documented error code to the statuses it is
// documented under.
func errorExamples(t *testing.T, d doc) map[string][]int {
	t.Helper()
	out := map[string][]int{}
	for _, o := range operations(t, d) {
		for status, r := range o.op["responses"].(map[string]any) {
			r = deref(t, d, r)
			code, _ := strconv.Atoi(status)
			if code < 400 || str(r, "content", "application/json", "schema", "$ref") != "#/components/schemas/Error" {
				continue
			}
			examples, _ := get(r, "content", "application/json", "examples").(map[string]any)
			if len(examples) == 0 {
				t.Errorf("%s: response %s has no examples of its codes", o, status)
			}
			for name, ex := range examples {
				ex = deref(t, d, ex)
				c := str(ex, "value", "code")
				if c != name {
					t.Errorf("%s: example %q has code %q", o, name, c)
				}
				if str(ex, "value", "error") == "" {
					t.Errorf("%s: example %q has no error message", o, name)
				}
				if !slices.Contains(out[c], code) {
					out[c] = append(out[c], code)
				}
			}
		}
	}
	return out
}

func errorEnum(t *testing.T, d doc) []string {
	t.Helper()
	var out []string
	for _, c := range get(d, "components", "schemas", "Error", "properties", "code", "enum").([]any) {
		out = append(out, c.(string))
	}
	if len(out) == 0 {
		t.Fatal("Error.code has no enum")
	}
	return out
}

func TestErrorExamplesUseEnumCodes(t *testing.T) {
	d := load(t)
	enum := errorEnum(t, d)
	for c, statuses := range errorExamples(t, d) {
		if !slices.Contains(enum, c) {
			t.Errorf("code %q (status %v) is not in the Error enum", c, statuses)
		}
		if len(statuses) > 1 {
			t.Errorf("code %q is documented under several statuses: %v", c, statuses)
		}
	}
}

func TestHealthEndpointsArePublic(t *testing.T) {
	d := load(t)
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json", "/.well-known/webauthn", "/sdk/flex.js", "/sdk/flex.d.ts"} {
		sec, ok := get(d, "paths", p, "get", "security").([]any)
		if !ok || len(sec) != 0 {
			t.Errorf("GET %s: security = %v, want []", p, get(d, "paths", p, "get", "security"))
		}
	}
	if got := get(d, "paths", "/readyz", "get", "responses", strconv.Itoa(http.StatusServiceUnavailable)); got == nil {
		t.Error("GET /readyz does not document its 503")
	}
}
