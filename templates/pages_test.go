package templates

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestPagesKeepScriptAndStyleOut reads every page template as markup: the
// Content-Security-Policy the pages are served with forbids inline script
// and style, so a page must carry neither, and every script and style sheet
// it names must be a static file here.
func TestPagesKeepScriptAndStyleOut(t *testing.T) {
	pages, err := fs.Glob(FS(), "pages/*.html")
	if err != nil || len(pages) == 0 {
		t.Fatalf("no pages: %v", err)
	}
	static := regexp.MustCompile(`^\{\{\.Issuer\}\}/(static/pages/[a-z.-]+)$`)
	for _, name := range pages {
		t.Run(path.Base(name), func(t *testing.T) {
			raw, err := fs.ReadFile(FS(), name)
			if err != nil {
				t.Fatal(err)
			}
			z := html.NewTokenizer(strings.NewReader(string(raw)))
			for {
				tt := z.Next()
				if tt == html.ErrorToken {
					return
				}
				if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
					continue
				}
				tok := z.Token()
				attrs := map[string]string{}
				for _, a := range tok.Attr {
					attrs[a.Key] = a.Val
					if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
						t.Errorf("<%s %s=…>: inline style or script", tok.Data, a.Key)
					}
				}
				var ref string
				switch tok.Data {
				case "style":
					t.Error("<style> element: style sheets are static files")
				case "script":
					ref = attrs["src"]
					if ref == "" {
						t.Error("inline <script>: scripts are static files")
						continue
					}
					if z.Next() != html.EndTagToken {
						t.Errorf("<script src=%q> has a body", ref)
					}
				case "link":
					if attrs["rel"] == "stylesheet" {
						ref = attrs["href"]
					}
				}
				if ref == "" {
					continue
				}
				m := static.FindStringSubmatch(ref)
				if m == nil {
					t.Errorf("%q is not a static file of this server", ref)
					continue
				}
				if _, err := fs.Stat(FS(), m[1]); err != nil {
					t.Errorf("%s names %s, which is missing", name, m[1])
				}
			}
		})
	}
}
