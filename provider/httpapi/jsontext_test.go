package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHasUnpairedSurrogate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"no strings", `{}`, false},
		{"plain", `{"a":"b"}`, false},
		{"pair", `{"a":"\ud83d\ude00"}`, false},
		{"pair, upper case", `{"a":"\uD834\uDD1E"}`, false},
		{"pair, mixed case", `{"a":"\uD83d\uDe00"}`, false},
		{"pair in a key", `{"\ud83d\ude00":1}`, false},
		{"highest pair", `{"a":"\udbff\udfff"}`, false},
		{"lowest pair", `{"a":"\ud800\udc00"}`, false},
		{"around the surrogates", `{"a":"\ud7ff\ue000\uffff\u0000"}`, false},
		{"raw character outside the BMP", `{"a":"😀"}`, false},
		{"lone low", `{"a":"\udfff"}`, true},
		{"lone low, lowest", `{"a":"\udc00"}`, true},
		{"lone high", `{"a":"\ud800"}`, true},
		{"lone high, highest", `{"a":"\uDBFF"}`, true},
		{"high then letter", `{"a":"\ud800x"}`, true},
		{"high then escaped letter", `{"a":"\ud800\u0041"}`, true},
		{"high then high", `{"a":"\ud800\ud800"}`, true},
		{"high, high, low", `{"a":"\ud800\ud800\udc00"}`, true},
		{"reversed pair", `{"a":"\ude00\ud83d"}`, true},
		{"pair then lone low", `{"a":"\ud83d\ude00\ude00"}`, true},
		{"high then other escape", `{"a":"\ud800\n"}`, true},
		{"high at end of string", `{"a":"\ud800","b":"\udc00"}`, true},
		{"lone in a key", `{"\udc00":1}`, true},
		{"lone in an array", `{"a":["x","\udfff"]}`, true},
		{"escaped backslash then u", `{"a":"\\udfff"}`, false},
		{"escaped backslash, high, then escaped backslash and u", `{"a":"\ud800\\udc00"}`, true},
		{"two escaped backslashes then escape", `{"a":"\\\\\udfff"}`, true},
		{"three backslashes then u", `{"a":"\\\udfff"}`, true},
		{"escaped quote then surrogate", `{"a":"\"\udfff"}`, true},
		{"escaped quote, string goes on", `{"a":"\"","b":"\ud83d\ude00"}`, false},
		{"outside a string", `{"a":1}\udfff`, false},
		{"high, input ends", `{"a":"\ud800`, true},
		{"high, backslash, input ends", `{"a":"\ud800\`, true},
		{"high, half a low, input ends", `{"a":"\ud800\udc`, true},
		{"backslash ends the input", `{"a":"\`, false},
		{"short escape ends the input", `{"a":"\ud8`, false},
		{"bad hex", `{"a":"\uzzzz"}`, false},
		{"high then bad hex", `{"a":"\ud800\uzzzz"}`, true},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hasUnpairedSurrogate([]byte(tt.in)); got != tt.want {
				t.Fatalf("hasUnpairedSurrogate(%s) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzHasUnpairedSurrogate compares the scanner with encoding/json, which
// decodes an unpaired surrogate escape as U+FFFD: for valid JSON that holds
// no U+FFFD of its own, the scanner finds one exactly when a decoded string
// holds U+FFFD. For any input it must not panic.
func FuzzHasUnpairedSurrogate(f *testing.F) {
	for _, s := range []string{
		`{"a":"\ud83d\ude00"}`, `{"a":"\uD834\uDD1E"}`, `{"a":"\udfff"}`, `{"a":"\ud800"}`,
		`{"a":"\\udfff"}`, `{"a":"\\\udfff"}`, `{"a":"\ud800\ud800\udc00"}`, `{"\udc00":["\u0041"]}`,
		`{"a":"\ud800\\udc00"}`, `{"a":"\"\udfff"}`, `{"a":"\ud800`, `"\`, `"\ud8`, `[1e400,"\ud800\u"]`,
		`{"a":"\u00e9\ud7ff\ue000"}`, `"\ufffd"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := hasUnpairedSurrogate(b)
		if !utf8.Valid(b) || !json.Valid(b) || holdsReplacement(b) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("valid JSON %q: %v", b, err)
		}
		if want := decodedReplacement(v); got != want {
			t.Fatalf("hasUnpairedSurrogate(%q) = %v; encoding/json decodes U+FFFD: %v", b, got, want)
		}
	})
}

// holdsReplacement reports whether b may spell U+FFFD itself, raw or
// escaped; such input says nothing about surrogates when decoded.
func holdsReplacement(b []byte) bool {
	return bytes.Contains(b, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(b), []byte(`\ufffd`))
}

// decodedReplacement reports whether any string or key of v holds U+FFFD.
func decodedReplacement(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsRune(v, utf8.RuneError)
	case []any:
		for _, e := range v {
			if decodedReplacement(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.ContainsRune(k, utf8.RuneError) || decodedReplacement(e) {
				return true
			}
		}
	}
	return false
}
