package apitest

import (
	"encoding/json"
	"reflect"
	"testing"
)

// WantAllowedTransports checks the allowCredentials of WebAuthn
// authentication options: one credential, whose transports are want.
func WantAllowedTransports(t testing.TB, options []byte, want []string) {
	t.Helper()
	var opts struct {
		AllowCredentials []struct {
			Transports []string `json:"transports"`
		} `json:"allowCredentials"`
	}
	if err := json.Unmarshal(options, &opts); err != nil {
		t.Fatal(err)
	}
	var got []string
	if len(opts.AllowCredentials) > 0 {
		got = opts.AllowCredentials[0].Transports
	}
	if len(opts.AllowCredentials) != 1 || !reflect.DeepEqual(got, want) {
		t.Errorf("%d allowCredentials, transports %q; want one, with %q", len(opts.AllowCredentials), Shorten(got), want)
	}
}

// Shorten cuts values longer than 20 bytes, so that a failure message
// naming a hostile client's transports stays readable.
func Shorten(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if len(s) > 20 {
			s = s[:20] + "…"
		}
		out[i] = s
	}
	return out
}
