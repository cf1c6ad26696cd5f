package openapi

import (
	"reflect"
	"testing"
)

func TestParsePathsKeepsMethodsOnly(t *testing.T) {
	doc := []byte(`{"paths": {
		"/a/{id}": {"parameters": [], "summary": "s", "get": {}, "delete": {}, "x-internal": {}},
		"/b": {"post": {}, "head": {}, "options": {}}
	}}`)
	got, err := parsePaths(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"/a/{id}": {"DELETE", "GET"},
		"/b":      {"HEAD", "OPTIONS", "POST"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsePaths = %v, want %v", got, want)
	}
}

func TestParsePathsRejects(t *testing.T) {
	tests := map[string]string{
		"truncated":     `{"paths": `,
		"ref path item": `{"paths": {"/c": {"$ref": "#/components/pathItems/c"}}}`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if got, err := parsePaths([]byte(doc)); err == nil {
				t.Errorf("parsePaths = %v, want an error", got)
			}
		})
	}
}
