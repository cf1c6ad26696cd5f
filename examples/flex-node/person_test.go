//go:build e2e

package flexnode

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// person is someone using the example site from a browser of their own (a
// cookie jar) with a passkey provider of their own, driving the site's API
// and passbridge's client API over HTTP as the page's script does.
type person struct {
	t    *testing.T
	s    *stack
	http *http.Client
	auth *softauthn.Authenticator
}

func newPerson(t *testing.T, s *stack) *person {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &person{t: t, s: s, http: &http.Client{Jar: jar},
		auth: softauthn.New(softauthn.Options{BackupEligible: true, BackedUp: true})}
}

// do sends body (nil: none) as JSON to url with method and headers, and
// returns the status and the decoded answer.
func (p *person) do(method, url string, body any, headers map[string]string) (int, map[string]any) {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, ok := body.([]byte)
		if !ok {
			var err error
			if raw, err = json.Marshal(body); err != nil {
				p.t.Fatal(err)
			}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(p.t.Context(), method, url, rd)
	if err != nil {
		p.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := p.http.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(answer, &out)
	return res.StatusCode, out
}

// site posts body to the example's API, as its page does.
func (p *person) site(path string, body any) (int, map[string]any) {
	p.t.Helper()
	return p.do(http.MethodPost, p.s.site+path, body, nil)
}

// passbridge posts body to passbridge's client API from the site's page.
func (p *person) passbridge(path string, body any) (int, map[string]any) {
	p.t.Helper()
	return p.do(http.MethodPost, p.s.p.Issuer+"/v1/apps/"+p.s.appID+"/"+path, body, map[string]string{"Origin": p.s.site})
}

// transaction asks the site for a transaction at path (e.g. /api/register)
// and returns its ID.
func (p *person) transaction(path string, body any) string {
	p.t.Helper()
	status, out := p.site(path, body)
	if status != http.StatusOK {
		p.t.Fatalf("POST %s: %d %v", path, status, out)
	}
	return out["transaction_id"].(string)
}

// startSignUp asks the site to sign name up and returns the transaction.
func (p *person) startSignUp(name string) string {
	p.t.Helper()
	return p.transaction("/api/register", map[string]string{"username": name})
}

// registerPasskey runs the browser's side of a registration for tx with
// passbridge, as flex.passkey.register does, and returns the nonce.
func (p *person) registerPasskey(tx string) string {
	p.t.Helper()
	status, out := p.passbridge("register/transactions/webauthn/start", map[string]string{"transaction_id": tx})
	if status != http.StatusOK {
		p.t.Fatalf("register start: %d %v", status, out)
	}
	hs := out["handshake"].(map[string]any)
	options, _ := json.Marshal(hs["challenge"].(map[string]any)["publicKey"])
	resp, _, err := p.auth.Register(options, p.s.site)
	if err != nil {
		p.t.Fatal(err)
	}
	status, out = p.passbridge("register/transactions/webauthn/finish",
		map[string]any{"transaction_id": tx, "handshake_id": hs["id"], "handshake_response": json.RawMessage(resp)})
	if status != http.StatusOK {
		p.t.Fatalf("register finish: %d %v", status, out)
	}
	return out["nonce"].(string)
}

// authenticate runs the browser's side of an authentication with the
// person's passkey, bound to tx or discoverable (tx ""), and returns
// passbridge's status of the finish and the nonce.
func (p *person) authenticate(tx string) (int, string) {
	p.t.Helper()
	start := map[string]any{}
	if tx != "" {
		start["transaction_id"] = tx
	}
	status, out := p.passbridge("authenticate/transactions/webauthn/start", start)
	if status != http.StatusOK {
		p.t.Fatalf("authenticate start: %d %v", status, out)
	}
	hs := out["handshake"].(map[string]any)
	options, _ := json.Marshal(hs["challenge"].(map[string]any)["publicKey"])
	resp, err := p.auth.Authenticate(options, p.s.site)
	if err != nil {
		p.t.Fatal(err)
	}
	finish := map[string]any{"handshake_id": hs["id"], "handshake_response": json.RawMessage(resp)}
	if tx != "" {
		finish["transaction_id"] = tx
	}
	status, out = p.passbridge("authenticate/transactions/webauthn/finish", finish)
	nonce, _ := out["nonce"].(string)
	return status, nonce
}

// signInNonce is a discoverable authentication that passbridge must accept.
func (p *person) signInNonce() string {
	p.t.Helper()
	status, nonce := p.authenticate("")
	if status != http.StatusOK {
		p.t.Fatalf("authenticate finish: %d", status)
	}
	return nonce
}

// verify hands a nonce to the site and returns its answer.
func (p *person) verify(nonce string) (int, map[string]any) {
	p.t.Helper()
	return p.site("/api/verify", map[string]string{"nonce": nonce})
}

// signUp signs name up with the person's passkey and leaves them signed in.
func (p *person) signUp(name string) {
	p.t.Helper()
	if status, out := p.verify(p.registerPasskey(p.startSignUp(name))); status != http.StatusOK {
		p.t.Fatalf("sign up %s: %d %v", name, status, out)
	}
}

// signedInAs is who the site says the person is ("" when signed out).
func (p *person) signedInAs() string {
	p.t.Helper()
	status, out := p.do(http.MethodGet, p.s.site+"/api/me", nil, nil)
	if status != http.StatusOK {
		return ""
	}
	name, _ := out["username"].(string)
	return name
}

// mustRefuse checks that the site refused a nonce with 403 code (and the
// message, if given) and that it left the person signed in as before (""
// for nobody).
func (p *person) mustRefuse(path string, body any, code, before string, message ...string) {
	p.t.Helper()
	status, out := p.site(path, body)
	if status != http.StatusForbidden || out["code"] != code || (len(message) > 0 && out["error"] != message[0]) {
		p.t.Fatalf("POST %s: %d %v, want 403 %s %v", path, status, out, code, message)
	}
	if who := p.signedInAs(); who != before {
		p.t.Fatalf("signed in as %q after the refusal, want %q", who, before)
	}
}
