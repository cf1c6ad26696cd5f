package cli

import (
	"strings"
	"testing"

	"github.com/passbridge/passbridge/storage"
)

func TestCheckRedirectURI(t *testing.T) {
	for uri, want := range map[string]string{
		"https://rp.example.com/cb":           "",
		"https://rp.example.com:8443/cb?x=1":  "",
		"http://localhost:3000/cb":            "",
		"http://127.0.0.1/cb":                 "",
		"http://[::1]:9000/cb":                "",
		"HTTPS://RP.EXAMPLE.COM/cb":           "",
		"http://rp.example.com/cb":            "must use https",
		"http://localhost.example.com/cb":     "must use https",
		"http://127.0.0.2/cb":                 "must use https",
		"com.example.app:/oauth2redirect":     "must be an absolute URL",
		"https://rp.example.com/cb#x":         "must not have a fragment",
		"https://rp.example.com/cb#":          "must not have a fragment",
		"https://user:pw@rp.example.com/cb":   "must not carry user information",
		"/cb":                                 "must be an absolute URL",
		"":                                    "must be an absolute URL",
		"https://rp.example.com/%zz":          "must be an absolute URL",
		"javascript:alert(1)//rp.example.com": "must be an absolute URL",
	} {
		err := checkRedirectURI(uri)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q refused: %v", uri, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want %q", uri, err, want)
		}
	}
}

func TestIssuerMisfit(t *testing.T) {
	app := func(rpID string, origins ...string) storage.App { return storage.App{RPID: rpID, Origins: origins} }
	tests := []struct {
		name   string
		app    storage.App
		issuer string
		want   string
	}{
		{"fits", app("localhost", "http://localhost:8080"), "http://localhost:8080", ""},
		{"registrable suffix", app("example.com", "https://id.example.com"), "https://id.example.com/oidc", ""},
		{"origin missing", app("example.com", "https://app.example.com"), "https://id.example.com", "origin https://id.example.com is not among"},
		{"rp id elsewhere", app("other.com", "https://id.example.com"), "https://id.example.com", "rp_id other.com is neither"},
		{"port differs", app("localhost", "http://localhost:3000"), "http://localhost:8080", "origin http://localhost:8080"},
	}
	for _, tt := range tests {
		got := issuerMisfit(tt.app, tt.issuer)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
