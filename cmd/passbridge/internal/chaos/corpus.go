package chaos

import (
	"net/url"
	"strings"
)

// BadBody is a request body of the corpus.
type BadBody struct {
	Name, Body, Type string
}

// badStrings are hostile values for query and form parameters: invalid
// UTF-8, a lone surrogate, a broken escape, a NUL, an oversized value,
// injection and traversal attempts (the corpus of
// provider/oidc/badinput_test.go).
var badStrings = []string{"\xff\xfe", "\xed\xa0\x80", "%zz", "a\x00b", strings.Repeat("a", 70_000), "' OR 1=1 --", "../../etc/passwd", "<script>",
	"99999999999999999999999999", "-1"}

// BadJSON is the corpus of JSON bodies: none of them is a valid request to
// any endpoint (every member has a wrong type, or the body does not parse,
// or a value is out of range), so none may change the store.
func BadJSON() []BadBody {
	const j = "application/json"
	deepObj := strings.Repeat(`{"a":`, 50_000) + "1" + strings.Repeat("}", 50_000)
	return []BadBody{
		{"truncated", `{"external_id": "abc`, j},
		{"truncated-member", `{"transaction_id":`, j},
		{"oversized", `{"external_id": "` + strings.Repeat("x", 2<<20) + `"}`, j},
		{"wrong-types", `{"external_id": 5, "passkey_display_name": ["x"], "transaction_id": {"a": 1}, "nonce": true,
			"handshake_id": 1.5, "handshake_response": "x", "publicKey": 7, "user_id": [], "email_or_username": 3,
			"friendly_name": 9, "name": false, "origins": "x", "rp_id": 1, "status": 3, "display_name": {}, "redirect_uris": 4,
			"ttl": "x", "command": 1, "data": "x", "authenticator_attachment": 2}`, j},
		{"array", `[]`, j},
		{"string", `"string"`, j},
		{"number", `12`, j},
		{"invalid-utf8", "{\"external_id\": \"\xff\xfe\xfd\", \"nonce\": \"\xc3\x28\", \"friendly_name\": \"\xed\xa0\x80\", \"transaction_id\": \"\xc0\xaf\", " +
			"\"user_id\": \"\xff\", \"ttl\": \"x\"}", j},
		{"huge-numbers", `{"external_id": 1e999999, "transaction_id": 1e999999, "user_id": -1e400, "ttl": 99999999999999999999999999999,
			"transaction_ttl_seconds": 1e308}`, j},
		{"deep-array", strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000), j},
		{"deep-object", `{"transaction_id": 1, "user_id": 1, "ttl": "x", "a": ` + deepObj + `}`, j},
		{"duplicate-keys", `{"external_id": 5, "external_id": "dup", "nonce": 1, "nonce": "n", "friendly_name": 1, "friendly_name": "x",
			"name": 1, "name": "n", "transaction_id": 1, "transaction_id": "t", "user_id": 1, "user_id": "u", "ttl": "x", "ttl": 600, "status": 1, "status": "inactive"}`, j},
		{"nul", "{\"external_id\": \"a\\u0000b\", \"friendly_name\": \"a\\u0000b\", \"name\": \"a\\u0000b\", \"nonce\": \"\\u0000\", " +
			"\"transaction_id\": \"\\u0000\", \"user_id\": 1, \"ttl\": \"x\"}", j},
		{"trailing-garbage", `{"nonce": 1, "transaction_id": 1, "user_id": 1, "ttl": "x"} {"nonce": 2}`, j},
		{"text-plain", `{"nonce": 1, "external_id": 2, "transaction_id": 1, "user_id": 1, "ttl": "x"}`, "text/plain"},
		{"form", `external_id=a&nonce=b`, "application/x-www-form-urlencoded"},
		{"multipart", "--x\r\nContent-Disposition: form-data; name=\"nonce\"\r\n\r\nb\r\n--x--\r\n", "multipart/form-data; boundary=x"},
		{"xml", `<external_id>a</external_id>`, "application/xml"},
		{"no-type", `{"nonce": 1, "transaction_id": 1, "user_id": 1, "ttl": "x"}`, ""},
	}
}

// BadForms is the corpus of form bodies for the OAuth endpoints: each
// hostile string in every parameter, duplicated parameters, JSON, an
// oversized body.
func BadForms(clientID, secret string) []BadBody {
	const f = "application/x-www-form-urlencoded"
	var out []BadBody
	for _, v := range badStrings {
		q := url.QueryEscape(v)
		out = append(out,
			BadBody{"code", "grant_type=authorization_code&code=" + q + "&redirect_uri=" + q + "&code_verifier=" + q, f},
			BadBody{"client", "grant_type=authorization_code&code=" + q + "&client_id=" + q + "&client_secret=" + q, f},
			BadBody{"refresh", "grant_type=refresh_token&refresh_token=" + q + "&client_id=" + clientID + "&client_secret=" + url.QueryEscape(secret), f},
			BadBody{"grant", "grant_type=" + q, f},
			BadBody{"token", "token=" + q + "&token_type_hint=" + q + "&client_id=" + clientID + "&client_secret=" + url.QueryEscape(secret), f},
			BadBody{"raw", "grant_type=authorization_code&code=" + v, f},
		)
	}
	return append(out,
		BadBody{"duplicate", "grant_type=authorization_code&grant_type=refresh_token&code=a&code=b&client_id=" + clientID + "&client_id=x", f},
		BadBody{"oversized", strings.Repeat("x=y&", 600_000), f},
		BadBody{"json", `{"grant_type": "authorization_code", "code": 5}`, "application/json"},
		BadBody{"multipart", "--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nauthorization_code\r\n--x--\r\n", "multipart/form-data; boundary=x"},
		BadBody{"no-type", "grant_type=authorization_code&code=x", ""},
	)
}
