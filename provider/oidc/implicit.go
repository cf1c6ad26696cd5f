package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passbridge/passbridge/storage"
)

// The implicit profile of an external authentication method (Microsoft
// Entra ID's EAM): the caller POSTs response_type=id_token with
// response_mode=form_post and an id_token_hint of its own issuer naming
// the user; passbridge runs a fresh passkey ceremony for that user and
// posts back an ID token whose sub is the hint's sub, with one acr and one
// amr of those the request's claims parameter accepts. Every error after
// the client and its redirect_uri are known is posted back too.

// possessionACRs are the acr values of Entra's list that a passkey
// satisfies: it is a possession factor (Entra maps fido to possession),
// whatever else the authenticator checked.
var possessionACRs = []string{"possessionorinherence", "knowledgeorpossession", "knowledgeorpossessionorinherence", "possession"}

// passkeyAMRs are the amr values a passkey ceremony may answer with, best
// first: fido; hwk or swk by the credential's kind; pop.
var passkeyAMRs = []string{"fido", "hwk", "swk", "pop"}

// defaultImplicitACR answers a request that names no acr.
const defaultImplicitACR = "possession"

// implicitRequest is what the /authorize wrapper learned of an implicit
// client's request, for CreateAuthRequest.
type implicitRequest struct {
	hint            verifiedHint
	amrValues       []string
	clientRequestID string
}

// withImplicit handles an implicit client's authorization request before
// op does: it checks the response type and mode, reads the amr the claims
// parameter asks for, verifies the external hint and takes it (and what
// Entra sends that passbridge does not serve) out of the request. Any
// refusal is posted back to the redirect_uri, which is the client's. A
// request of any other client goes on untouched; an unknown client or
// redirect_uri is op's to refuse (the error page).
func (p *Provider) withImplicit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || !plausible(r.Form.Get("client_id"), 256) {
			next.ServeHTTP(w, r)
			return
		}
		c, err := p.storage.client(r.Context(), r.Form.Get("client_id"))
		if err != nil || !c.Implicit {
			next.ServeHTTP(w, r) // op answers the store's error or the unknown client
			return
		}
		redirect := r.Form.Get("redirect_uri")
		if !slices.Contains(c.RedirectURIs, redirect) {
			next.ServeHTTP(w, r)
			return
		}
		state := r.Form.Get("state")
		fail := func(code, description string) {
			p.storage.log.InfoContext(r.Context(), "implicit request refused", "client_id", c.ID,
				"client_request_id", clientRequestID(r), "error", code, "error_description", description)
			p.postError(w, r, redirect, state, code, description)
		}
		if r.Form.Get("response_type") != string(oidc.ResponseTypeIDTokenOnly) {
			fail("unsupported_response_type", "this client uses response_type=id_token only")
			return
		}
		if r.Form.Get("response_mode") != string(oidc.ResponseModeFormPost) {
			fail(string(oidc.InvalidRequest), "this client uses response_mode=form_post only")
			return
		}
		if r.Form.Get("nonce") == "" {
			fail(string(oidc.InvalidRequest), "nonce is required")
			return
		}
		amr, acr, err := requestedMethods(r.Form.Get("claims"))
		if err != nil {
			fail(string(oidc.InvalidRequest), err.Error())
			return
		}
		if len(acr) > 0 && pickACR(acr) == "" {
			fail(string(oidc.AccessDenied), "a passkey cannot satisfy any of the requested acr values")
			return
		}
		if len(amr) > 0 && !slices.ContainsFunc(amr, func(v string) bool { return slices.Contains(passkeyAMRs, v) }) {
			fail(string(oidc.AccessDenied), "a passkey cannot satisfy any of the requested amr values")
			return
		}
		hint, err := p.storage.verifyHint(r.Context(), c, r.Form.Get("id_token_hint"), p.storage.clock())
		var bad *errHint
		switch {
		case errors.As(err, &bad):
			fail(string(oidc.AccessDenied), bad.msg)
			return
		case err != nil:
			p.storage.log.WarnContext(r.Context(), "external hint keys", "client_id", c.ID, "err", err)
			fail("temporarily_unavailable", "the hint issuer's keys could not be read; try again")
			return
		}
		if info := requestInfoFrom(r.Context()); info != nil {
			info.implicit = &implicitRequest{hint: hint, amrValues: amr, clientRequestID: clientRequestID(r)}
		}
		// The hint is verified; op would check it against passbridge's own
		// keys. The caller's other parameters are not served here: the
		// sign-in is always a fresh ceremony for the hint's user.
		form := url.Values{}
		for _, k := range []string{"client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "nonce", "claims"} {
			if v, ok := r.Form[k]; ok {
				form[k] = v
			}
		}
		r.Form, r.PostForm = form, nil
		if r.Method == http.MethodPost {
			r.PostForm = form
		}
		r.URL.RawQuery = form.Encode()
		next.ServeHTTP(&postedRedirects{ResponseWriter: w, p: p, r: r, redirect: redirect, state: state}, r)
	})
}

// clientRequestID is the caller's request ID (Entra's client-request-id),
// for the logs, if it is short text.
func clientRequestID(r *http.Request) string {
	v := r.Form.Get("client-request-id")
	if v == "" {
		v = r.Header.Get("client-request-id")
	}
	if !plausible(v, 64) {
		return ""
	}
	return v
}

// requestedMethods reads the amr and acr values a claims parameter (OIDC
// Core §5.5) asks of the ID token.
func requestedMethods(raw string) (amr, acr []string, err error) {
	if raw == "" {
		return nil, nil, nil
	}
	var req struct {
		IDToken map[string]*struct {
			Value  string   `json:"value"`
			Values []string `json:"values"`
		} `json:"id_token"`
	}
	if len(raw) > 4096 || json.Unmarshal([]byte(raw), &req) != nil {
		return nil, nil, errors.New("the claims parameter is not a JSON object of OIDC Core §5.5")
	}
	values := func(name string) []string {
		c := req.IDToken[name]
		if c == nil {
			return nil
		}
		out := slices.Clone(c.Values)
		if c.Value != "" {
			out = append(out, c.Value)
		}
		return out
	}
	return values("amr"), values("acr"), nil
}

// pickACR is the first of the requested acr values a passkey satisfies, or
// "".
func pickACR(requested []string) string {
	for _, v := range requested {
		if slices.Contains(possessionACRs, v) {
			return v
		}
	}
	return ""
}

// pickAMR is the one amr value to answer with, of those requested (none
// requested: fido), for a ceremony whose own amr is proved (hwk for a
// device-bound credential, swk for a synced one); "" when none fits.
func pickAMR(requested, proved []string) string {
	if len(requested) == 0 || slices.Contains(requested, "fido") {
		return "fido"
	}
	for _, v := range []string{"hwk", "swk"} {
		if slices.Contains(requested, v) && slices.Contains(proved, v) {
			return v
		}
	}
	if slices.Contains(requested, "pop") {
		return "pop"
	}
	return ""
}

// createImplicit stores implicit request r of client c, bound to the user
// its verified hint names (as a verified id_token_hint binds), with what
// the hint adds beside it. A user who has no passkey here (or no account)
// registers one on first use where the client allows it (HintEnrol);
// otherwise the request is refused, as it is for an inactive user.
func (s *opStorage) createImplicit(ctx context.Context, r storage.AuthRequest, c storage.Client, info *requestInfo) (op.AuthRequest, error) {
	ir := info.implicit
	if ir == nil {
		s.log.ErrorContext(ctx, "create auth request: an implicit request that withImplicit did not verify")
		return nil, oidc.ErrServerError().WithDescription("internal error")
	}
	r.HintSubject = ir.hint.user
	r.LoginHint, r.Prompt, r.MaxAge = "", nil, nil
	u, devices, err := s.store.GetUserByExternalIDWithDevices(ctx, c.AppID, ir.hint.user)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		return nil, s.translate(ctx, "create auth request: hinted user", err, nil)
	case u.Status != storage.UserActive:
		return nil, oidc.ErrAccessDenied().WithDescription("the user is inactive")
	}
	if len(devices) == 0 {
		if !c.HintEnrol {
			return nil, oidc.ErrAccessDenied().WithDescription("the user has no passkey here")
		}
		r.Enroll = true
	}
	h := storage.AuthRequestHint{AuthRequestID: r.ID, Subject: ir.hint.subject, AMRValues: ir.amrValues,
		Tenant: ir.hint.tenant, ClientRequestID: ir.clientRequestID}
	if err := s.store.CreateHintedAuthRequest(ctx, r, h); err != nil {
		return nil, s.translate(ctx, "create auth request", err, nil)
	}
	s.log.InfoContext(ctx, "external authentication method request", "client_id", c.ID, "auth_request_id", r.ID,
		"tenant", h.Tenant, "client_request_id", h.ClientRequestID, "enrol", r.Enroll)
	return &authRequest{r}, nil
}
