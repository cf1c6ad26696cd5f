package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passbridge/passbridge/storage"
)

// withImplicitCallback answers op's callback for an implicit request
// itself: op would mint the ID token, but post it with a page whose inline
// script the pages' Content-Security-Policy forbids, and would send errors
// in a fragment. The request read here is handed on to op for any other
// request (see AuthRequestByID), so no second read is made.
func (p *Provider) withImplicitCallback(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		if !plausible(id, 64) {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		ar, err := p.store.GetAuthRequest(ctx, id, p.storage.clock())
		if err != nil || ar.ResponseType != string(oidc.ResponseTypeIDTokenOnly) {
			if err == nil {
				ctx = context.WithValue(ctx, callbackRequestKey{}, ar)
			}
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		if info := requestInfoFrom(ctx); info == nil || info.browser == nil ||
			subtle.ConstantTimeCompare(info.browser, ar.BrowserBinding) != 1 {
			// Another browser: op's answer (AuthRequestByID refuses it),
			// the error page.
			next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, callbackRequestKey{}, ar)))
			return
		}
		p.answerImplicit(w, r, ar)
	})
}

// callbackRequestKey carries the auth request withImplicitCallback read.
type callbackRequestKey struct{}

// answerImplicit posts the ID token of completed implicit request ar back
// to its client, or the reason it cannot.
func (p *Provider) answerImplicit(w http.ResponseWriter, r *http.Request, ar storage.AuthRequest) {
	ctx := op.ContextWithIssuer(r.Context(), p.issuer)
	fail := func(code, description string) { p.postError(w, r, ar.RedirectURI, ar.State, code, description) }
	if !ar.Done {
		fail(string(oidc.InteractionRequired), "the user has not signed in")
		return
	}
	hint, err := p.store.GetAuthRequestHint(ctx, ar.ID)
	if err != nil {
		p.storage.log.ErrorContext(ctx, "implicit answer: hint", "err", err)
		fail(string(oidc.ServerError), "internal error")
		return
	}
	acr := pickACR(ar.ACRValues)
	if acr == "" {
		acr = defaultImplicitACR
	}
	amr := pickAMR(hint.AMRValues, ar.AMR)
	if amr == "" {
		fail(string(oidc.AccessDenied), "the passkey used cannot satisfy any of the requested amr values")
		return
	}
	c, err := p.storage.getClient(ctx, ar.ClientID)
	if err != nil {
		fail(string(oidc.AccessDenied), "the client is gone")
		return
	}
	// One answer per request, as a code request gets one code: the
	// request's code slot is taken by a random value no one will redeem, so
	// that the callback URL opened again answers nothing more.
	if err := p.storage.SaveAuthCode(ctx, ar.ID, storage.NewID()+storage.NewID()); err != nil {
		var oe *oidc.Error
		if errors.As(err, &oe) {
			fail(string(oe.ErrorType), oe.Description)
		} else {
			fail(string(oidc.ServerError), "internal error")
		}
		return
	}
	req := &hintedRequest{authRequest: &authRequest{ar}, subject: hint.Subject, acr: acr, amr: []string{amr}}
	token, err := op.CreateIDToken(ctx, p.issuer, req, c.IDTokenLifetime(), "", "", p.storage, c)
	if err != nil {
		p.storage.log.ErrorContext(ctx, "implicit answer: ID token", "err", err)
		fail(string(oidc.ServerError), "internal error")
		return
	}
	p.storage.log.InfoContext(ctx, "external authentication method sign-in", "client_id", ar.ClientID,
		"user_id", ar.UserID, "tenant", hint.Tenant, "client_request_id", hint.ClientRequestID, "acr", acr, "amr", amr)
	params := url.Values{"id_token": {token}}
	if ar.State != "" {
		params.Set("state", ar.State)
	}
	p.formPost(w, r, ar.RedirectURI, params)
}

// hintedRequest is a completed implicit request as its ID token says it:
// the hint's sub, and the one acr and amr chosen of those requested.
type hintedRequest struct {
	*authRequest
	subject string
	acr     string
	amr     []string
}

func (h *hintedRequest) GetSubject() string { return h.subject }
func (h *hintedRequest) GetACR() string     { return h.acr }
func (h *hintedRequest) GetAMR() []string   { return h.amr }
