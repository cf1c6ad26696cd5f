package oidcspa

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestPagesHaveNoInlineScript reads the pages as served: every script is
// a file of the app's origin, and no element carries a style or an event
// handler attribute, which the Content-Security-Policy would block.
func TestPagesHaveNoInlineScript(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join("public", "*.html"))
	if err != nil || len(pages) < 2 {
		t.Fatalf("pages: %v %v", pages, err)
	}
	script := regexp.MustCompile(`<script\b[^>]*>`)
	inline := regexp.MustCompile(`(?i)\s(style|on[a-z]+)\s*=`)
	for _, page := range pages {
		raw, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		html := string(raw)
		tags := script.FindAllString(html, -1)
		if len(tags) == 0 {
			t.Errorf("%s loads no script", page)
		}
		for _, tag := range tags {
			if !regexp.MustCompile(`\ssrc="/[a-z]`).MatchString(tag) {
				t.Errorf("%s: %s is not a script file of the app's origin", page, tag)
			}
		}
		if m := inline.FindString(html); m != "" {
			t.Errorf("%s has an inline%s attribute", page, m)
		}
	}
}
