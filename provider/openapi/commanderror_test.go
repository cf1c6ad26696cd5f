package openapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// commandRow is one row of passkeyapi's commandErrorTable: an error type of
// the command form and the status it is answered with.
type commandRow struct {
	typ    string
	status int
}

// httpStatus names the net/http constants the table may use.
var httpStatus = map[string]int{
	"StatusBadRequest":            http.StatusBadRequest,
	"StatusUnauthorized":          http.StatusUnauthorized,
	"StatusForbidden":             http.StatusForbidden,
	"StatusNotFound":              http.StatusNotFound,
	"StatusConflict":              http.StatusConflict,
	"StatusGone":                  http.StatusGone,
	"StatusRequestEntityTooLarge": http.StatusRequestEntityTooLarge,
	"StatusUnprocessableEntity":   http.StatusUnprocessableEntity,
	"StatusTooManyRequests":       http.StatusTooManyRequests,
	"StatusInternalServerError":   http.StatusInternalServerError,
	"StatusServiceUnavailable":    http.StatusServiceUnavailable,
}

// commandErrorTable reads the table from passkeyapi's source: it is
// unexported, and it is the one place the command form's types are named.
func commandErrorTable(t *testing.T) []commandRow {
	t.Helper()
	files, err := filepath.Glob("../passkeyapi/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no passkeyapi sources: %v", err)
	}
	var rows []commandRow
	fset := token.NewFileSet()
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "commandErrorTable" || len(vs.Values) != 1 {
				return true
			}
			for _, elt := range vs.Values[0].(*ast.CompositeLit).Elts {
				fields := elt.(*ast.CompositeLit).Elts
				if len(fields) != 4 {
					t.Fatalf("%s: a row of commandErrorTable has %d fields, want 4", fset.Position(elt.Pos()), len(fields))
				}
				sel, ok := fields[2].(*ast.SelectorExpr)
				status, known := 0, false
				if ok {
					status, known = httpStatus[sel.Sel.Name]
				}
				lit, isLit := fields[3].(*ast.BasicLit)
				if !known || !isLit {
					t.Fatalf("%s: cannot read this row of commandErrorTable", fset.Position(elt.Pos()))
				}
				typ, _ := strconv.Unquote(lit.Value)
				rows = append(rows, commandRow{typ: typ, status: status})
			}
			return false
		})
	}
	if len(rows) == 0 {
		t.Fatal("commandErrorTable not found in passkeyapi")
	}
	return rows
}

func TestCommandErrorTypes(t *testing.T) {
	d := load(t)
	var enum []string
	for _, v := range get(d, "components", "schemas", "CommandError", "properties", "type", "enum").([]any) {
		enum = append(enum, v.(string))
	}
	documented := map[string]int{} // type → status of the response it is an example of
	responses := get(d, "paths", "/v1/apps/{app_id}/run-command", "post", "responses").(map[string]any)
	for status, r := range responses {
		code, _ := strconv.Atoi(status)
		examples, _ := get(r, "content", "application/json", "examples").(map[string]any)
		for name, ex := range examples {
			if typ := str(ex, "value", "type"); typ != name {
				t.Errorf("run-command %s: example %q has type %q", status, name, typ)
			}
			if !slices.Contains(enum, name) {
				t.Errorf("run-command %s: type %q is not in the CommandError enum", status, name)
			}
			documented[name] = code
		}
	}
	for _, row := range commandErrorTable(t) {
		if !slices.Contains(enum, row.typ) {
			t.Errorf("type %q (%d) of passkeyapi is not in the CommandError enum", row.typ, row.status)
		}
		if got, ok := documented[row.typ]; ok && got != row.status {
			t.Errorf("type %q is documented under %d; passkeyapi answers %d", row.typ, got, row.status)
		}
	}
}
