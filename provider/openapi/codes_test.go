package openapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
)

// commandOnly are packages whose code constants never reach a client as
// {"code", "error"}: the command form answers with {"type", "details"} and
// its own names (see TestCommandErrorTypes).
var commandOnly = []string{"passkeyapi"}

// codeConstants collects the string constants named Code… or code… that the
// ceremony core and the HTTP areas declare: the error codes the server can
// answer with, wherever they were added.
func codeConstants(t *testing.T, roots ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() && slices.Contains(commandOnly, e.Name()) {
				return filepath.SkipDir
			}
			if e.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			for _, decl := range f.Decls {
				g, ok := decl.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, spec := range g.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if !strings.HasPrefix(strings.ToLower(name.Name), "code") || i >= len(vs.Values) {
							continue
						}
						lit, ok := vs.Values[i].(*ast.BasicLit)
						if !ok || lit.Kind != token.STRING {
							continue
						}
						v, _ := strconv.Unquote(lit.Value)
						out[filepath.Base(filepath.Dir(path))+"."+name.Name] = v
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

func TestEveryServerErrorCodeIsDocumented(t *testing.T) {
	consts := codeConstants(t, "../../ceremony", "..")
	for _, want := range []string{"ceremony.CodeUserNotFound", "httpapi.CodeInvalidAccessToken", "flexapi.codeOriginNotAllowed"} {
		if _, ok := consts[want]; !ok {
			t.Fatalf("found no %s: the source walk is broken (found %d constants)", want, len(consts))
		}
	}
	enum := errorEnum(t, load(t))
	for name, code := range consts {
		if snakeCase.MatchString(code) && !slices.Contains(enum, code) {
			t.Errorf("%s = %q is not in the Error enum", name, code)
		}
	}
}

// ceremonyStatus is the status the server's error writer gives a ceremony
// error with code.
func ceremonyStatus(t *testing.T, code string) int {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(httpapi.ErrorWriter())
	r.GET("/", httpapi.Handle(func(*gin.Context) error {
		return &ceremony.Error{Code: code, Message: "m"}
	}))
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil))
	return rec.Code
}

func TestCeremonyCodesHaveTheServersStatus(t *testing.T) {
	d := load(t)
	documented := errorExamples(t, d)
	for name, code := range codeConstants(t, "../../ceremony") {
		statuses, ok := documented[code]
		if !ok {
			// Not every code is reachable through the HTTP APIs; the enum
			// test above still requires it to be listed.
			continue
		}
		want := ceremonyStatus(t, code)
		for _, got := range statuses {
			if got != want {
				t.Errorf("%s (%q) is documented as %d; the server answers %d", name, code, got, want)
			}
		}
	}
}
