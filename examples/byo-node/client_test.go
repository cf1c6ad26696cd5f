//go:build e2e

package byonode

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// client is one browser on the site without Chromium: a cookie jar, the
// site's Origin on every call that changes something (as the page's fetch
// sends it), and a software authenticator that signs real WebAuthn
// responses, standing in for @simplewebauthn/browser and the device.
type client struct {
	t    *testing.T
	e    *env
	http *http.Client
	auth *softauthn.Authenticator
}

func newClient(t *testing.T, e *env) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, e: e, http: &http.Client{Jar: jar}, auth: softauthn.New(softauthn.Options{})}
}

// answer is a response of the site.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// code is an error answer's code.
func (a answer) code() string {
	var v struct{ Code string }
	_ = json.Unmarshal(a.Body, &v)
	return v.Code
}

// request is one call to the site: body is sent as JSON unless it is a
// string; origin "" is the site's, "-" none; contentType "" is JSON for a
// body.
type request struct {
	Method, Path, Origin, ContentType string
	Body                              any
}

func (c *client) do(r request) answer {
	c.t.Helper()
	var rd io.Reader
	switch v := r.Body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), r.Method, c.e.site+r.Path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	switch r.Origin {
	case "":
		req.Header.Set("Origin", c.e.site)
	case "-":
	default:
		req.Header.Set("Origin", r.Origin)
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	} else if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return answer{Status: res.StatusCode, Header: res.Header, Body: body}
}

// post posts body to the site's API as the page does, decodes a 200 answer
// into out (if not nil), and returns the status and the code.
func (c *client) post(path string, body, out any) (int, string) {
	c.t.Helper()
	a := c.do(request{Method: http.MethodPost, Path: path, Body: body})
	if a.Status == http.StatusOK && out != nil {
		if err := json.Unmarshal(a.Body, out); err != nil {
			c.t.Fatalf("%s: %v\n%s", path, err, a.Body)
		}
	}
	return a.Status, a.code()
}

// registrationOptions starts a registration: a sign-up of name, or, signed
// in, a passkey for the session's account.
func (c *client) registrationOptions(name string) json.RawMessage {
	c.t.Helper()
	var out struct{ RegistrationOptions json.RawMessage }
	body := map[string]any{}
	if name != "" {
		body["username"] = name
	}
	if status, code := c.post("/api/passkeys/register/start", body, &out); status != http.StatusOK {
		c.t.Fatalf("register/start %q: %d %s", name, status, code)
	}
	return out.RegistrationOptions
}

// register has the client's authenticator answer options, as the browser
// does for the page.
func (c *client) register(options json.RawMessage) json.RawMessage {
	c.t.Helper()
	resp, _, err := c.auth.Register(options, c.e.site)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

// finishRegistration posts a registration response to the site.
func (c *client) finishRegistration(resp json.RawMessage) (int, string) {
	c.t.Helper()
	return c.post("/api/passkeys/register/finish", map[string]any{"response": resp}, nil)
}

// signUp signs up name with the client's authenticator.
func (c *client) signUp(name string) {
	c.t.Helper()
	if status, code := c.finishRegistration(c.register(c.registrationOptions(name))); status != http.StatusOK {
		c.t.Fatalf("sign up %s: %d %s", name, status, code)
	}
}

// signIn runs a discoverable sign-in with the client's authenticator and
// returns the finish's status and code.
func (c *client) signIn() (int, string) {
	c.t.Helper()
	var out struct{ AuthenticationOptions json.RawMessage }
	if status, code := c.post("/api/passkeys/authenticate/start", map[string]any{}, &out); status != http.StatusOK {
		c.t.Fatalf("authenticate/start: %d %s", status, code)
	}
	resp, err := c.auth.Authenticate(out.AuthenticationOptions, c.e.site)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.post("/api/passkeys/authenticate/finish", map[string]any{"response": json.RawMessage(resp)}, nil)
}

// me is who the site says is signed in ("" for nobody).
func (c *client) me() string {
	c.t.Helper()
	a := c.do(request{Method: http.MethodGet, Path: "/api/me"})
	var v struct{ User *struct{ Name string } }
	if a.Status != http.StatusOK || json.Unmarshal(a.Body, &v) != nil {
		c.t.Fatalf("GET /api/me: %d %s", a.Status, a.Body)
	}
	if v.User == nil {
		return ""
	}
	return v.User.Name
}

// registerBehindTheAppsBack registers a passkey of auth for the user
// externalID straight at passbridge, with the app's API key: what anyone
// holding the key could do, and what the app never accepted.
func (e *env) registerBehindTheAppsBack(t *testing.T, externalID string, auth *softauthn.Authenticator) string {
	t.Helper()
	var start struct{ RegistrationOptions json.RawMessage }
	e.passbridge(t, "passkeys/register/start", map[string]any{"user_id": externalID, "email_or_username": "someone"}, &start)
	resp, _, err := auth.Register(start.RegistrationOptions, e.site)
	if err != nil {
		t.Fatal(err)
	}
	var finish struct {
		Device struct {
			CredID string `json:"cred_id"`
		}
	}
	e.passbridge(t, "passkeys/register/finish", map[string]any{"user_id": externalID, "publicKey": json.RawMessage(resp)}, &finish)
	return finish.Device.CredID
}

// passbridge posts body to the app's API path (after /v1/apps/{app_id}/)
// with the API key; anything but a 200 fails the test.
func (e *env) passbridge(t *testing.T, path string, body, out any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.pb.Issuer+"/v1/apps/"+e.app.ID+"/"+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.apiKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("passbridge %s: %d %s", path, res.StatusCode, got)
	}
	if err := json.Unmarshal(got, out); err != nil {
		t.Fatalf("passbridge %s: %v", path, err)
	}
}
