package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage"
)

// Browser is one browser on the issuer's pages of one app: a cookie jar,
// and a passkey provider.
type Browser struct {
	HTTP *http.Client
	Auth *softauthn.Authenticator

	t      testing.TB
	ctx    context.Context
	svc    *ceremony.Service
	issuer string
	app    storage.App
}

// NewBrowser returns a browser with an empty cookie jar and a new
// authenticator of opts, on app's pages of s.
func (s *Server) NewBrowser(t testing.TB, app storage.App, opts softauthn.Options) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{
		HTTP: &http.Client{Jar: jar}, Auth: softauthn.New(opts),
		t: t, ctx: t.Context(), svc: s.Ceremony, issuer: s.Issuer, app: app,
	}
}

// Request is one call as a page's script makes it, unless the fields say
// otherwise.
type Request struct {
	Method, Path string
	Body         any    // encoded as JSON unless a string or []byte
	Origin       string // "" is the issuer's; "-" sends none
	ContentType  string // "" is application/json for a body
}

// Do sends r from the browser and reads the answer.
func (b *Browser) Do(r Request) apitest.Response {
	b.t.Helper()
	var rd io.Reader
	switch v := r.Body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	case []byte:
		rd = bytes.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(b.ctx, r.Method, b.issuer+r.Path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	switch r.Origin {
	case "":
		req.Header.Set("Origin", b.issuer)
	case "-":
	default:
		req.Header.Set("Origin", r.Origin)
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	} else if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := b.HTTP.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return apitest.Response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// Handshake is what a call of the Flex client API returned: the handshake
// of a start, or the nonce of a finish.
type Handshake struct {
	ID      string
	Options []byte // the challenge's publicKey options
	Nonce   string
}

// Flex posts body to the Flex client API's path (after /v1/apps/{app_id}/)
// from the issuer's origin; anything but a 200 fails the test.
func (b *Browser) Flex(path string, body any) Handshake {
	b.t.Helper()
	a := b.Do(Request{Method: http.MethodPost, Path: "/v1/apps/" + b.app.ID + "/" + path, Body: body})
	if a.Status != http.StatusOK {
		b.t.Fatalf("%s: %d %s", path, a.Status, a.Body)
	}
	var out struct {
		Handshake struct {
			ID        string `json:"id"`
			Challenge struct {
				PublicKey json.RawMessage `json:"publicKey"`
			} `json:"challenge"`
		} `json:"handshake"`
		Nonce string `json:"nonce"`
	}
	a.Decode(b.t, &out)
	return Handshake{ID: out.Handshake.ID, Options: out.Handshake.Challenge.PublicKey, Nonce: out.Nonce}
}

// FlexFinish posts the authenticator's response to handshake handshakeID
// to the finish call path, naming transaction tx unless it is "" (a
// discoverable sign-in), and returns the nonce.
func (b *Browser) FlexFinish(path, tx, handshakeID string, response []byte) string {
	b.t.Helper()
	body := map[string]any{"handshake_id": handshakeID, "handshake_response": json.RawMessage(response)}
	if tx != "" {
		body["transaction_id"] = tx
	}
	return b.Flex(path, body).Nonce
}

// FlexRegister runs the Flex registration of register transaction tx with the
// browser's authenticator and returns its nonce. attachment is the start's
// authenticator_attachment; "" sends none (the API's default, platform).
func (b *Browser) FlexRegister(tx, attachment string) string {
	b.t.Helper()
	start := map[string]any{"transaction_id": tx}
	if attachment != "" {
		start["authenticator_attachment"] = attachment
	}
	hs := b.Flex("register/transactions/webauthn/start", start)
	resp, _, err := b.Auth.Register(hs.Options, b.issuer)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.FlexFinish("register/transactions/webauthn/finish", tx, hs.ID, resp)
}

// FlexAuthenticate runs a Flex authentication with the browser's authenticator
// and returns its nonce: of authenticate transaction tx, or discoverable
// when tx is "".
func (b *Browser) FlexAuthenticate(tx string) string {
	b.t.Helper()
	start := map[string]any{}
	if tx != "" {
		start["transaction_id"] = tx
	}
	hs := b.Flex("authenticate/transactions/webauthn/start", start)
	resp, err := b.Auth.Authenticate(hs.Options, b.issuer)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.FlexFinish("authenticate/transactions/webauthn/finish", tx, hs.ID, resp)
}

// NewPasskey gives the browser's authenticator a passkey of externalID as
// an app does: its backend creates a register transaction, its page runs
// FlexRegister with attachment. It returns the registration's nonce.
func (b *Browser) NewPasskey(externalID, attachment string) string {
	b.t.Helper()
	tx, err := b.svc.CreateRegisterTransaction(b.ctx, b.app, externalID, externalID+"@example.com")
	if err != nil {
		b.t.Fatal(err)
	}
	return b.FlexRegister(tx.ID, attachment)
}
