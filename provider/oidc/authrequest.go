package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passbridge/passbridge/storage"
)

// authRequest is a stored auth request as op sees it.
type authRequest struct{ storage.AuthRequest }

var (
	_ op.AuthRequest    = (*authRequest)(nil)
	_ op.LogAuthRequest = (*authRequest)(nil)
)

func (a *authRequest) GetID() string         { return a.ID }
func (a *authRequest) GetACR() string        { return a.ACR }
func (a *authRequest) GetAMR() []string      { return a.AMR }
func (a *authRequest) GetAudience() []string { return []string{a.ClientID} }
func (a *authRequest) GetAuthTime() time.Time {
	return a.AuthTime
}
func (a *authRequest) GetClientID() string { return a.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.CodeChallenge, Method: oidc.CodeChallengeMethod(a.CodeChallengeMethod)}
}
func (a *authRequest) GetNonce() string                   { return a.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(a.ResponseType) }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(a.ResponseMode) }
func (a *authRequest) GetScopes() []string                { return a.Scopes }
func (a *authRequest) GetState() string                   { return a.State }
func (a *authRequest) GetSubject() string                 { return a.Subject }
func (a *authRequest) Done() bool                         { return a.AuthRequest.Done }

// LogValue leaves the nonce, state, code challenge and browser binding out
// of logs.
func (a *authRequest) LogValue() slog.Value { return authRequestLog(a.AuthRequest) }

// CreateAuthRequest stores a validated authorization request (op checked
// the client, redirect_uri, scopes, response type and any id_token_hint,
// whose subject is hintSubject). It refuses what this provider does not
// serve: PKCE other than S256, a public client without PKCE, a request
// without the openid scope. The request is bound to the browser that sent
// it. The browser's session is decided on here: SSO, and prompt=none,
// since no page may be shown.
func (s *opStorage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, hintSubject string) (op.AuthRequest, error) {
	info := requestInfoFrom(ctx)
	if info == nil || info.browser == nil {
		s.log.ErrorContext(ctx, "create auth request: no browser binding in the request context")
		return nil, oidc.ErrServerError().WithDescription("internal error")
	}
	client, err := s.client(ctx, req.ClientID)
	if err != nil {
		return nil, s.translate(ctx, "create auth request: get client", err, oidc.ErrInvalidClient)
	}
	if err := checkAuthRequest(req, client); err != nil {
		return nil, err
	}
	now := s.clock()
	r := storage.AuthRequest{
		ID:                  storage.NewID(),
		AppID:               client.AppID,
		ClientID:            client.ID,
		RedirectURI:         req.RedirectURI,
		Scopes:              req.Scopes,
		State:               req.State,
		Nonce:               req.Nonce,
		ResponseType:        string(req.ResponseType),
		ResponseMode:        string(req.ResponseMode),
		CodeChallenge:       req.CodeChallenge,
		CodeChallengeMethod: string(req.CodeChallengeMethod),
		Prompt:              req.Prompt,
		LoginHint:           req.LoginHint,
		ACRValues:           req.ACRValues,
		UILocales:           localeStrings(req.UILocales),
		HintSubject:         hintSubject,
		BrowserBinding:      info.browser,
		CreatedAt:           now,
		ExpiresAt:           now.Add(s.cfg.AuthRequestTTL),
	}
	if req.MaxAge != nil {
		age := int64(*req.MaxAge)
		r.MaxAge = &age
	}
	if client.Implicit {
		return s.createImplicit(ctx, r, client, info)
	}
	if slices.Contains(r.Prompt, PromptCreate) {
		if err := s.allowEnrolment(ctx, &r, info); err != nil {
			return nil, err
		}
	}
	// The browser's session decides SSO here, before the request is
	// stored: a request it satisfies is stored done, with its code when
	// it is answered at once (op then redirects straight to the client,
	// see loginURLFor), else the login page only sends the browser on to
	// the callback. Nothing is read when the request forces a ceremony or
	// the browser holds no session cookie.
	var sess *storage.Session
	if !ForcesCeremony(r) {
		if sess, err = s.browserSession(ctx, info, client.AppID, now); err != nil {
			return nil, s.translate(ctx, "create auth request: session", err, nil)
		}
	}
	switch {
	case SessionSatisfies(r, client, sess, now):
		markDone(&r, *sess)
		if answersAtOnce(r) {
			return s.createAnswered(ctx, r, info)
		}
	case slices.Contains(r.Prompt, oidc.PromptNone):
		// No page may be shown.
		return nil, oidc.ErrLoginRequired().WithDescription("the user must sign in")
	}
	if err := s.store.CreateAuthRequest(ctx, r); err != nil {
		return nil, s.translate(ctx, "create auth request", err, nil)
	}
	return &authRequest{r}, nil
}

// checkAuthRequest refuses what op lets through and this provider does not
// serve.
func checkAuthRequest(req *oidc.AuthRequest, c storage.Client) error {
	// What is stored must be text of a sane size: a request is kept for
	// half an hour, for anyone who knows a client's redirect URI.
	for _, f := range []struct {
		name  string
		value string
		max   int
	}{
		{"state", req.State, 2048}, {"nonce", req.Nonce, 512}, {"login_hint", req.LoginHint, 256},
		{"scope", strings.Join(req.Scopes, " "), 2048}, {"acr_values", strings.Join(req.ACRValues, " "), 512},
	} {
		if len(f.value) > f.max || !utf8.ValidString(f.value) || strings.ContainsRune(f.value, 0) {
			return oidc.ErrInvalidRequest().WithDescription("%s must be text of at most %d bytes", f.name, f.max)
		}
	}
	if !slices.Contains(req.Scopes, oidc.ScopeOpenID) {
		return oidc.ErrInvalidScope().WithDescription("the openid scope is required")
	}
	if c.Implicit {
		return nil // no code, so no PKCE; withImplicit checked the rest
	}
	// RFC 9700 §2.1.1: PKCE with S256 only; plain reveals the verifier.
	switch {
	case req.CodeChallenge == "" && c.AuthMethod == storage.AuthMethodNone:
		return oidc.ErrInvalidRequest().WithDescription("a public client must use PKCE (code_challenge with S256)")
	case req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	case req.CodeChallenge == "" && req.CodeChallengeMethod != "":
		return oidc.ErrInvalidRequest().WithDescription("code_challenge_method without code_challenge")
	case req.CodeChallenge != "" && !validChallenge(req.CodeChallenge):
		return oidc.ErrInvalidRequest().WithDescription("code_challenge must be the base64url SHA-256 of the verifier (43 characters)")
	}
	if slices.Contains(req.Prompt, PromptCreate) && slices.Contains(req.Prompt, oidc.PromptNone) {
		return oidc.ErrInvalidRequest().WithDescription("prompt=create cannot be combined with none")
	}
	return nil
}

// validChallenge: an S256 challenge is 32 bytes in unpadded base64url.
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func localeStrings(l oidc.Locales) []string {
	out := make([]string, 0, len(l))
	for _, t := range l {
		out = append(out, t.String())
	}
	return out
}

// markDone completes an auth request with what session s proved.
func markDone(r *storage.AuthRequest, s storage.Session) {
	r.Done = true
	r.UserID, r.Subject, r.DeviceID, r.SessionID = s.UserID, s.Subject, s.DeviceID, s.ID
	r.AuthTime, r.AMR, r.ACR = s.AuthTime, s.AMR, s.ACR
}

// AuthRequestByID returns an unexpired auth request for op's callback,
// which mints its code: only for the browser that started it (the callback
// URL is a bearer handle; another browser must not turn it into a code).
func (s *opStorage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	if !plausible(id, 64) {
		return nil, oidc.ErrInvalidRequest().WithDescription("the sign-in request expired or does not exist")
	}
	r, ok := ctx.Value(callbackRequestKey{}).(storage.AuthRequest)
	var err error
	if !ok || r.ID != id {
		r, err = s.store.GetAuthRequest(ctx, id, s.clock())
	}
	if err != nil {
		return nil, s.translate(ctx, "get auth request", err, func() *oidc.Error {
			return oidc.ErrInvalidRequest().WithDescription("the sign-in request expired or does not exist")
		})
	}
	if info := requestInfoFrom(ctx); info == nil || info.browser == nil ||
		subtle.ConstantTimeCompare(info.browser, r.BrowserBinding) != 1 {
		return nil, oidc.ErrInvalidRequest().WithDescription("this sign-in was started in another browser")
	}
	return &authRequest{r}, nil
}

// SaveAuthCode stores the code op minted for a completed request; a request
// gets one code only.
func (s *opStorage) SaveAuthCode(ctx context.Context, id, code string) error {
	now := s.clock()
	err := s.store.CreateAuthCode(ctx, storage.AuthCode{
		Hash: storage.HashSecret(code), AuthRequestID: id, CreatedAt: now, ExpiresAt: now.Add(s.cfg.CodeTTL),
	})
	if errors.Is(err, storage.ErrAlreadyExists) {
		return oidc.ErrInvalidRequest().WithDescription("this sign-in request was already completed")
	}
	return s.translate(ctx, "save auth code", err, func() *oidc.Error {
		return oidc.ErrInvalidRequest().WithDescription("the sign-in request expired or does not exist")
	})
}

// AuthRequestByCode redeems a code, once. A code presented again is refused,
// and the tokens its first redemption issued are revoked (RFC 9700 §4.5).
// When CodeExchange read the code's request already, the code is redeemed
// by the write that stores the tokens (see issue), in the same statement:
// here it is only accepted.
func (s *opStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	if x, ok := ctx.Value(exchangeKey{}).(*exchange); ok {
		x.codeHash = storage.HashSecret(code)
		return codeRequest(ctx, x.req)
	}
	now := s.clock()
	c, err := s.store.ConsumeAuthCode(ctx, storage.HashSecret(code), now)
	if errors.Is(err, storage.ErrReused) {
		s.revokeReplayedCode(ctx, c.AuthRequestID)
		return nil, oidc.ErrInvalidGrant().WithDescription("the code was already used")
	}
	if err != nil {
		return nil, s.translate(ctx, "redeem code", err, invalidCode)
	}
	r, err := s.store.GetAuthRequest(ctx, c.AuthRequestID, now)
	if err != nil {
		return nil, s.translate(ctx, "redeem code: auth request", err, invalidCode)
	}
	return codeRequest(ctx, r)
}

// codeRequest is the auth request a code names, for a token request: a
// completed one only, and with its verifier when it used PKCE.
func codeRequest(ctx context.Context, r storage.AuthRequest) (op.AuthRequest, error) {
	if !r.Done {
		return nil, invalidCode()
	}
	if sent, ok := ctx.Value(verifierKey{}).(bool); ok && !sent && r.CodeChallenge != "" {
		return nil, oidc.ErrInvalidGrant().WithDescription("code_verifier required: the authorization request used PKCE")
	}
	return &authRequest{r}, nil
}

// invalidCode is the token endpoint's answer for a code that is unknown,
// expired, or of a request that is gone.
func invalidCode() *oidc.Error {
	return oidc.ErrInvalidGrant().WithDescription("invalid or expired code")
}

// DeleteAuthRequest is what op calls once a code's tokens are issued. The
// request stays until it expires: its used code is what recognises a
// replay, and it can mint no second code.
func (s *opStorage) DeleteAuthRequest(context.Context, string) error { return nil }

var errAlreadyDone = errors.New("already completed")

// allowEnrolment decides prompt=create (DESIGN §6): a passkey registration
// in place of the sign-in. With no user named, a new user whose external ID
// the provider makes, where the app allows sign-up. For a user the request
// names, only when the client signed that login_hint in a request object:
// it vouches that it authenticated the user (an existing one gets another
// passkey) or made the account (a new one). A login_hint anyone could have
// put in a link never enrols: not an existing user, whose account would get
// a stranger's passkey, and not a new one either, since a stranger could
// take an external ID before the relying party's own user enrols under it.
// The request is marked Enroll.
func (s *opStorage) allowEnrolment(ctx context.Context, r *storage.AuthRequest, info *requestInfo) error {
	sub := hintedSubject(*r)
	if sub == "" {
		app, err := s.store.GetApp(ctx, r.AppID)
		if err != nil {
			return s.translate(ctx, "enrolment: app", err, nil)
		}
		if !app.AllowSignup {
			return oidc.ErrAccessDenied().WithDescription("sign-up is not open for this app")
		}
		r.Enroll = true
		return nil
	}
	if r.HintSubject != "" || !info.signedCreate || info.signedLoginHint != r.LoginHint {
		return oidc.ErrInvalidRequest().WithDescription(
			"prompt=create for a named user needs a request object (RFC 9101) signed by the client, carrying login_hint")
	}
	r.Enroll = true
	return nil
}

// EnrolSubject is the external ID a prompt=create request registers a
// passkey for: the user it names, or for an open sign-up a new external ID
// made from the request's own (random) ID.
func EnrolSubject(r storage.AuthRequest) string {
	if sub := hintedSubject(r); sub != "" {
		return sub
	}
	return "pb_" + r.ID
}
