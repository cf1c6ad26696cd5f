package loadflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// maxHops bounds the redirects of one sign-in: authorize, the login page,
// op's callback (for answers not given at once) and the client's
// redirect URI are all it takes.
const maxHops = 8

// oidcFlow signs users in through an OpenID Connect client as a relying
// party with go-oidc does: authorization code with PKCE S256, state and
// nonce; the code exchanged; the ID token's signature checked against the
// JWKS, and its sub and nonce.
type oidcFlow struct {
	c        *client
	sso      bool
	redirect *url.URL

	mu       sync.Mutex
	provider *gooidc.Provider
	verifier *gooidc.IDTokenVerifier
}

func newOIDCFlow(c *client, sso bool) (*oidcFlow, error) {
	u, err := url.Parse(c.t.RedirectURI)
	if err != nil || !u.IsAbs() {
		return nil, fmt.Errorf("redirect uri %q: want an absolute url", c.t.RedirectURI)
	}
	return &oidcFlow{c: c, sso: sso, redirect: u}, nil
}

func (f *oidcFlow) Name() string {
	if f.sso {
		return OIDCSSO
	}
	return OIDC
}

// discover reads the discovery document once; a failure is tried again by
// the next user.
func (f *oidcFlow) discover(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.provider != nil {
		return nil
	}
	p, err := gooidc.NewProvider(gooidc.ClientContext(ctx, f.c.backend), f.c.base)
	if err != nil {
		return fmt.Errorf("discovery: %w", err)
	}
	f.provider = p
	// One verifier for every user: it caches the JWKS.
	f.verifier = p.Verifier(&gooidc.Config{ClientID: f.c.t.ClientID})
	return nil
}

func (f *oidcFlow) NewUser(ctx context.Context, i int) (User, error) {
	if err := f.discover(ctx); err != nil {
		return nil, err
	}
	b := f.c.newBrowser(f.c.externalID(i))
	if err := b.signUp(ctx, discard{}, b.auth, b.externalID); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	u := &oidcUser{browser: b, f: f}
	if f.sso {
		// The session every iteration reuses.
		if err := u.signIn(ctx, discard{}, true); err != nil {
			return nil, fmt.Errorf("setup: sign in: %w", err)
		}
	}
	return u, nil
}

type oidcUser struct {
	*browser
	f *oidcFlow
}

func (u *oidcUser) Run(ctx context.Context, rec Recorder) error {
	rec = orDiscard(rec)
	if u.f.sso {
		return u.signIn(ctx, rec, false)
	}
	// A browser without a session, so that every sign-in runs the
	// ceremony: the user's own jar, emptied, as if signed out. A copy, as
	// another worker may be running this user.
	fresh := &oidcUser{browser: &browser{c: u.c, http: withJar(u.http, newJar()), auth: u.auth, externalID: u.externalID}, f: u.f}
	return fresh.signIn(ctx, rec, true)
}

// signIn runs one sign-in from the authorization request to the verified
// ID token. ceremony tells whether the login page may ask for a passkey;
// without, the browser's session must satisfy the request.
func (u *oidcUser) signIn(ctx context.Context, rec Recorder, ceremony bool) error {
	state, nonce, verifier := randomHex(16), randomHex(16), oauth2.GenerateVerifier()
	next, err := url.Parse(u.f.provider.Endpoint().AuthURL)
	if err != nil {
		return stepErr("authorize", "authorization endpoint: %v", err)
	}
	q := next.Query()
	scope := strings.Join(append([]string{gooidc.ScopeOpenID}, u.c.t.Scopes...), " ")
	for k, v := range map[string]string{
		"response_type": "code", "client_id": u.c.t.ClientID, "redirect_uri": u.c.t.RedirectURI, "scope": scope,
		"state": state, "nonce": nonce, "code_challenge": oauth2.S256ChallengeFromVerifier(verifier), "code_challenge_method": "S256",
	} {
		q.Set(k, v)
	}
	next.RawQuery = q.Encode()
	for hops := 0; !u.f.isRedirectURI(next); hops++ {
		step := stepOf(next)
		if hops == maxHops {
			return stepErr(step, "more than %d redirects", maxHops)
		}
		r := request{step: step, method: http.MethodGet, url: next.String(), want: http.StatusFound}
		if step == "login_page" {
			r.alt = http.StatusOK
		}
		a, err := do(ctx, u.http, rec, r)
		if err != nil {
			return err
		}
		if a.status == http.StatusOK {
			if !ceremony {
				return stepErr(step, "the session did not satisfy the request: the page asks for a passkey")
			}
			next, err = u.loginCeremony(ctx, rec, next.Query().Get("auth_request_id"), a.body)
		} else if next, err = a.location(); err != nil {
			err = stepErr(step, "%v", err)
		}
		if err != nil {
			return err
		}
	}
	code, err := codeOf302(next, state)
	if err != nil {
		return err
	}
	raw, err := u.exchange(ctx, rec, code, verifier)
	if err != nil {
		return err
	}
	_, err = timed(rec, "verify_id_token", func() (struct{}, error) {
		idt, err := u.f.verifier.Verify(ctx, raw)
		switch {
		case err != nil:
			return struct{}{}, err
		case idt.Nonce != nonce:
			return struct{}{}, errors.New("the id token's nonce is not the request's")
		case idt.Subject != u.externalID:
			return struct{}{}, fmt.Errorf("sub %q, want %q", idt.Subject, u.externalID)
		}
		return struct{}{}, nil
	})
	return err
}

// pageAppID finds the app of a login page that names its ceremony.
var pageAppID = regexp.MustCompile(`data-app-id="([^"]+)"`)

// stepOf names the step of a GET by its path.
func stepOf(u *url.URL) string {
	switch p := u.Path; {
	case strings.HasSuffix(p, "/callback"):
		return "callback"
	case strings.HasSuffix(p, "/authorize"):
		return "authorize"
	case strings.HasSuffix(p, "/login"):
		return "login_page"
	}
	return "redirect"
}

func (f *oidcFlow) isRedirectURI(u *url.URL) bool {
	return u.Scheme == f.redirect.Scheme && u.Host == f.redirect.Host && u.Path == f.redirect.Path
}

// codeOf302 reads the code from the redirect to the client, checking its
// state; an error there is the provider's refusal.
func codeOf302(u *url.URL, state string) (string, error) {
	q := u.Query()
	switch {
	case q.Get("error") != "":
		se := &StepError{Step: "callback", Code: q.Get("error")}
		if d := q.Get("error_description"); d != "" {
			se.Err = errors.New(d)
		}
		return "", se
	case q.Get("state") != state:
		return "", stepErr("callback", "state %q, want the request's", q.Get("state"))
	case q.Get("code") == "":
		return "", stepErr("callback", "no code")
	}
	return q.Get("code"), nil
}

// loginCeremony does what the login page's script does: asks which
// ceremony to run (unless the page says: a discoverable authentication),
// runs it through the Flex client API on the issuer's origin, and posts
// the nonce; it returns where the post redirects.
func (u *oidcUser) loginCeremony(ctx context.Context, rec Recorder, id string, page []byte) (*url.URL, error) {
	var info struct {
		AppID         string  `json:"app_id"`
		Mode          string  `json:"mode"`
		TransactionID *string `json:"transaction_id"`
	}
	if m := pageAppID.FindSubmatch(page); m != nil && bytes.Contains(page, []byte(`data-ceremony="discoverable"`)) {
		info.AppID, info.Mode = string(m[1]), "authenticate"
	} else {
		a, err := do(ctx, u.http, rec, request{step: "login_ceremony", method: http.MethodGet,
			url: u.c.base + "/login/ceremony?auth_request_id=" + url.QueryEscape(id), want: http.StatusOK})
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(a.body, &info); err != nil || info.AppID == "" {
			return nil, stepErr("login_ceremony", "answer is not the expected json")
		}
	}
	if info.Mode != "authenticate" {
		return nil, stepErr("login_ceremony", "mode %q, want authenticate", info.Mode)
	}
	tx := ""
	if info.TransactionID != nil {
		tx = *info.TransactionID
	}
	nonce, err := u.flexAuthenticate(ctx, rec, u.c.issuer, info.AppID, tx)
	if err != nil {
		return nil, err
	}
	form := url.Values{"auth_request_id": {id}, "nonce": {nonce}}
	a, err := do(ctx, u.http, rec, request{step: "login_complete", method: http.MethodPost, url: u.c.base + "/login/complete",
		body: []byte(form.Encode()), ctype: "application/x-www-form-urlencoded", origin: u.c.issuer, want: http.StatusFound})
	if err != nil {
		return nil, err
	}
	loc, err := a.location()
	if err != nil {
		return nil, stepErr("login_complete", "%v", err)
	}
	return loc, nil
}

// exchange redeems the code at the token endpoint and returns the ID token.
func (u *oidcUser) exchange(ctx context.Context, rec Recorder, code, verifier string) (string, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {u.c.t.RedirectURI},
		"code_verifier": {verifier}}
	r := request{step: "token", method: http.MethodPost, url: u.f.provider.Endpoint().TokenURL,
		ctype: "application/x-www-form-urlencoded", want: http.StatusOK}
	if u.c.t.Public {
		form.Set("client_id", u.c.t.ClientID)
	} else {
		r.basic = [2]string{u.c.t.ClientID, u.c.t.ClientSecret}
	}
	r.body = []byte(form.Encode())
	a, err := do(ctx, u.c.backend, rec, r)
	if err != nil {
		return "", err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	if err := json.Unmarshal(a.body, &tok); err != nil || tok.AccessToken == "" || tok.IDToken == "" {
		return "", stepErr("token", "no access_token or id_token")
	}
	return tok.IDToken, nil
}
