package oidc

import (
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/passbridge/passbridge/storage"
)

// PromptCreate is the prompt value that asks for a passkey registration
// (OpenID Connect Prompt Create 1.0).
const PromptCreate = "create"

// SessionSatisfies reports whether the browser session s (nil: none) can
// complete auth request r of client c without a ceremony (SSO). A fresh
// ceremony is needed when the request asks for one (prompt=login,
// select_account or create), when the session is older than max_age, when
// it is another user's than the one the request names (login_hint,
// id_token_hint), when its acr is below what the request or the client
// demands, or when the client demands user verification the session's
// ceremony did not prove.
func SessionSatisfies(r storage.AuthRequest, c storage.Client, s *storage.Session, now time.Time) bool {
	if s == nil || s.AppID != r.AppID || !now.Before(s.ExpiresAt) || ForcesCeremony(r) {
		return false
	}
	if r.MaxAge != nil && now.Sub(s.AuthTime) > time.Duration(*r.MaxAge)*time.Second {
		return false
	}
	if sub := hintedSubject(r); sub != "" && sub != s.Subject {
		return false
	}
	if !ACRSatisfies(s.ACR, requiredACR(r, c)) {
		return false
	}
	if c.RequireUV && !slices.Contains(s.AMR, "mfa") {
		return false
	}
	return true
}

// ForcesCeremony reports whether auth request r asks for a fresh ceremony
// whatever the browser's session: prompt=login, select_account or create,
// or max_age=0 (which prompt=login also sets), or an implicit request (an
// external authentication method asks for a second factor now, never for
// a session's). No session need be read for it.
func ForcesCeremony(r storage.AuthRequest) bool {
	return r.ResponseType == string(oidc.ResponseTypeIDTokenOnly) || hasPrompt(r, oidc.PromptLogin) || hasPrompt(r, oidc.PromptSelectAccount) || hasPrompt(r, PromptCreate) ||
		(r.MaxAge != nil && *r.MaxAge == 0)
}

// hintedSubject is the user an auth request is bound to: the subject of its
// verified id_token_hint, else its login_hint (an external ID), else "".
func hintedSubject(r storage.AuthRequest) string {
	if r.HintSubject != "" {
		return r.HintSubject
	}
	return r.LoginHint
}
