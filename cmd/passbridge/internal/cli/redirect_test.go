package cli

import (
	"strings"
	"testing"
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
