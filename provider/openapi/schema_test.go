package openapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// schemaChecker validates JSON values against the document's schemas: the
// subset of JSON Schema 2020-12 the document uses ($ref, type, const, enum,
// properties, required, additionalProperties, items, allOf, oneOf, anyOf, string
// and number bounds, pattern, the date-time and uuid formats). It is
// stricter than JSON Schema in one way, as unevaluatedProperties: false
// would be: a property of an answer that no schema describes is an error,
// so the server cannot grow fields the document does not have.
type schemaChecker struct {
	doc map[string]any
}

// seenObject is one object of the checked value: its keys, and those that
// some applicable schema described.
type seenObject struct {
	keys      []string
	evaluated map[string]bool
}

// annotations map an instance location (JSON pointer) to its object.
type annotations map[string]*seenObject

func (a annotations) object(at string, v map[string]any) *seenObject {
	o := a[at]
	if o == nil {
		o = &seenObject{evaluated: map[string]bool{}}
		for k := range v {
			o.keys = append(o.keys, k)
		}
		slices.Sort(o.keys)
		a[at] = o
	}
	return o
}

func (a annotations) merge(b annotations) {
	for at, ob := range b {
		o := a[at]
		if o == nil {
			a[at] = ob
			continue
		}
		for k := range ob.evaluated {
			o.evaluated[k] = true
		}
	}
}

func (a annotations) unevaluated() []string {
	var errs []string
	for at, o := range a {
		for _, k := range o.keys {
			if !o.evaluated[k] {
				errs = append(errs, fmt.Sprintf("%s/%s: property not in the document", at, k))
			}
		}
	}
	slices.Sort(errs)
	return errs
}

// decodeJSON decodes with numbers kept as json.Number, so integers can be
// told from other numbers.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// check validates v against schema and returns every problem.
func (c schemaChecker) check(schema, v any) []string {
	ann := annotations{}
	errs := c.validate(schema, v, "", ann)
	return append(errs, ann.unevaluated()...)
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func (c schemaChecker) validate(schema, v any, at string, ann annotations) []string {
	s, ok := schema.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s: schema is not an object", at)}
	}
	fail := func(format string, args ...any) []string {
		return []string{at + ": " + fmt.Sprintf(format, args...)}
	}
	if ref, ok := s["$ref"].(string); ok {
		target, err := resolve(c.doc, ref)
		if err != nil {
			return fail("$ref %s: %v", ref, err)
		}
		return c.validate(target, v, at, ann)
	}
	var errs []string
	if t, ok := s["type"]; ok && !typeMatches(t, v) {
		return fail("%s is not of type %v", describe(v), t)
	}
	if want, ok := s["const"]; ok && !sameJSON(want, v) {
		errs = append(errs, fail("%s is not %v", describe(v), want)...)
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return sameJSON(e, v) }) {
		errs = append(errs, fail("%s is not one of %v", describe(v), enum)...)
	}
	switch v := v.(type) {
	case string:
		errs = append(errs, c.checkString(s, v, fail)...)
	case json.Number:
		if min, ok := s["minimum"].(float64); ok {
			if f, _ := v.Float64(); f < min {
				errs = append(errs, fail("%s is below %v", v, min)...)
			}
		}
	case []any:
		if n, ok := s["minItems"].(float64); ok && len(v) < int(n) {
			errs = append(errs, fail("%d items, want at least %v", len(v), n)...)
		}
		if n, ok := s["maxItems"].(float64); ok && len(v) > int(n) {
			errs = append(errs, fail("%d items, want at most %v", len(v), n)...)
		}
		if items, ok := s["items"]; ok {
			for i, e := range v {
				errs = append(errs, c.validate(items, e, fmt.Sprintf("%s/%d", at, i), ann)...)
			}
		}
	case map[string]any:
		errs = append(errs, c.checkObject(s, v, at, ann, fail)...)
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			errs = append(errs, c.validate(sub, v, at, ann)...)
		}
	}
	if one, ok := s["oneOf"].([]any); ok {
		errs = append(errs, c.oneOf(one, v, at, ann, fail)...)
	}
	if anyOf, ok := s["anyOf"].([]any); ok {
		errs = append(errs, c.anyOf(anyOf, v, at, ann, fail)...)
	}
	return errs
}

func (c schemaChecker) checkString(s map[string]any, v string, fail func(string, ...any) []string) []string {
	var errs []string
	if n, ok := s["minLength"].(float64); ok && len(v) < int(n) {
		errs = append(errs, fail("%q is shorter than %v", v, n)...)
	}
	if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(v) {
		errs = append(errs, fail("%q does not match %s", v, p)...)
	}
	switch s["format"] {
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
			errs = append(errs, fail("%q is not an RFC 3339 date-time", v)...)
		}
	case "uuid":
		if !uuidPattern.MatchString(v) {
			errs = append(errs, fail("%q is not a UUID", v)...)
		}
	}
	return errs
}

func (c schemaChecker) checkObject(s, v map[string]any, at string, ann annotations, fail func(string, ...any) []string) []string {
	var errs []string
	for _, r := range asStrings(s["required"]) {
		if _, ok := v[r]; !ok {
			errs = append(errs, fail("required property %q is missing", r)...)
		}
	}
	props, hasProps := s["properties"].(map[string]any)
	additional := s["additionalProperties"] == true
	if !hasProps && !additional {
		return errs
	}
	o := ann.object(at, v)
	for k, val := range v {
		if sub, ok := props[k]; ok {
			o.evaluated[k] = true
			errs = append(errs, c.validate(sub, val, at+"/"+k, ann)...)
		} else if additional {
			o.evaluated[k] = true
		}
	}
	return errs
}

// oneOf: exactly one branch must hold, its own undescribed properties
// counting against it; only that branch's annotations are kept.
func (c schemaChecker) oneOf(branches []any, v any, at string, ann annotations, fail func(string, ...any) []string) []string {
	var matched []annotations
	var why []string
	for i, b := range branches {
		tmp := annotations{}
		errs := c.validate(b, v, at, tmp)
		errs = append(errs, tmp.unevaluated()...)
		if len(errs) == 0 {
			matched = append(matched, tmp)
		} else {
			why = append(why, fmt.Sprintf("branch %d: %s", i, errs[0]))
		}
	}
	if len(matched) != 1 {
		return fail("%d branches of oneOf hold, want 1 (%s)", len(matched), strings.Join(why, "; "))
	}
	ann.merge(matched[0])
	return nil
}

// anyOf: at least one branch must hold, judged as in oneOf; the
// annotations of every branch that holds are kept.
func (c schemaChecker) anyOf(branches []any, v any, at string, ann annotations, fail func(string, ...any) []string) []string {
	var why []string
	held := false
	for i, b := range branches {
		tmp := annotations{}
		errs := c.validate(b, v, at, tmp)
		errs = append(errs, tmp.unevaluated()...)
		if len(errs) == 0 {
			held = true
			ann.merge(tmp)
		} else {
			why = append(why, fmt.Sprintf("branch %d: %s", i, errs[0]))
		}
	}
	if !held {
		return fail("no branch of anyOf holds (%s)", strings.Join(why, "; "))
	}
	return nil
}

func typeMatches(t, v any) bool {
	types := asStrings(t)
	if s, ok := t.(string); ok {
		types = []string{s}
	}
	for _, t := range types {
		switch t {
		case "null":
			if v == nil {
				return true
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return true
			}
		case "string":
			if _, ok := v.(string); ok {
				return true
			}
		case "integer":
			if n, ok := v.(json.Number); ok && !strings.ContainsAny(n.String(), ".eE") {
				return true
			}
		case "number":
			if _, ok := v.(json.Number); ok {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		case "object":
			if _, ok := v.(map[string]any); ok {
				return true
			}
		}
	}
	return false
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// sameJSON compares a schema's value (decoded plainly) with an instance
// (decoded with json.Number).
func sameJSON(schemaValue, v any) bool {
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		return err == nil && reflect.DeepEqual(schemaValue, f)
	}
	return reflect.DeepEqual(schemaValue, v)
}

func describe(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

// TestSchemaChecker makes sure the checker the conformance tests rely on
// tells good values from bad ones.
func TestSchemaChecker(t *testing.T) {
	c := schemaChecker{doc: load(t)}
	ref := func(name string) any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	device := `{"id":"d1","cred_id":"AAEC","friendly_name":"Passkey","type":"passkey",
		"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05.123Z","last_login_at":null,
		"usage_count":0,"icons":{"light":null,"dark":"data:image/svg+xml;base64,AA"},
		"aaguid":"fbfc3007-154e-4ecc-8c0b-6e020557d7bd","authenticator_name":"iCloud Keychain",
		"backup_eligible":true,"backed_up":true,"user_verified":true,"transports":["internal","hybrid"]}`
	tests := []struct {
		name   string
		schema any
		value  string
		ok     bool
	}{
		{"device", ref("Device"), device, true},
		{"device with extra field", ref("Device"), strings.Replace(device, `"id":"d1"`, `"id":"d1","secret":1`, 1), false},
		{"device missing field", ref("Device"), strings.Replace(device, `"usage_count":0,`, ``, 1), false},
		{"device bad type", ref("Device"), strings.Replace(device, `"type":"passkey"`, `"type":"synced"`, 1), false},
		{"device bad time", ref("Device"), strings.Replace(device, `2026-01-02T03:04:05Z`, `yesterday`, 1), false},
		{"device float count", ref("Device"), strings.Replace(device, `"usage_count":0`, `"usage_count":0.5`, 1), false},
		{"device bad cred_id", ref("Device"), strings.Replace(device, `"cred_id":"AAEC"`, `"cred_id":"AA+/"`, 1), false},
		{"device extra icon", ref("Device"), strings.Replace(device, `"light":null`, `"light":null,"dim":null`, 1), false},
		{"error", ref("Error"), `{"code":"user_not_found","error":"user not found"}`, true},
		{"error unknown code", ref("Error"), `{"code":"nope","error":"x"}`, false},
		{"command error message", ref("CommandError"), `{"type":"UserNotFound","details":{"message":"m"}}`, true},
		{"command error null", ref("CommandError"), `{"type":"UnexpectedError","details":null}`, true},
		{"command error two shapes", ref("CommandError"), `{"type":"UserNotFound","details":{"message":"m","command":"c"}}`, false},
		{"link or null", ref("UserList"), `{"users":[],"total_users":0,"limit":20,"page":1,"created_before":1,
			"_links":{"self":{"href":"/a"},"first":{"href":"/a"},"previous":null,"next":{"href":"/b"},"last":{"href":"/a"}}}`, true},
		{"link wrong", ref("UserList"), `{"users":[],"total_users":0,"limit":20,"page":1,"created_before":1,
			"_links":{"self":{"href":"/a"},"first":{"href":"/a"},"previous":"/x","next":null,"last":{"href":"/a"}}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := decodeJSON([]byte(tc.value))
			if err != nil {
				t.Fatal(err)
			}
			errs := c.check(tc.schema, v)
			if tc.ok && len(errs) > 0 {
				t.Errorf("rejected: %q", errs)
			}
			if !tc.ok && len(errs) == 0 {
				t.Error("accepted")
			}
		})
	}
}
