package openapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// httpMethods are the keys of an OpenAPI Path Item that name operations
// (OpenAPI 3.1 §4.8.9); other keys (parameters, summary, …) are not methods.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Paths returns the documented operations: each path, in OpenAPI form
// ("/v1/apps/{app_id}/users"), with its methods in upper case, sorted.
func Paths() (map[string][]string, error) {
	return parsePaths(Document())
}

func parsePaths(doc []byte) (map[string][]string, error) {
	var d struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("parse openapi document: %w", err)
	}
	out := make(map[string][]string, len(d.Paths))
	for path, item := range d.Paths {
		if _, ok := item["$ref"]; ok {
			return nil, fmt.Errorf("openapi path %s: a $ref path item is not supported", path)
		}
		var methods []string
		for key := range item {
			if slices.Contains(httpMethods, key) {
				methods = append(methods, strings.ToUpper(key))
			}
		}
		slices.Sort(methods)
		out[path] = methods
	}
	return out, nil
}
